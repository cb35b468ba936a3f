"""Request and response bodies of the command API."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, EmailStr, Field, StringConstraints

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$"
    ),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]
# Minor units; the bound keeps totals far inside a signed 64-bit integer.
MinorUnits = Annotated[int, Field(strict=True, ge=0, le=10**12)]


class RegisterIn(BaseModel):
    username: Username
    email: EmailStr
    password: Annotated[str, Field(min_length=8, max_length=200)]


class LoginIn(BaseModel):
    username: Annotated[str, Field(min_length=1, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=200)]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class ProductIn(BaseModel):
    name: Name
    description: Annotated[str, Field(max_length=5000)] = ""
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
    tracking_note: Annotated[str, Field(max_length=500)] = ""


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
