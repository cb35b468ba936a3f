"""Request and response bodies of the command API."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, EmailStr, Field, StringConstraints

# Control characters (NUL above all) break bcrypt, databases and terminals: refused with
# a 422 before anything looks the value up. Text fields keep tabs and line breaks.
_CONTROL = {chr(code) for code in (*range(32), 127)}
_TEXT_CONTROL = _CONTROL - {"\t", "\n", "\r"}


def _no_control(value: str) -> str:
    if any(char in _CONTROL for char in value):
        raise ValueError("must not contain control characters")
    return value


def _text_without_control(value: str) -> str:
    if any(char in _TEXT_CONTROL for char in value):
        raise ValueError("must not contain control characters other than tabs and line breaks")
    return value


NoControl = AfterValidator(_no_control)
TextNoControl = AfterValidator(_text_without_control)

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$"
    ),
    NoControl,
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoControl
]
Password = Annotated[str, Field(min_length=8, max_length=200), NoControl]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]
# Minor units; the bound keeps totals far inside a signed 64-bit integer.
MinorUnits = Annotated[int, Field(strict=True, ge=0, le=10**12)]


class RegisterIn(BaseModel):
    username: Username
    email: EmailStr
    password: Password


class LoginIn(BaseModel):
    username: Annotated[str, Field(min_length=1, max_length=254), NoControl]
    password: Annotated[str, Field(min_length=1, max_length=200), NoControl]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class ProductIn(BaseModel):
    name: Name
    description: Annotated[str, Field(max_length=5000), TextNoControl] = ""
    price: MinorUnits
    stock: Annotated[int, Field(strict=True, ge=0, le=10**9)]
    currency: Currency | None = None
    # Taxed at its country's standard rate, or the reduced one (books, food ...); an edit
    # without it keeps the product's.
    tax_class: Literal["standard", "reduced"] | None = None


class CartItemIn(BaseModel):
    product_id: UUID
    quantity: Annotated[int, Field(strict=True, ge=1, le=1000)]


class CartQuantityIn(BaseModel):
    quantity: Annotated[int, Field(strict=True, ge=0, le=1000)]


class CartItemOut(BaseModel):
    product_id: UUID
    quantity: int


AddressText = Annotated[str, Field(max_length=200), NoControl]
ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postal_code", "region", "country", "phone")


class AddressIn(BaseModel):
    """A postal address. Which fields a country requires (a region in the US, no postal code
    in Hong Kong) is checked by the shop, each error naming its field."""

    name: AddressText | None = None
    line1: AddressText | None = None
    line2: AddressText | None = None
    city: AddressText | None = None
    postal_code: Annotated[str, Field(max_length=20), NoControl] | None = None
    region: Annotated[str, Field(max_length=100), NoControl] | None = None
    country: Annotated[str, Field(max_length=2), NoControl] | None = None
    phone: Annotated[str, Field(max_length=30), NoControl] | None = None

    def raw(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None and k in ADDRESS_FIELDS}


class CheckoutIn(BaseModel):
    """Where the order goes and how: a shipping address (or `address_id` from the address
    book), a billing address if different, the shipping method, a discount code. All optional
    while the shop has no shipping methods."""

    shipping_address: AddressIn | None = None
    address_id: UUID | None = None
    billing_address: AddressIn | None = None
    shipping_method_id: Annotated[str, Field(max_length=64), NoControl] | None = None
    discount_code: Annotated[str, Field(max_length=40), NoControl] | None = None


class TaxAmount(BaseModel):
    rate_bp: int
    amount: int


class Figures(BaseModel):
    """An order's money, in integer minor units of `currency`."""

    subtotal: int
    discount: int
    shipping: int
    tax: int
    total: int
    currency: str
    tax_by_rate: list[TaxAmount]


class ShippingChoice(BaseModel):
    id: str
    name: str
    price: int
    free_above: int | None
    min_days: int
    max_days: int


class QuoteLine(BaseModel):
    product_id: UUID
    name: str
    unit_price: int
    quantity: int
    discount: int
    tax: int
    rate_bp: int


class QuoteOut(Figures):
    """What POST /checkout would place, nothing placed."""

    shipping_method: ShippingChoice | None
    discount_code: str | None
    lines: list[QuoteLine]


class CheckoutOut(BaseModel):
    order_id: UUID
    status: str
    subtotal: int
    discount: int
    shipping: int
    tax: int
    total: int
    amount: int  # = total: what the PaymentIntent asks
    currency: str
    tax_by_rate: list[TaxAmount]
    payment_intent_id: str | None
    client_secret: str | None


class PaymentSessionOut(BaseModel):
    order_id: UUID
    payment_intent_id: str
    client_secret: str | None
    amount: int
    currency: str


class RefundIn(BaseModel):
    amount: Annotated[int, Field(strict=True, ge=1, le=10**12)]


class RefundOut(BaseModel):
    refund_id: str
    order_id: UUID
    amount: int
    state: str
    stripe_refund_id: str | None


class FulfilIn(BaseModel):
    tracking_note: Annotated[str, Field(max_length=500), TextNoControl] = ""


class OrderStateOut(BaseModel):
    id: UUID
    status: str
    version: int


class DevConfirmIn(BaseModel):
    outcome: Literal["success", "decline"] = "success"


class DevConfirmOut(BaseModel):
    payment_intent_id: str
    status: str


class WebhookOut(BaseModel):
    received: bool = True
    duplicate: bool
