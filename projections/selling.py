"""The selling view (SQL): shipping methods, tax rates and discount codes as admins set them,
for the admin pages and GET /shipping-methods; a discount code's uses as orders hold them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Integer, String, Table, Text, Uuid

from domain.discounts import DiscountCode
from domain.shipping import ShippingBook
from domain.taxes import TaxBook, rate_id_for
from infra.read_store import UTCDateTime, views_metadata
from projections.base import SqlProjection, handles
from projections.batch import Plan, ViewBatch

shipping_methods = Table(
    "shipping_methods",
    views_metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("countries", Text, nullable=False),  # JSON list of ISO 3166-1 alpha-2 codes
    Column("rates", Text, nullable=False),  # JSON {currency: {price, free_above}}, first = main
    Column("min_days", Integer, nullable=False),
    Column("max_days", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),  # when it was last set
)

tax_rates = Table(
    "tax_rates",
    views_metadata,
    Column("id", String(36), primary_key=True),
    Column("country", String(2), nullable=False, unique=True),
    Column("rate_bp", Integer, nullable=False),
    Column("reduced_rate_bp", Integer),
)

discount_codes = Table(
    "discount_codes",
    views_metadata,
    Column("id", Uuid, primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("terms", Text, nullable=False),  # JSON of domain.discounts.Terms
    Column("uses", Integer, nullable=False),
    Column("retired", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)


def _terms_json(terms: dict[str, Any]) -> str:
    def plain(value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime) else value

    return json.dumps({k: plain(v) for k, v in terms.items()}, sort_keys=True)


class SellingView(SqlProjection):
    name = "selling"
    tables = (shipping_methods, tax_rates, discount_codes)

    def plan(self, event: Any, plan: Plan) -> None:
        if isinstance(event, ShippingBook.ShippingMethodSet | ShippingBook.ShippingMethodRemoved):
            plan.load(shipping_methods.c.id, event.method_id)
        elif isinstance(event, TaxBook.TaxRateSet | TaxBook.TaxRateRemoved):
            plan.load(tax_rates.c.id, rate_id_for(event.country))
        elif isinstance(event, DiscountCode.DiscountCodeCreated):
            plan.fresh(discount_codes.c.id, event.originator_id)
        elif isinstance(event, DiscountCode.Event):
            plan.load(discount_codes.c.id, event.originator_id)

    @handles(ShippingBook.ShippingMethodSet)
    def _method(self, view: ViewBatch, event: Any, position: int) -> None:
        row = {
            "name": event.name,
            "countries": json.dumps(event.countries),
            "rates": json.dumps(event.rates),
            "min_days": event.min_days,
            "max_days": event.max_days,
            "position": position,
        }
        if not view.update(shipping_methods, event.method_id, **row):
            view.insert(shipping_methods, id=event.method_id, **row)

    @handles(ShippingBook.ShippingMethodRemoved)
    def _method_removed(self, view: ViewBatch, event: Any, position: int) -> None:
        view.delete(shipping_methods, event.method_id)

    @handles(TaxBook.TaxRateSet)
    def _rate(self, view: ViewBatch, event: Any, position: int) -> None:
        rate_id = rate_id_for(event.country)
        row = {"rate_bp": event.rate_bp, "reduced_rate_bp": event.reduced_rate_bp}
        if not view.update(tax_rates, rate_id, **row):
            view.insert(tax_rates, id=rate_id, country=event.country, **row)

    @handles(TaxBook.TaxRateRemoved)
    def _rate_removed(self, view: ViewBatch, event: Any, position: int) -> None:
        view.delete(tax_rates, rate_id_for(event.country))

    @handles(DiscountCode.DiscountCodeCreated)
    def _code(self, view: ViewBatch, event: Any, position: int) -> None:
        view.insert(
            discount_codes,
            id=event.originator_id,
            code=event.code,
            terms=_terms_json(event.terms),
            uses=0,
            retired=False,
            created_at=event.timestamp,
            updated_at=event.timestamp,
        )

    @handles(DiscountCode.DiscountCodeRevised)
    def _code_revised(self, view: ViewBatch, event: Any, position: int) -> None:
        view.update(
            discount_codes,
            event.originator_id,
            terms=_terms_json(event.terms),
            updated_at=event.timestamp,
        )

    @handles(DiscountCode.DiscountCodeRetired)
    def _code_retired(self, view: ViewBatch, event: Any, position: int) -> None:
        view.update(discount_codes, event.originator_id, retired=True, updated_at=event.timestamp)

    @handles(DiscountCode.DiscountCodeRedeemed)
    def _redeemed(self, view: ViewBatch, event: Any, position: int) -> None:
        view.update(discount_codes, event.originator_id, {"uses": 1}, updated_at=event.timestamp)

    @handles(DiscountCode.DiscountCodeReleased)
    def _released(self, view: ViewBatch, event: Any, position: int) -> None:
        view.update(discount_codes, event.originator_id, {"uses": -1}, updated_at=event.timestamp)
