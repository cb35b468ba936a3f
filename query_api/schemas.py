"""Response bodies of the query API."""

from __future__ import annotations

from datetime import date, datetime
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


class Customer(BaseModel):
    username: str
    email: str


class DisputeView(BaseModel):
    id: str
    state: str  # open, won, lost or closed
    amount: int


class OrderView(BaseModel):
    id: UUID
    number: str  # the first 8 hex digits of the id, upper case: what people say and search
    user_id: UUID
    customer: Customer | None  # staff only (from the accounts table); null for shoppers
    status: str
    lines: list[OrderLineView]
    total: int
    currency: str
    amount_refunded: int
    payment_intent_id: str | None
    tracking_note: str
    # The disputes in one word: "lost" (money lost), "open", "won" or "closed"; null if none.
    dispute: str | None
    disputes: list[DisputeView] = []
    amount_lost: int = 0  # minor units taken back by lost disputes
    holds_stock: bool
    # Paid, but its units were sold while it was unpaid: fulfil answers 409 until a restock
    # (the order then takes its units) or a refund.
    needs_stock: bool = False
    version: int
    created_at: datetime
    updated_at: datetime


class HistoryEntry(BaseModel):
    version: int
    type: str
    at: datetime
    actor: str
    source: str  # "shop", "stripe" or "reconciliation"
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


class Money(BaseModel):
    currency: str
    amount: int


class Stats(BaseModel):
    orders: int
    revenue: list[Money]  # paid less refunded, per currency
    by_status: dict[str, int]


class DayStats(BaseModel):
    day: date
    orders: int
    revenue: list[Money]


class ProjectionHealth(BaseModel):
    name: str
    position: int
    head: int
    lag: int
    state: str


class AdminSummary(BaseModel):
    today: Stats
    last_30_days: Stats
    daily: list[DayStats]  # 30 days, oldest first, today last (UTC days)
    attention: list[OrderView]
    projections: list[ProjectionHealth]
    recent: list[OrderView]


class ConfigView(BaseModel):
    currency: str
    stripe_publishable_key: str
    dev_payments: bool
