"""GET /config: what the storefront needs to know about this deployment: its payments, its
name and tax style, and the countries it ships to (with their regions, for address forms)."""

from __future__ import annotations

import json

from fastapi import APIRouter
from sqlalchemy import select

from domain.addresses import NO_POSTAL_CODE, REGION_REQUIRED, country_name, regions_of
from projections.selling import shipping_methods
from query_api.reads import SELLING, ReadsDep
from query_api.schemas import ConfigView, CountryView
from query_api.waiting import Position
from web.app import ServicesDep

router = APIRouter(tags=["operations"])


@router.get("/config", response_model=ConfigView)
async def config(services: ServicesDep, reads: ReadsDep, position: Position) -> ConfigView:
    settings = services.settings
    await reads.caught_up(position, SELLING)
    async with reads.views.connect() as conn:
        rows = (await conn.execute(select(shipping_methods.c.countries))).all()
    codes = sorted({code for row in rows for code in json.loads(row.countries)})
    return ConfigView(
        currency=settings.currency,
        stripe_publishable_key=settings.stripe_publishable_key,
        dev_payments=settings.stripe_is_emulated,
        shop_name=settings.shop_name,
        prices_include_tax=settings.prices_include_tax,
        ships_to=[
            CountryView(
                code=code,
                name=country_name(code),
                regions=regions_of(code),
                region_required=code in REGION_REQUIRED,
                postal_code_required=code not in NO_POSTAL_CODE,
            )
            for code in codes
        ],
    )
