"""(c) Command path: POST /products through the real gateway under uvicorn, with the embedded
SQLite event store (the baseline) and with PostgreSQL. The read store (SQLite) plays no part
in a command; no worker runs."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import httpx

from bench.gateway import gateway
from bench.load import Load, best_of, drive
from bench.report import Benchmark, Group, Measurement
from bench.run_config import Config, log
from bench.stores import bench_settings, fresh_services, scratch_dir
from infra.services import Services
from infra.settings import Settings

ADMIN_PASSWORD = "benchmark admin password"


@contextmanager
def admin_gateway(settings: Settings) -> Iterator[tuple[str, dict[str, str]]]:
    """The gateway, and the headers of an admin logged in through it."""
    name = "benchadmin" + uuid.uuid4().hex[:8]
    services = Services(settings)
    try:
        services.setup()
        services.accounts.register(name, f"{name}@example.com", ADMIN_PASSWORD, role="admin")
    finally:
        services.close()
    with gateway(settings) as url:
        login = httpx.post(
            f"{url}/login", json={"username": name, "password": ADMIN_PASSWORD}, timeout=30
        )
        login.raise_for_status()
        yield url, {"Authorization": f"Bearer {login.json()['access_token']}"}


def _posts(url: str, headers: dict[str, str], config: Config) -> Load:
    def post(client: httpx.Client, i: int) -> httpx.Response:
        body = {"name": f"Product {i}", "description": "Benchmark", "price": 100 + i, "stock": 5}
        return client.post("/products", json=body)

    return drive(
        url,
        post,
        config.commands,
        config.concurrency,
        expect=201,
        warmup=config.warmup,
        headers=headers,
    )


def run(config: Config, services_problem: str | None) -> Benchmark:
    bench = Benchmark(
        "command_path",
        "Command path: POST /products through the gateway",
        "commands/s",
        notes=[
            f"{config.commands:,} commands per round from {config.concurrency} keep-alive"
            f" clients, loopback; best of {config.rounds} rounds"
        ],
    )
    with ExitStack() as stack:
        scratch = stack.enter_context(scratch_dir())
        stores = {
            "SQLite event store": bench_settings(
                event_store_url=f"sqlite:///{scratch}/events.db",
                read_store_url=f"sqlite:///{scratch}/views.db",
            )
        }
        if services_problem is None:
            urls = stack.enter_context(fresh_services("command"))
            stores["PostgreSQL event store"] = bench_settings(
                event_store_url=urls["event_store_url"],
                read_store_url=f"sqlite:///{scratch}/pg-views.db",
            )
        else:
            bench.skipped.append(f"PostgreSQL event store: {services_problem}")
        runs = {}
        for label, settings in stores.items():
            url, headers = stack.enter_context(admin_gateway(settings))
            runs[label] = _bind(url, headers, config)
        best = best_of(config.rounds, runs)
    measured = []
    for label, load in best.items():
        log(f"command: {label}: {load.rate:,.0f} commands/s")
        measured.append(Measurement(label, load.rate, {**load.details(), "rounds": config.rounds}))
    bench.groups.append(Group("event store", measured[0], measured[1:]))
    return bench


def _bind(url: str, headers: dict[str, str], config: Config) -> Callable[[], Load]:
    return lambda: _posts(url, headers, config)
