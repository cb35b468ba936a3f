"""Replay throughput: the project's replay of its notification log into each SQL view on
MariaDB (`shop projections replay-into`, into a new database each round) against a raw read
+ decode of the same log (pages of notifications, every event decoded, nothing written).

The project's figure is the notifications replayed over the seconds taken, summed over the
SQL views (each view reads the whole log), so it is the rate of an average view's replay.
Runs after every server has stopped: nothing else competes for the CPU.
"""

from __future__ import annotations

from typing import Any

from bench import project
from bench.config import log
from bench.context import Bench, ratio
from bench.load import median


def run(bench: Bench) -> None:
    config = bench.config
    until = min(project.store_position(bench.harness), config.replay_events)
    if until < config.replay_events:
        bench.notes.append(
            f"replay: the run's log held only {until:,} notifications (fewer than the"
            f" {config.replay_events:,} asked for), so the replay figures are of a short log."
        )
    names = project.sql_view_names(bench.settings)
    raw_rates: list[float] = []
    project_rates: list[float] = []
    per_view: dict[str, list[float]] = {name: [] for name in names}
    rounds: list[dict[str, Any]] = []
    for number in range(config.rounds):
        measured: dict[str, Any] = {}

        def raw(measured: dict[str, Any] = measured) -> None:
            result = project.raw_read_and_decode(bench.harness, until)
            raw_rates.append(result.events / result.seconds)
            measured["raw"] = {"events": result.events, "seconds": round(result.seconds, 3)}

        def replay(number: int = number, measured: dict[str, Any] = measured) -> None:
            with bench.stores.scratch_mariadb(f"replay{number}") as url:
                results = [project.replay_into(bench.harness, n, url, until) for n in names]
            for result in results:
                per_view[result.name].append(result.events / result.seconds)
            events = sum(r.events for r in results)
            seconds = sum(r.seconds for r in results)
            project_rates.append(events / seconds)
            measured["views"] = {
                r.name: {"events": r.events, "seconds": round(r.seconds, 3)} for r in results
            }

        for step in (raw, replay) if number % 2 == 0 else (replay, raw):
            step()
        rounds.append(measured)
    project_rate, raw_rate = median(project_rates), median(raw_rates)
    bench.measurements["replay"] = {
        "unit": "events/s",
        "notifications": until,
        "project": round(project_rate, 1),
        "raw_read_and_decode": round(raw_rate, 1),
        "views": {name: round(median(rates), 1) for name, rates in per_view.items()},
        "rounds": rounds,
    }
    bench.ratios["replay_vs_raw_decode"] = ratio(project_rate, raw_rate)
    log(
        f"replay: {until:,} notifications, project {project_rate:,.0f} events/s,"
        f" raw read + decode {raw_rate:,.0f} events/s"
    )
