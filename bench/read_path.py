"""(b) Read path: GET /products/{id} through the real gateway under uvicorn, served from the
MariaDB catalog view (the baseline) and from the Redis hot view. The query API serves product
pages from Redis whenever REDIS_URL is set, so the two variants are two gateways over the same
stores, one of them without REDIS_URL. The store lookups the route makes are also timed on
their own (in process, no HTTP), to show how much of a request they are. Without the
services, the SQLite catalog view alone is measured (no ratio)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import ExitStack
from uuid import UUID

import httpx

from bench.gateway import gateway
from bench.load import Load, best_of, drive
from bench.report import Benchmark, Group, Measurement
from bench.run_config import Config, log
from bench.stores import bench_settings, fresh_services, scratch_dir
from domain.products import Product
from infra.services import Services
from infra.settings import Settings
from projections.registry import projections_for
from query_api.reads import Reads
from query_api.routers.products import _from_redis, _from_sql
from workers.replay import rebuild

SAVE_CHUNK = 100


def seed_catalog(settings: Settings, count: int) -> list[UUID]:
    """`count` listed products, projected into every view (through the rebuild)."""
    services = Services(settings)
    try:
        services.setup()
        products = [
            Product.list_new(
                name=f"Product {i}",
                description="For the read benchmark " * 4,
                price=500 + i,
                currency="EUR",
                stock=10 + i % 90,
            )
            for i in range(count)
        ]
        for start in range(0, count, SAVE_CHUNK):
            services.shop.save(*products[start : start + SAVE_CHUNK])
        for projection in projections_for(settings):
            rebuild(services, projection.name)
        return [product.id for product in products]
    finally:
        services.close()


def _requests(url: str, ids: list[UUID], config: Config) -> Callable[[], Load]:
    def get(client: httpx.Client, i: int) -> httpx.Response:
        return client.get(f"/products/{ids[i % len(ids)]}")

    return lambda: drive(
        url, get, config.reads, config.concurrency, expect=200, warmup=config.warmup
    )


def _lookups(services: Services, ids: list[UUID], config: Config) -> Callable[[], Load]:
    """The route's own store lookup, one caller: Redis when configured, else the SQL view."""
    return lambda: asyncio.run(_timed_lookups(services, ids, config))


async def _timed_lookups(services: Services, ids: list[UUID], config: Config) -> Load:
    reads = Reads(services)  # the query side's async clients, as the route uses them
    lookup = _from_redis if reads.views.redis is not None else _from_sql
    try:
        latencies = []
        for i in range(config.warmup + config.reads):
            started = time.perf_counter()
            found = await lookup(reads, ids[i % len(ids)])
            latencies.append(time.perf_counter() - started)
            if found is None:
                raise RuntimeError(f"product {ids[i % len(ids)]} is missing from the view")
    finally:
        await reads.close()
    timed = latencies[config.warmup :]
    return Load(len(timed), sum(timed), timed)


def _group(name: str, runs: dict[str, Callable[[], Load]], config: Config) -> Group:
    measured = []
    for label, load in best_of(config.rounds, runs).items():
        log(f"read: {name}: {label}: {load.rate:,.0f}/s")
        measured.append(Measurement(label, load.rate, {**load.details(), "rounds": config.rounds}))
    return Group(name, measured[0], measured[1:])


def run(config: Config, services_problem: str | None) -> Benchmark:
    bench = Benchmark(
        "read_path",
        "Read path: GET /products/{id}",
        "requests/s",
        notes=[
            f"over HTTP: {config.reads:,} requests per round from {config.concurrency}"
            f" keep-alive clients over {config.products:,} products, loopback;"
            f" best of {config.rounds} rounds",
            "store lookup only: the route's lookup function called in process, one caller"
            " (lookups/s)",
        ],
    )
    with ExitStack() as stack:
        if services_problem is None:
            urls = stack.enter_context(fresh_services("read"))
            hot = bench_settings(**urls)
            sql = bench_settings(**{**urls, "redis_url": None})
            ids = seed_catalog(hot, config.products)
            http = {
                "MariaDB catalog view": _requests(stack.enter_context(gateway(sql)), ids, config),
                "Redis hot view": _requests(stack.enter_context(gateway(hot)), ids, config),
            }
            bench.groups.append(_group("services, over HTTP", http, config))
            sql_services, hot_services = Services(sql), Services(hot)
            stack.callback(sql_services.close)
            stack.callback(hot_services.close)
            lookups = {
                "MariaDB catalog view": _lookups(sql_services, ids, config),
                "Redis hot view": _lookups(hot_services, ids, config),
            }
            bench.groups.append(_group("services, store lookup only", lookups, config))
        else:
            bench.skipped.append(f"Redis hot view vs MariaDB catalog view: {services_problem}")
    with ExitStack() as stack:
        scratch = stack.enter_context(scratch_dir())
        settings = bench_settings(
            event_store_url=f"sqlite:///{scratch}/events.db",
            read_store_url=f"sqlite:///{scratch}/views.db",
        )
        ids = seed_catalog(settings, config.products)
        url = stack.enter_context(gateway(settings))
        http = {"SQLite catalog view": _requests(url, ids, config)}
        bench.groups.append(_group("sqlite, over HTTP", http, config))
        services = Services(settings)
        stack.callback(services.close)
        lookups = {"SQLite catalog view": _lookups(services, ids, config)}
        bench.groups.append(_group("sqlite, store lookup only", lookups, config))
    return bench
