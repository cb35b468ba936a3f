"""Response bodies of the query API."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class CartLineView(BaseModel):
    product_id: UUID
    name: str
    unit_price: int
    currency: str
    quantity: int
    line_total: int
    available: bool


class CartView(BaseModel):
    items: list[CartLineView]
    total: int
    currency: str
    count: int  # the sum of the lines' quantities (what a cart badge shows)


class OrderLineView(BaseModel):
    product_id: UUID
    name: str
    unit_price: int
    quantity: int
    line_total: int


class OrderView(BaseModel):
    id: UUID
    user_id: UUID
    status: str
    lines: list[OrderLineView]
    total: int
    currency: str
    amount_refunded: int
    payment_intent_id: str | None
    tracking_note: str
    dispute: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class HistoryEntry(BaseModel):
    version: int
    type: str
    at: datetime
    actor: str
    summary: str
    data: dict[str, object]


class History(BaseModel):
    order_id: UUID
    items: list[HistoryEntry]


class PaymentEntry(BaseModel):
    source: str
    ref: str
    type: str
    at: datetime
    duplicate: bool
    amount: int | None
    currency: str | None
    summary: str


class PaymentTimeline(BaseModel):
    order_id: UUID
    items: list[PaymentEntry]


class ConfigView(BaseModel):
    currency: str
    stripe_publishable_key: str
    dev_payments: bool
