"""The query side: serves read models only (plus who-am-I from the accounts table)."""

from __future__ import annotations

from fastapi import FastAPI

from infra.http import create_base_app
from infra.services import Services
from infra.settings import get_settings
from query_api.routers import accounts, products


def create_app(services: Services | None = None) -> FastAPI:
    services = services or Services(get_settings())
    services.setup()
    app = create_base_app("Order platform: queries", services)
    app.include_router(accounts.router)
    app.include_router(products.router)
    return app
