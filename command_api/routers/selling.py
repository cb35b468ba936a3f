"""What the shop sells by (admins): shipping methods and their zones, tax rates per country,
discount codes. Each change is an event; the query API lists them from their views."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, model_validator

from command_api.schemas import Currency, MinorUnits, NoControl
from domain.discounts import DiscountCode, Terms
from domain.shipping import MAX_DAYS
from domain.taxes import rate_id_for
from web.app import ServicesDep
from web.auth import AdminUser
from web.errors import InvalidInput
from web.headers import set_position
from web.schemas import DiscountCodeOut, ShippingMethodOut, TaxRateOut

router = APIRouter(tags=["selling"])

Days = Annotated[int, Field(strict=True, ge=0, le=MAX_DAYS)]
Country = Annotated[str, Field(min_length=2, max_length=2), NoControl]


class ShippingRateIn(BaseModel):
    currency: Currency
    price: MinorUnits
    free_above: MinorUnits | None = None


class ShippingMethodIn(BaseModel):
    """A method: its zone (countries), its price in `currency` (free from `free_above`), more
    currencies in `rates`, and its delivery estimate in days."""

    name: Annotated[str, Field(min_length=1, max_length=100), NoControl]
    countries: Annotated[list[Country], Field(min_length=1, max_length=250)]
    price: MinorUnits
    currency: Currency
    free_above: MinorUnits | None = None
    min_days: Days = 0
    max_days: Days = 0
    rates: Annotated[list[ShippingRateIn], Field(max_length=50)] = []

    def fields(self) -> dict[str, Any]:
        rates: dict[str, dict[str, int | None]] = {
            self.currency.upper(): {"price": self.price, "free_above": self.free_above}
        }
        for rate in self.rates:
            rates.setdefault(
                rate.currency.upper(), {"price": rate.price, "free_above": rate.free_above}
            )
        return {
            "name": self.name,
            "countries": [c.upper() for c in self.countries],
            "rates": rates,
            "min_days": self.min_days,
            "max_days": self.max_days,
        }


def _basis_points(value: Any, field: str) -> int | None:
    """A rate given as a percentage (19, "7.7"): in basis points."""
    if value is None:
        return None
    try:
        points = Decimal(str(value)) * 100
    except InvalidOperation:
        raise InvalidInput(field, "must be a percentage such as 19 or 7.7") from None
    if points != points.to_integral_value() or not 0 <= points <= 10_000:
        raise InvalidInput(field, "must be a percentage from 0 to 100, to two decimals")
    return int(points)


class TaxRateIn(BaseModel):
    """A country's rates in basis points (`rate_bp`: 1900 = 19 %), or as percentages
    (`rate`: 19 or "7.7"); the reduced rate is optional."""

    country: Country
    rate_bp: Annotated[int, Field(strict=True, ge=0, le=10_000)] | None = None
    reduced_rate_bp: Annotated[int, Field(strict=True, ge=0, le=10_000)] | None = None
    rate: float | str | None = None
    reduced_rate: float | str | None = None

    @model_validator(mode="after")
    def _one_rate(self) -> TaxRateIn:
        if (self.rate_bp is None) == (self.rate is None):
            raise ValueError("give the rate as rate_bp (basis points) or as rate (a percentage)")
        return self

    def points(self) -> tuple[int, int | None]:
        rate = self.rate_bp if self.rate_bp is not None else _basis_points(self.rate, "rate")
        reduced = (
            self.reduced_rate_bp
            if self.reduced_rate_bp is not None
            else _basis_points(self.reduced_rate, "reduced_rate")
        )
        assert rate is not None
        return rate, reduced


class DiscountCodeIn(BaseModel):
    """A percentage off, or a fixed amount in a currency; when and how often it may be used;
    on the whole order or on the listed products."""

    code: Annotated[str, Field(min_length=2, max_length=40), NoControl]
    percent_off: Annotated[int, Field(strict=True, ge=1, le=100)] | None = None
    amount_off: Annotated[int, Field(strict=True, ge=1, le=10**12)] | None = None
    currency: Currency | None = None
    min_subtotal: MinorUnits | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    max_uses: Annotated[int, Field(strict=True, ge=1)] | None = None
    max_uses_per_customer: Annotated[int, Field(strict=True, ge=1)] | None = None
    product_ids: Annotated[list[UUID], Field(max_length=500)] = []

    def terms(self) -> Terms:
        fields = self.model_dump(exclude={"code"})
        fields["product_ids"] = [str(p) for p in self.product_ids]
        return Terms.check(**fields)


def code_out(code: DiscountCode) -> DiscountCodeOut:
    terms = code.terms
    return DiscountCodeOut(
        id=code.id,
        code=code.code,
        uses=code.uses,
        **{**terms.as_dict(), "product_ids": [UUID(p) for p in terms.product_ids]},
    )


def _no_content(position: int) -> Response:
    response = Response(status_code=204)
    set_position(response, position)
    return response


# -- shipping methods --------------------------------------------------------------------------


@router.post("/admin/shipping-methods", status_code=201, response_model=ShippingMethodOut)
def add_shipping_method(
    body: ShippingMethodIn, admin: AdminUser, services: ServicesDep, response: Response
) -> ShippingMethodOut:
    fields = body.fields()
    method_id, position = services.shop.set_shipping_method(None, **fields)
    set_position(response, position)
    response.headers["Location"] = f"/admin/shipping-methods/{method_id}"
    return ShippingMethodOut.of(method_id, fields)


@router.put("/admin/shipping-methods/{method_id}", response_model=ShippingMethodOut)
def replace_shipping_method(
    method_id: UUID,
    body: ShippingMethodIn,
    admin: AdminUser,
    services: ServicesDep,
    response: Response,
) -> ShippingMethodOut:
    fields = body.fields()
    _, position = services.shop.set_shipping_method(str(method_id), **fields)
    set_position(response, position)
    return ShippingMethodOut.of(str(method_id), fields)


@router.delete("/admin/shipping-methods/{method_id}", status_code=204, response_class=Response)
def remove_shipping_method(method_id: UUID, admin: AdminUser, services: ServicesDep) -> Response:
    return _no_content(services.shop.remove_shipping_method(str(method_id)))


# -- tax rates ---------------------------------------------------------------------------------


@router.post("/admin/tax-rates", status_code=201, response_model=TaxRateOut)
def add_tax_rate(
    body: TaxRateIn, admin: AdminUser, services: ServicesDep, response: Response
) -> TaxRateOut:
    """One rate per country: a second POST for it is a 409 (change it with PUT)."""
    rate, reduced = body.points()
    rate_id, position = services.shop.set_tax_rate(body.country, rate, reduced, new=True)
    set_position(response, position)
    return TaxRateOut(
        id=rate_id, country=body.country.upper(), rate_bp=rate, reduced_rate_bp=reduced
    )


@router.put("/admin/tax-rates/{rate_id}", response_model=TaxRateOut)
def change_tax_rate(
    rate_id: UUID, body: TaxRateIn, admin: AdminUser, services: ServicesDep, response: Response
) -> TaxRateOut:
    country = services.shop.tax_country(str(rate_id))
    if body.country.upper() != country:
        raise InvalidInput("country", f"this rate is {country}'s; add another country with POST")
    rate, reduced = body.points()
    _, position = services.shop.set_tax_rate(country, rate, reduced, new=False)
    set_position(response, position)
    return TaxRateOut(
        id=rate_id_for(country), country=country, rate_bp=rate, reduced_rate_bp=reduced
    )


@router.delete("/admin/tax-rates/{rate_id}", status_code=204, response_class=Response)
def remove_tax_rate(rate_id: UUID, admin: AdminUser, services: ServicesDep) -> Response:
    return _no_content(services.shop.remove_tax_rate(str(rate_id)))


# -- discount codes ----------------------------------------------------------------------------


@router.post("/admin/discount-codes", status_code=201, response_model=DiscountCodeOut)
def create_discount_code(
    body: DiscountCodeIn, admin: AdminUser, services: ServicesDep, response: Response
) -> DiscountCodeOut:
    """409 when the code exists (a deleted code is never given another meaning)."""
    code, position = services.shop.create_discount_code(body.code, body.terms())
    set_position(response, position)
    response.headers["Location"] = f"/admin/discount-codes/{code.id}"
    return code_out(code)


@router.put("/admin/discount-codes/{code_id}", response_model=DiscountCodeOut)
def revise_discount_code(
    code_id: UUID,
    body: DiscountCodeIn,
    admin: AdminUser,
    services: ServicesDep,
    response: Response,
) -> DiscountCodeOut:
    """The terms change; the code itself does not (the body's `code` must be it)."""
    current = services.shop.load(DiscountCode, code_id)
    if current.code != body.code.strip().upper():
        raise InvalidInput("code", f"this is the code {current.code}; a code is never renamed")
    code, position = services.shop.revise_discount_code(code_id, body.terms())
    set_position(response, position)
    return code_out(code)


@router.delete("/admin/discount-codes/{code_id}", status_code=204, response_class=Response)
def retire_discount_code(code_id: UUID, admin: AdminUser, services: ServicesDep) -> Response:
    return _no_content(services.shop.retire_discount_code(code_id))
