"""Event-to-view lag: checkouts at a steady rate; for each, the time from the command's answer
to the moment each view's stored position passes the answer's X-Event-Position.

A watcher process (bench/watch_positions.py) reads every view's stored position in a tight
loop (the positions read-your-writes waits on) and notes when each one moves. Its clock is
the same CLOCK_MONOTONIC as the load generator's, so the two timelines line up. Resolution:
one watcher cycle (a few SQL reads, a Redis GET and a 1 ms pause: about 2-4 ms).
"""

from __future__ import annotations

import bisect
import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from bench import project, shop_api
from bench.config import log
from bench.context import Bench
from bench.load import Paced, median, paced, percentile
from bench.processes import ROOT, stop

HEADLINE_VIEW = "orders"  # the view a shopper reads right after checking out
Samples = dict[str, list[tuple[float, int]]]  # view -> [(monotonic time, position)] on change


@contextmanager
def watching(bench: Bench) -> Iterator[dict[str, Samples]]:
    """The watcher process (bench/watch_positions.py) for the block's duration; the dict
    holds its samples afterwards."""
    env = project.process_env(bench.settings, "bench-watcher")
    with (bench.logs / "watcher.log").open("ab") as log_file:
        process = subprocess.Popen(
            project.watcher_command(),
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
        )
        assert process.stdin is not None and process.stdout is not None
        found: dict[str, Samples] = {}
        try:
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError(f"the position watcher did not start: see {bench.logs}")
            yield found
            process.stdin.close()  # tells it to stop and report
            found["samples"] = json.loads(process.stdout.readline())
        finally:
            stop(process)


def lags(run: Paced, samples: Samples) -> dict[str, list[float]]:
    """Per view (and "all views"): seconds from each answer until the view was first seen
    at or past the answer's position (0 when it already was)."""
    views = {name: ([t for t, _ in s], [p for _, p in s]) for name, s in samples.items()}
    found: dict[str, list[float]] = {name: [] for name in views}
    found["all views"] = []
    for answered, value in run.results:
        position = int(value)  # type: ignore[call-overload]
        per_view = []
        for name, (times, positions) in views.items():
            index = bisect.bisect_left(positions, position)  # positions only grow
            if index == len(positions):
                raise RuntimeError(f"the {name} view never reached position {position}")
            per_view.append(max(0.0, times[index] - answered))
            found[name].append(per_view[-1])
        found["all views"].append(max(per_view))
    return found


def _ms(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 50) * 1000, 1),
        "p99_ms": round(percentile(values, 99) * 1000, 1),
        "max_ms": round(max(values, default=0.0) * 1000, 1),
    }


def run(bench: Bench) -> None:
    config = bench.config
    connections = config.connections
    shoppers = shop_api.new_shoppers(bench.project_url, connections)
    products = shop_api.new_products(bench.project_url, connections, bench.admin)
    bench.settle()
    steps = [shop_api.project_flow(s, p) for s, p in zip(shoppers, products, strict=True)]
    log(f"lag: checkouts at {config.lag_rate:g}/s for {config.lag_seconds:g}s")
    with watching(bench) as watched, bench.pg.under_load("lag"):
        result = paced(bench.project_url, steps, config.lag_rate, config.lag_seconds)
        bench.settle()  # every view has passed the last answer's position
    per_view = lags(result, watched["samples"])
    reached = result.rate
    headline = _ms(per_view[HEADLINE_VIEW])
    kept_up = reached >= 0.95 * config.lag_rate
    rate_note = (
        f"at {reached:.0f} checkouts/s (asked {config.lag_rate:g}/s)"
        if kept_up
        else f"at {reached:.0f} checkouts/s, the highest rate reached ({config.lag_rate:g}/s asked)"
    )
    bench.ratios["lag_p99_ms"] = headline["p99_ms"]
    bench.measurements["lag"] = {
        "rate_asked": config.lag_rate,
        "rate_reached": round(reached, 1),
        "checkouts": len(result.results),
        "failed": result.errors,
        "clients": connections,
        "headline_view": HEADLINE_VIEW,
        "views": {name: _ms(values) for name, values in per_view.items()},
        "flow_p50_ms": round(median(result.latencies) * 1000, 1),
        "note": rate_note,
    }
    log(f"lag: {rate_note}: {HEADLINE_VIEW} view p99 {headline['p99_ms']} ms")
