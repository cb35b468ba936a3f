"""The command side: validates commands against aggregates and appends their events."""

from __future__ import annotations

from fastapi import FastAPI

from command_api.routers import (
    addresses,
    auth,
    cart,
    checkout,
    dev_payments,
    images,
    orders,
    products,
    reconciliation,
    selling,
    webhooks,
)
from infra.services import Services
from infra.settings import get_settings
from web.app import create_base_app
from web.errors import COMMAND_RESPONSES


def create_app(services: Services | None = None) -> FastAPI:
    services = services or Services(get_settings())
    services.start_setup()  # serves /healthz (503) while a store is down
    app = create_base_app("Order platform: commands", services, metrics_name="command")
    app.include_router(auth.router, responses=COMMAND_RESPONSES)
    for module in (
        products,
        images,
        cart,
        checkout,
        orders,
        reconciliation,
        webhooks,
        dev_payments,
        addresses,
        selling,
    ):
        app.include_router(module.router, responses=COMMAND_RESPONSES)
    return app
