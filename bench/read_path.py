"""(b) Read path: GET /products/{id} through the real gateway under uvicorn, served from the
MariaDB catalog view (the baseline) and from the Redis hot view. The query API serves product
pages from Redis whenever REDIS_URL is set, so the two variants are two gateways over the same
stores, one of them without REDIS_URL. Without the services, the SQLite catalog view alone
is measured (no ratio)."""

from __future__ import annotations

from contextlib import ExitStack

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
from workers.replay import rebuild

SAVE_CHUNK = 100


def seed_catalog(settings: Settings, count: int) -> list[str]:
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
        return [str(product.id) for product in products]
    finally:
        services.close()


def _reads(url: str, ids: list[str], config: Config) -> Load:
    def get(client: httpx.Client, i: int) -> httpx.Response:
        return client.get(f"/products/{ids[i % len(ids)]}")

    return drive(url, get, config.reads, config.concurrency, expect=200, warmup=config.warmup)


def _measurement(label: str, load: Load, rounds: int) -> Measurement:
    log(f"read: {label}: {load.rate:,.0f} requests/s")
    return Measurement(label, load.rate, {**load.details(), "rounds": rounds})


def run(config: Config, services_problem: str | None) -> Benchmark:
    bench = Benchmark(
        "read_path",
        "Read path: GET /products/{id} through the gateway",
        "requests/s",
        notes=[
            f"{config.reads:,} requests per round from {config.concurrency} keep-alive clients"
            f" over {config.products:,} products, loopback; best of {config.rounds} rounds"
        ],
    )
    if services_problem is None:
        with ExitStack() as stack:
            urls = stack.enter_context(fresh_services("read"))
            hot = bench_settings(**urls)
            sql = bench_settings(**{**urls, "redis_url": None})
            ids = seed_catalog(hot, config.products)
            sql_url = stack.enter_context(gateway(sql))
            hot_url = stack.enter_context(gateway(hot))
            best = best_of(
                config.rounds,
                {
                    "MariaDB catalog view": lambda: _reads(sql_url, ids, config),
                    "Redis hot view": lambda: _reads(hot_url, ids, config),
                },
            )
            base, variant = (_measurement(k, v, config.rounds) for k, v in best.items())
            bench.groups.append(Group("services", base, [variant]))
    else:
        bench.skipped.append(f"Redis hot view vs MariaDB catalog view: {services_problem}")
    with scratch_dir() as scratch:
        settings = bench_settings(
            event_store_url=f"sqlite:///{scratch}/events.db",
            read_store_url=f"sqlite:///{scratch}/views.db",
        )
        ids = seed_catalog(settings, config.products)
        with gateway(settings) as url:
            best = best_of(config.rounds, {"SQLite catalog view": lambda: _reads(url, ids, config)})
        ((label, load),) = best.items()
        bench.groups.append(Group("sqlite", _measurement(label, load, config.rounds)))
    return bench
