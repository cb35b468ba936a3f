"""Run the benchmarks and write bench/results/latest.{json,md}."""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import command_path, projection, read_path
from bench.report import Benchmark, write
from bench.run_config import BENCHMARK_NAMES, Config, log
from bench.stores import services_problem

RESULTS_DIR = Path(__file__).resolve().parent / "results"

BENCHMARKS: dict[str, Callable[[Config, str | None], Benchmark]] = {
    "projection": projection.run,
    "read": read_path.run,
    "command": command_path.run,
}


def run(config: Config, out_dir: Path = RESULTS_DIR) -> dict[str, Any]:
    """Run the selected benchmarks; returns the summary it wrote to `out_dir`."""
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    generated_at = datetime.now(UTC).isoformat(timespec="seconds")
    problem = services_problem() if config.services else "not selected (SQLite only)"
    if problem is not None:
        log(f"services: {problem}")
    benchmarks = {}
    for name in config.only:
        bench = BENCHMARKS[name](config, problem)
        benchmarks[bench.key] = bench.to_json()
    summary = {
        "generated_at": generated_at,
        "seconds": round(time.monotonic() - started, 1),
        "host": {
            "platform": platform.platform(terse=True),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            # Other work on the machine skews absolute numbers more than the ratios.
            "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        },
        "config": {**asdict(config), "services_problem": problem},
        "benchmarks": benchmarks,
    }
    json_path, md_path = write(summary, out_dir)
    log(f"wrote {json_path} and {md_path} in {summary['seconds']:.0f}s")
    return summary


def parse(argv: Sequence[str] | None = None) -> tuple[Config, Path]:
    defaults = Config()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--events", type=int, default=defaults.events)
    parser.add_argument("--products", type=int, default=defaults.products)
    parser.add_argument("--reads", type=int, default=defaults.reads)
    parser.add_argument("--commands", type=int, default=defaults.commands)
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency)
    parser.add_argument("--rounds", type=int, default=defaults.rounds)
    parser.add_argument(
        "--max-transactions",
        type=int,
        default=defaults.max_transactions,
        help="(a) at most this many transactions per variant (batch 1 replays that many events)",
    )
    parser.add_argument("--sqlite-only", action="store_true", help="leave the services alone")
    parser.add_argument("--only", nargs="+", choices=BENCHMARK_NAMES, default=BENCHMARK_NAMES)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    config = replace(
        defaults,
        events=args.events,
        products=args.products,
        reads=args.reads,
        commands=args.commands,
        concurrency=args.concurrency,
        rounds=args.rounds,
        max_transactions=args.max_transactions,
        services=not args.sqlite_only,
        only=tuple(args.only),
    )
    return config, args.out


def main(argv: Sequence[str] | None = None) -> None:
    config, out_dir = parse(argv)
    run(config, out_dir)
