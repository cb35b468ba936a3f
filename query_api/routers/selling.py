"""What the shop sells by, from the selling view: the shipping methods a shopper may choose
for a country, and (staff) every shipping method, tax rate and discount code."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from domain.addresses import check_country
from domain.errors import InvalidFields
from projections.selling import discount_codes, shipping_methods, tax_rates
from query_api.order_views import STAFF
from query_api.reads import SELLING, ReadsDep
from query_api.waiting import Position
from web.auth import Principal, require_role
from web.errors import InvalidInput
from web.schemas import DiscountCodeOut, ShippingMethodOut, TaxRateOut

router = APIRouter(tags=["selling"])
T = TypeVar("T")
Staff = Annotated[Principal, Depends(require_role(*STAFF))]


class ShippingOption(BaseModel):
    id: str
    name: str
    price: int
    currency: str
    free_above: int | None
    min_days: int
    max_days: int


class Items(BaseModel, Generic[T]):
    items: list[T]


def _method(row: Any) -> ShippingMethodOut:
    method = {
        "name": row.name,
        "countries": json.loads(row.countries),
        "rates": json.loads(row.rates),
        "min_days": row.min_days,
        "max_days": row.max_days,
    }
    return ShippingMethodOut.of(row.id, method)


async def _methods(reads: Any) -> list[ShippingMethodOut]:
    async with reads.views.connect() as conn:
        rows = (
            await conn.execute(select(shipping_methods).order_by(shipping_methods.c.position))
        ).all()
    return [_method(row) for row in rows]


@router.get("/shipping-methods", response_model=Items[ShippingOption])
async def shipping_options(
    reads: ReadsDep,
    position: Position,
    country: Annotated[str, Query(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")],
    currency: Annotated[
        str | None, Query(pattern=r"^[A-Za-z]{3}$", description="price in this currency")
    ] = None,
) -> Items[ShippingOption]:
    """The methods that ship to `country` (in `currency`, when given), cheapest first."""
    try:
        code = check_country(country)
    except InvalidFields:
        raise InvalidInput(
            "country", "must be an ISO 3166-1 alpha-2 code, such as DE", "query"
        ) from None
    await reads.caught_up(position, SELLING)
    options = []
    for method in await _methods(reads):
        if code not in method.countries:
            continue
        rates = [r for r in method.rates if currency is None or r.currency == currency.upper()]
        if rates:
            rate = rates[0]
            options.append(
                ShippingOption(
                    id=method.id,
                    name=method.name,
                    price=rate.price,
                    currency=rate.currency,
                    free_above=rate.free_above,
                    min_days=method.min_days,
                    max_days=method.max_days,
                )
            )
    options.sort(key=lambda o: (o.price, o.max_days, o.name))
    return Items[ShippingOption](items=options)


@router.get("/admin/shipping-methods", response_model=Items[ShippingMethodOut])
async def all_shipping_methods(
    user: Staff, reads: ReadsDep, position: Position
) -> Items[ShippingMethodOut]:
    await reads.caught_up(position, SELLING)
    return Items[ShippingMethodOut](items=await _methods(reads))


@router.get("/admin/tax-rates", response_model=Items[TaxRateOut])
async def all_tax_rates(user: Staff, reads: ReadsDep, position: Position) -> Items[TaxRateOut]:
    await reads.caught_up(position, SELLING)
    async with reads.views.connect() as conn:
        rows = (await conn.execute(select(tax_rates).order_by(tax_rates.c.country))).all()
    return Items[TaxRateOut](
        items=[TaxRateOut.model_validate(row, from_attributes=True) for row in rows]
    )


def _code(row: Any) -> DiscountCodeOut:
    terms = json.loads(row.terms)
    for name in ("starts_at", "ends_at"):
        if terms.get(name):
            terms[name] = datetime.fromisoformat(terms[name])
    terms["product_ids"] = [UUID(p) for p in terms.get("product_ids", [])]
    return DiscountCodeOut(id=row.id, code=row.code, uses=row.uses, **terms)


@router.get("/admin/discount-codes", response_model=Items[DiscountCodeOut])
async def all_discount_codes(
    user: Staff, reads: ReadsDep, position: Position
) -> Items[DiscountCodeOut]:
    """Codes not deleted, newest first, with the uses orders hold."""
    await reads.caught_up(position, SELLING)
    async with reads.views.connect() as conn:
        rows = (
            await conn.execute(
                select(discount_codes)
                .where(discount_codes.c.retired.is_(False))
                .order_by(discount_codes.c.created_at.desc())
            )
        ).all()
    return Items[DiscountCodeOut](items=[_code(row) for row in rows])
