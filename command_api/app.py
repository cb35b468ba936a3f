"""The command side: validates commands against aggregates and appends their events."""

from __future__ import annotations

from fastapi import FastAPI

from command_api.routers import auth, products
from infra.http import create_base_app
from infra.services import Services
from infra.settings import get_settings


def create_app(services: Services | None = None) -> FastAPI:
    services = services or Services(get_settings())
    services.setup()
    app = create_base_app("Order platform: commands", services)
    app.include_router(auth.router)
    app.include_router(products.router)
    return app
