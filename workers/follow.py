"""The head of the event store's log, kept current for every runner of a worker process.

One watcher per process, whatever the number of projections. On PostgreSQL it holds one
LISTEN connection on the events table's channel (the library NOTIFYs it in every insert
transaction) and reads the newest notification id when woken; on SQLite, which has no
LISTEN, it polls that id with a short idle backoff. Runners wait on the head and read their
own topics up to it (`select_notifications(..., stop=head, topics=...)`). The table lock the
library takes on insert makes ids commit in order, so reading up to a committed head never
passes a late commit; the holes it leaves are rolled-back ids.

A NOTIFY can be lost (a dropped connection, or an insert between reading the head and the
LISTEN taking effect): the watcher re-reads the head at least every RECHECK_SECONDS anyway.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from eventsourcing.persistence import ApplicationRecorder

log = logging.getLogger("shop.worker")

RECHECK_SECONDS = 1.0
IDLE_POLL_SECONDS = (0.01, 0.2)  # SQLite: from, to
RECONNECT_SECONDS = (0.5, 15.0)


class LogHead:
    """The newest notification id; runners wait here for it to move past their position."""

    def __init__(self, recorder: ApplicationRecorder) -> None:
        self.recorder = recorder
        self.head = 0
        self.checked_at = 0.0  # monotonic time of the last successful read of the head
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def refresh(self) -> int:
        """Read the head from the store and wake the runners if it moved."""
        head = self.recorder.max_notification_id() or 0
        self.checked_at = time.monotonic()
        if head > self.head:
            with self._changed:
                self.head = head
                self._changed.notify_all()
        return head

    def wait_beyond(self, position: int, timeout: float) -> int:
        """The head, once it is past `position` or `timeout` seconds have gone by."""
        with self._changed:
            self._changed.wait_for(lambda: self.head > position, timeout)
            return self.head

    def start(self, stop: threading.Event) -> None:
        """Follow the store in a background thread until `stop` is set."""
        self._refresh_quietly()  # a store down at start-up is retried by the thread
        target = self._listen if _is_postgres(self.recorder) else self._poll
        self._thread = threading.Thread(target=target, args=(stop,), name="log-head", daemon=True)
        self._thread.start()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    # -- PostgreSQL: one LISTEN connection --------------------------------------------------

    def _listen(self, stop: threading.Event) -> None:
        import psycopg
        from psycopg import sql

        recorder: Any = self.recorder
        channel = sql.SQL("LISTEN {0}").format(sql.Identifier(recorder.channel_name))
        params = {k: v for k, v in recorder.datastore.pool.kwargs.items() if k != "row_factory"}
        params.setdefault("connect_timeout", 5)
        backoff = RECONNECT_SECONDS[0]
        while not stop.is_set():
            try:
                with psycopg.connect(**params, autocommit=True) as conn:
                    conn.execute(channel)
                    self.refresh()  # whatever was committed before the LISTEN took effect
                    backoff = RECONNECT_SECONDS[0]
                    while not stop.is_set():
                        # Any NOTIFY, or none for RECHECK_SECONDS: read the head either way.
                        for _ in conn.notifies(timeout=RECHECK_SECONDS, stop_after=1):
                            pass
                        self.refresh()
            except Exception as error:
                log.warning("log head: listener down (%s); reconnecting in %.1fs", error, backoff)
                if stop.wait(backoff):
                    return
                backoff = min(backoff * 2, RECONNECT_SECONDS[1])
                self._refresh_quietly()

    def _refresh_quietly(self) -> None:
        try:
            self.refresh()
        except Exception:
            log.debug("log head: store unavailable", exc_info=True)

    # -- SQLite: poll ---------------------------------------------------------------------------

    def _poll(self, stop: threading.Event) -> None:
        idle = IDLE_POLL_SECONDS[0]
        while not stop.wait(idle):
            before = self.head
            try:
                moved = self.refresh() > before
            except Exception:
                log.debug("log head: store unavailable", exc_info=True)
                moved = False
            idle = IDLE_POLL_SECONDS[0] if moved else min(idle * 2, IDLE_POLL_SECONDS[1])


def _is_postgres(recorder: ApplicationRecorder) -> bool:
    try:
        from eventsourcing.postgres import PostgresApplicationRecorder
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(recorder, PostgresApplicationRecorder)
