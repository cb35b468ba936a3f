"""The query side: serves read models only (plus who-am-I from the accounts table)."""

from __future__ import annotations

from fastapi import FastAPI

from infra.services import Services
from infra.settings import get_settings
from query_api.routers import accounts, cart, config, orders, products
from web.app import create_base_app


def create_app(services: Services | None = None) -> FastAPI:
    services = services or Services(get_settings())
    services.setup()
    app = create_base_app("Order platform: queries", services, metrics_name="query")
    for module in (accounts, products, cart, orders, config):
        app.include_router(module.router)
    return app
