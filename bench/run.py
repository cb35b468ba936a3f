"""`python -m bench` (= `make bench`): the project against bare baselines in the same run, on
PostgreSQL + MariaDB + Redis; results in bench/results/latest.{json,md}. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import checkout, growth, lag, project, reads, replay, shop_api, storms
from bench.config import SECTIONS, Config, log
from bench.context import Bench, load_average
from bench.pg_monitor import PgConnections
from bench.processes import free_port, running
from bench.report import verdicts, write
from bench.stores import fresh_stores, services_problem

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ADMIN = ("benchadmin", "bench admin password")
MIN_ROUNDS = 3


@contextmanager
def gateway(bench: Bench, payments: str, **env: str) -> Iterator[None]:
    port = free_port()
    with running(
        f"gateway-{payments}",
        project.gateway_command(port, payments),
        project.process_env(bench.settings, project.GATEWAY_APP_NAME, **env),
        bench.logs,
        port,
    ):
        bench.project_url = f"http://127.0.0.1:{port}"
        bench.admin = shop_api.admin_headers(bench.project_url, *ADMIN)
        yield


@contextmanager
def worker(bench: Bench) -> Iterator[None]:
    port = free_port()
    env = project.process_env(bench.settings, project.WORKER_APP_NAME)
    with running("worker", project.worker_command(port), env, bench.logs, port, "/healthz"):
        yield


@contextmanager
def baselines(bench: Bench) -> Iterator[None]:
    tables = project.view_tables()
    env = project.clean_env()
    env.update(
        PGAPPNAME="bench-bare",
        BENCH_BARE_PG_DBNAME=bench.stores.bare_database,
        BENCH_REDIS_URL=bench.stores.redis_url,
        BENCH_PRODUCT_KEY=project.product_key_template(bench.stores.name),
        BENCH_MYSQL_DB=bench.stores.name,
        BENCH_CATALOG_TABLE=tables["catalog"],
        BENCH_HISTORY_TABLE=tables["history"],
    )
    command = [sys.executable, "-m", "bench.serve"]
    checkout_port, reads_port = free_port(), free_port()
    with (
        running(
            "bare-checkout",
            [*command, "bare-checkout", "--port", str(checkout_port)],
            env,
            bench.logs,
            checkout_port,
        ),
        running(
            "bare-reads",
            [*command, "bare-reads", "--port", str(reads_port)],
            env,
            bench.logs,
            reads_port,
        ),
    ):
        bench.bare_checkout_url = f"http://127.0.0.1:{checkout_port}"
        bench.bare_reads_url = f"http://127.0.0.1:{reads_port}"
        yield


def _sections(bench: Bench, names: Sequence[str], loads: dict[str, float]) -> None:
    runners = {"checkout": checkout.run, "lag": lag.run, "reads": reads.run, "growth": growth.run}
    for name in names:
        if name in bench.config.sections:
            loads[name] = load_average()
            log(f"{name}: starting (load average {loads[name]})")
            runners[name](bench)


def measure(config: Config, logs: Path) -> tuple[Bench, dict[str, float]]:
    loads: dict[str, float] = {}
    with ExitStack() as stack:
        stores = stack.enter_context(fresh_stores())
        settings = project.settings_for(
            stores.event_store_url, stores.read_store_url, stores.redis_url, stores.name
        )
        harness = stack.enter_context(project.services(settings))
        pg = PgConnections(stores.name, [project.GATEWAY_APP_NAME, project.WORKER_APP_NAME])
        bench = Bench(config, stores, settings, harness, logs, pg)
        project.create_admin(harness, *ADMIN)
        log(f"stores {stores.name} ready; starting the worker and the baselines")
        with worker(bench), baselines(bench):
            with gateway(bench, "instant"):
                _sections(bench, ("checkout", "lag", "reads", "growth"), loads)
            if "emulated" in config.sections:
                from entrypoints.stripe_emulator import EmulatorProcess

                loads["emulated"] = load_average()
                with (
                    EmulatorProcess() as emulator,
                    gateway(bench, "emulator", STRIPE_API_BASE=emulator.url),
                ):
                    checkout.run_emulated(bench, emulator.flush)
        if "replay" in config.sections:
            loads["replay"] = load_average()
            replay.run(bench)
        if "storms" in config.sections:
            loads["storms"] = load_average()
            storms.run(bench)
        if pg.samples:
            bench.ratios["pg_connections"] = pg.peak
            bench.measurements["pg_connections"] = pg.report()
    return bench, loads


def notes(bench: Bench) -> list[str]:
    config = bench.config
    found = [
        "checkout figures: the gateway runs with its payment port replaced by an instant"
        " in-process stand-in (InstantPayments in bench/project.py, installed by"
        " bench/serve.py), so they measure the shop, not the provider;"
        " checkout_emulated_vs_bare is the same flow with the Stripe SDK against localstripe.",
        f"ratios at {config.connections} connections; every connection count's figures are in"
        " latest.json under measurements.",
        "the project runs as `make run` runs it: the gateway process (uvicorn, `shop serve`'s"
        " options) and the worker process (`shop worker`); the load generator is the harness"
        " process.",
    ]
    if "lag" in bench.measurements:
        found.append(f"lag_p99_ms: {bench.measurements['lag']['note']}.")
    found += bench.notes
    return found


def run(config: Config, out_dir: Path = RESULTS_DIR) -> dict[str, Any]:
    """Measure, write `out_dir`/latest.{json,md}, and return what was written."""
    problem = services_problem()
    if problem is not None:
        raise SystemExit(
            f"bench: PostgreSQL, MariaDB and Redis must run on 127.0.0.1 (`make services`): "
            f"{problem}"
        )
    started, load_start = time.monotonic(), load_average()
    generated_at = datetime.now(UTC).isoformat(timespec="seconds")
    logs = Path(tempfile.mkdtemp(prefix="bench-logs-"))
    saved = os.environ.get("PGAPPNAME")
    os.environ["PGAPPNAME"] = project.HARNESS_APP_NAME  # names the harness's own connections
    try:
        bench, loads = measure(config, logs)
    except BaseException:
        log(f"failed; the servers' logs are kept in {logs}")
        raise
    finally:
        if saved is None:
            os.environ.pop("PGAPPNAME", None)
        else:
            os.environ["PGAPPNAME"] = saved
    shutil.rmtree(logs, ignore_errors=True)
    summary = {
        "generated_at": generated_at,
        "mode": config.mode,
        "stores": bench.stores.name,  # dropped by the end of the run
        "seconds": round(time.monotonic() - started, 1),
        "host": {
            "platform": platform.platform(terse=True),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            # The machine is shared: other work moves absolute numbers more than ratios.
            "load_average_1m": {"start": load_start, "end": load_average(), "sections": loads},
        },
        "config": {**asdict(config), "connections": config.connections},
        "ratios": bench.ratios,
        "targets": verdicts(bench.ratios),
        "measurements": bench.measurements,
        "notes": notes(bench),
    }
    json_path, md_path = write(summary, out_dir)
    log(f"wrote {json_path} and {md_path} in {summary['seconds']:.0f}s")
    return summary


def parse(argv: Sequence[str] | None = None) -> tuple[Config, Path]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter runs, smaller histories")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--rounds", type=int, help=f"runs per side (at least {MIN_ROUNDS})")
    parser.add_argument("--seconds", type=float, help="timed seconds per run")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="where to write results")
    args = parser.parse_args(argv)
    config = Config.quick() if args.quick else Config()
    if args.only:
        config = replace(config, sections=tuple(args.only), mode=config.mode + " (partial)")
    if args.rounds is not None:
        if args.rounds < MIN_ROUNDS:
            parser.error(f"--rounds must be at least {MIN_ROUNDS}: figures are medians of runs")
        config = replace(config, rounds=args.rounds)
    if args.seconds is not None:
        config = replace(config, run_seconds=args.seconds)
    return config, args.out


def main(argv: Sequence[str] | None = None) -> None:
    config, out_dir = parse(argv)
    run(config, out_dir)
