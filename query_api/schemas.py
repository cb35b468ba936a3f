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
    discount: int = 0  # the line's share of the order's discount
    tax: int = 0  # the tax in (or on) the line after its discount
    rate_bp: int = 0  # its tax rate, in basis points


class TaxView(BaseModel):
    rate_bp: int  # 1900 = 19 %
    amount: int


class ShippingMethodView(BaseModel):
    id: str
    name: str
    price: int  # the method's price; the order's `shipping` says what it paid (0 if free)
    free_above: int | None
    min_days: int
    max_days: int
    tax: int = 0  # the tax in (or on) the shipping the order paid


class OrderAddress(BaseModel):
    """A postal address of an order (personal data: shown to its owner and staff). When its
    customer has been erased, `erased` is true and the fields are empty."""

    erased: bool = False
    name: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    postal_code: str = ""
    region: str = ""
    country: str = ""
    phone: str = ""


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
    # The figures, in integer minor units of `currency` (orders placed before shipping and
    # tax existed: subtotal = total, the rest 0).
    subtotal: int = 0
    discount: int = 0
    shipping: int = 0
    tax: int = 0
    tax_by_rate: list[TaxView] = []
    prices_include_tax: bool = True
    total: int
    currency: str
    shipping_method: ShippingMethodView | None = None
    discount_code: str | None = None
    # Where it goes and who pays: only on GET /orders/{id} and its stream (null otherwise,
    # and for orders placed without an address).
    shipping_address: OrderAddress | None = None
    billing_address: OrderAddress | None = None
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


class SalesSplit(BaseModel):
    """The paid orders' totals as sales reports show them (before refunds): goods after
    discount net of tax, shipping net of tax, the tax collected, and the discounts given."""

    currency: str
    net_sales: int
    shipping: int
    tax: int
    discount: int


class Stats(BaseModel):
    orders: int
    revenue: list[Money]  # paid less refunded and less lost disputes, per currency
    by_status: dict[str, int]
    sales: list[SalesSplit] = []


class DayStats(BaseModel):
    day: date
    orders: int
    revenue: list[Money]
    sales: list[SalesSplit] = []


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


class CountryView(BaseModel):
    code: str  # ISO 3166-1 alpha-2
    name: str
    regions: list[dict[str, str]]  # [{"code": "US-TX", "name": "Texas"}], where one is asked
    region_required: bool
    postal_code_required: bool


class ConfigView(BaseModel):
    currency: str
    stripe_publishable_key: str
    dev_payments: bool
    shop_name: str = ""
    prices_include_tax: bool = True
    # The countries the shop ships to (empty: it sells without shipping, no address asked).
    ships_to: list[CountryView] = []
