"""Representations both APIs answer with: a product and an account look the same whether
they come back from a command or from a query."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from infra.accounts import User
from infra.images import image_url


class ImageOut(BaseModel):
    id: UUID
    url: str
    thumbnail_url: str
    width: int
    height: int
    content_type: str

    @classmethod
    def of(
        cls,
        image_id: UUID | str,
        sha256: str,
        thumbnail_sha256: str,
        content_type: str,
        width: int,
        height: int,
        **_: object,
    ) -> ImageOut:
        """From the fields an ImageAdded event records (and the views keep)."""
        return cls(
            id=UUID(str(image_id)),
            url=image_url(sha256, content_type),
            thumbnail_url=image_url(thumbnail_sha256, content_type),
            width=width,
            height=height,
            content_type=content_type,
        )


class ProductOut(BaseModel):
    id: UUID
    name: str
    description: str
    price: int
    currency: str
    stock: int
    version: int
    created_at: datetime
    updated_at: datetime
    # The first image is the main one.
    images: list[ImageOut] = []
    # Which of its country's rates the product is taxed at.
    tax_class: str = "standard"


class UserOut(BaseModel):
    id: UUID
    username: str
    email: str
    role: str

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(id=user.id, username=user.username, email=user.email, role=user.role)


# -- what the shop sells by: shipping methods, tax rates, discount codes, addresses ----------


class ShippingRate(BaseModel):
    currency: str
    price: int
    free_above: int | None


class ShippingMethodOut(BaseModel):
    """A method, priced in its first currency (`price`, `currency`, `free_above`) and in
    every currency it has a rate in (`rates`)."""

    id: str
    name: str
    countries: list[str]
    price: int
    currency: str
    free_above: int | None
    min_days: int
    max_days: int
    rates: list[ShippingRate]

    @classmethod
    def of(cls, method_id: str, method: dict[str, Any]) -> ShippingMethodOut:
        rates = [
            ShippingRate(currency=c, price=int(r["price"]), free_above=r.get("free_above"))
            for c, r in method["rates"].items()
        ]
        main = rates[0]
        return cls(
            id=method_id,
            name=method["name"],
            countries=list(method["countries"]),
            price=main.price,
            currency=main.currency,
            free_above=main.free_above,
            min_days=method["min_days"],
            max_days=method["max_days"],
            rates=rates,
        )


class TaxRateOut(BaseModel):
    id: str
    country: str
    rate_bp: int
    reduced_rate_bp: int | None


class DiscountCodeOut(BaseModel):
    id: UUID
    code: str
    percent_off: int | None
    amount_off: int | None
    currency: str | None
    min_subtotal: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    max_uses: int | None
    max_uses_per_customer: int | None
    product_ids: list[UUID]
    uses: int  # held by orders placed with it (an unpaid order cancelled gives its use back)


class AddressOut(BaseModel):
    id: UUID
    name: str
    line1: str
    line2: str
    city: str
    postal_code: str
    region: str
    country: str
    phone: str
    default: bool
