"""(a) Projection throughput: the same product events replayed into the catalog view through
the real rebuild (lease, reset, ViewStore.commit), one transaction per event (the baseline)
against batches of 100 and 500, on SQLite and on MariaDB.

The events come from one SQLite event store for every variant, so only the view store and
the batch size change between them.
"""

from __future__ import annotations

import math
from contextlib import ExitStack

from sqlalchemy import func, select

from bench.report import Benchmark, Group, Measurement
from bench.run_config import Config, log
from bench.stores import bench_settings, fresh_services, scratch_dir
from domain.products import Product
from domain.shop import Shop
from infra.services import Services
from infra.settings import Settings
from projections.catalog import catalog_products
from workers.replay import rebuild

SAVE_CHUNK = 100  # aggregates per transaction while seeding


def store_product_events(shop: Shop, count: int) -> int:
    """Store exactly `count` product events (listings, then revisions of details, price and
    stock); returns how many products they make."""
    stored = products = 0
    pending: list[Product] = []
    while stored < count:
        product = Product.list_new(
            name=f"Benchmark product {products}",
            description="A product for the projection benchmark",
            price=1000 + products % 500,
            currency="EUR",
            stock=100,
        )
        changes = min(3, count - stored - 1)  # revise() records one event per kind of change
        if changes:
            product.revise(
                name=product.name + " (revised)",
                description=product.description,
                price=product.price + (1 if changes >= 2 else 0),
                currency=product.currency,
                stock=product.stock - (1 if changes >= 3 else 0),
            )
        stored += 1 + changes
        products += 1
        pending.append(product)
        if len(pending) == SAVE_CHUNK:
            shop.save(*pending)
            pending.clear()
    if pending:
        shop.save(*pending)
    return products


def run(config: Config, services_problem: str | None) -> Benchmark:
    bench = Benchmark(
        "projection_throughput",
        f"Projection throughput: {config.events:,} product events into the catalog view",
        "events/s",
        notes=[
            "event store: SQLite for every variant; ratio: to one transaction per event",
            f"each variant replays at most {config.max_transactions:,} transactions"
            " (batch 1: the first events only)",
        ],
    )
    with ExitStack() as stack:
        scratch = stack.enter_context(scratch_dir())
        events_url = f"sqlite:///{scratch}/events.db"
        seeding = Services(bench_settings(event_store_url=events_url))
        try:
            products = store_product_events(seeding.shop, config.events)
        finally:
            seeding.close()
        log(f"projection: stored {config.events:,} events ({products:,} products)")
        targets = [("SQLite catalog view", f"sqlite:///{scratch}/views.db")]
        if services_problem is None:
            urls = stack.enter_context(fresh_services("projection"))
            targets.append(("MariaDB catalog view", urls["read_store_url"]))
        else:
            bench.skipped.append(f"MariaDB catalog view: {services_problem}")
        for name, read_url in targets:
            settings = bench_settings(event_store_url=events_url, read_store_url=read_url)
            bench.groups.append(_batches(name, settings, config))
    return bench


def _batches(name: str, settings: Settings, config: Config) -> Group:
    services = Services(settings)
    try:
        measured = []
        for size in config.batch_sizes:
            # A fresh SQLite store numbers its events 1..N without holes.
            until = min(config.events, size * config.max_transactions)
            result = rebuild(services, "catalog", batch_size=size, until=until)
            with services.read_engine.connect() as conn:
                rows = conn.execute(select(func.count()).select_from(catalog_products)).scalar()
            if (result.events, result.position, rows) != (until, until, math.ceil(until / 4)):
                raise RuntimeError(f"{name}: the replay stopped short: {result}, {rows} rows")
            log(f"projection: {name}, batch {size}: {result.rate:,.0f} events/s")
            measured.append(
                Measurement(
                    f"batch {size}",
                    result.rate,
                    {
                        "events": result.events,
                        "transactions": math.ceil(result.events / size),
                        "seconds": round(result.seconds, 2),
                    },
                )
            )
    finally:
        services.close()
    return Group(name, measured[0], measured[1:])
