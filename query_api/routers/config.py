"""GET /config: what the storefront needs to know about this deployment."""

from __future__ import annotations

from fastapi import APIRouter

from query_api.schemas import ConfigView
from web.app import ServicesDep

router = APIRouter(tags=["operations"])


@router.get("/config", response_model=ConfigView)
async def config(services: ServicesDep) -> ConfigView:
    settings = services.settings
    return ConfigView(
        currency=settings.currency,
        stripe_publishable_key=settings.stripe_publishable_key,
        dev_payments=settings.stripe_is_emulated,
    )
