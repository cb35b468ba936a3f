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


class CartItemIn(BaseModel):
    product_id: UUID
    quantity: Annotated[int, Field(strict=True, ge=1, le=1000)]


class CartQuantityIn(BaseModel):
    quantity: Annotated[int, Field(strict=True, ge=0, le=1000)]


class CartItemOut(BaseModel):
    product_id: UUID
    quantity: int


class CheckoutOut(BaseModel):
    order_id: UUID
    status: str
    amount: int
    currency: str
    payment_intent_id: str | None
    client_secret: str | None


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
