"""The query side: serves read models only (plus who-am-I from the accounts table).

Its routes are async end to end; the few that must use a blocking client (the event store
for time travel, the accounts table) say so and run that call in a worker thread.
"""

from __future__ import annotations

from fastapi import FastAPI

from infra.services import Services
from infra.settings import get_settings
from query_api.reads import Reads
from query_api.routers import (
    accounts,
    admin,
    cart,
    config,
    images,
    orders,
    products,
    selling,
)
from web.app import create_base_app


def create_app(services: Services | None = None) -> FastAPI:
    services = services or Services(get_settings())
    services.start_setup()  # serves /healthz (503) while a store is down
    reads = Reads(services)
    app = create_base_app(
        "Order platform: queries",
        services,
        probes=reads.probes,
        lifespan=reads.lifespan,
        metrics_name="query",
    )
    app.state.reads = reads
    for module in (accounts, products, images, cart, orders, admin, config, selling):
        app.include_router(module.router)
    return app
