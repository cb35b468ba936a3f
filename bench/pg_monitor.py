"""PostgreSQL connections of the project's processes, sampled from pg_stat_activity while
the project is under load. The gateway and the worker name themselves through PGAPPNAME, so
the harness's own connections (and the bare app's database) are not counted."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from bench.stores import PG

SAMPLE_SECONDS = 0.1
QUERY = (
    "SELECT application_name, count(*) FROM pg_stat_activity"
    " WHERE datname = %s AND application_name = ANY(%s) GROUP BY application_name"
)


class PgConnections:
    def __init__(self, database: str, app_names: list[str]) -> None:
        self.database = database
        self.app_names = app_names
        self.peak = 0
        self.peak_by_app: dict[str, int] = {}  # at the peak sample
        self.max_by_app: dict[str, int] = dict.fromkeys(app_names, 0)
        self.samples = 0
        self.phases: dict[str, int] = {}  # peak per load phase

    @contextmanager
    def under_load(self, phase: str) -> Iterator[None]:
        """Sample in the background for as long as the block runs."""
        stop = threading.Event()
        thread = threading.Thread(target=self._sample, args=(phase, stop), daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=10)

    def _sample(self, phase: str, stop: threading.Event) -> None:
        kwargs: dict[str, Any] = {**PG, "autocommit": True, "application_name": "bench-monitor"}
        with psycopg.connect(**kwargs) as conn:
            while not stop.is_set():
                rows = conn.execute(QUERY, (self.database, self.app_names)).fetchall()
                counts = {str(name): int(count) for name, count in rows}
                total = sum(counts.values())
                self.samples += 1
                self.phases[phase] = max(self.phases.get(phase, 0), total)
                for name, count in counts.items():
                    self.max_by_app[name] = max(self.max_by_app.get(name, 0), count)
                if total > self.peak:
                    self.peak, self.peak_by_app = total, counts
                stop.wait(SAMPLE_SECONDS)

    def report(self) -> dict[str, Any]:
        return {
            "peak": self.peak,
            "at_peak": self.peak_by_app,
            "max_by_process": self.max_by_app,
            "peak_by_phase": self.phases,
            "samples": self.samples,
        }
