"""The daily-sales view (SQL): each order's day, status and money, for the admin home.

One narrow row per order, keyed for the day it was placed (UTC), so the admin home's
today / last 30 days / per-day figures are one indexed GROUP BY over the days asked for
(query_api/routers/admin.py), without reading the orders view's lines and histories.
Each row keeps what the order's status is derived from, as the orders view does, and applies
the same rule (projections/order_status.py), so arrival order never shows here either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Index, String, Table, Text, Uuid

from domain.orders import Order
from infra.read_store import views_metadata
from projections.base import SqlProjection, handles
from projections.batch import Plan, ViewBatch
from projections.order_status import StatusInputs, derived_status

# Statuses whose payment arrived: revenue is what they paid less what was refunded.
REVENUE_STATUSES = ("paid", "fulfilled", "partially_refunded", "refunded", "needs_stock")

sales_orders = Table(
    "sales_orders",
    views_metadata,
    Column("order_id", Uuid, primary_key=True),
    Column("day", String(10), nullable=False),  # YYYY-MM-DD, UTC, of OrderPlaced
    Column("status", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total", BigInteger, nullable=False),
    # The total split for the books: goods after discount net of their tax, shipping net of
    # its tax, the tax, and the discount given (net_sales + shipping + tax = total).
    Column("net_sales", BigInteger, nullable=False, default=0),
    Column("shipping", BigInteger, nullable=False, default=0),
    Column("tax", BigInteger, nullable=False, default=0),
    Column("discount", BigInteger, nullable=False, default=0),
    Column("amount_refunded", BigInteger, nullable=False),
    # What the status is derived from (projections/order_status.py).
    Column("payment_state", String(16), nullable=False, default="none"),
    Column("cancelled", Boolean, nullable=False, default=False),
    Column("fulfilled", Boolean, nullable=False, default=False),
    Column("stock_shortfall", Boolean, nullable=False, default=False),
    Column("holds_stock", Boolean, nullable=False, default=True),
    # Each dispute's state and amount (JSON), and the money lost to lost ones: revenue is
    # what was paid less refunds and lost disputes.
    Column("disputes", Text, nullable=False, default="{}"),
    Column("amount_lost", BigInteger, nullable=False, default=0),
    Index("ix_sales_orders_day_status", "day", "status"),
)


def sales_split(event: Any) -> dict[str, int]:
    """An OrderPlaced's total in the parts sales reports show (see the columns)."""
    shipping_tax = int((event.shipping_method or {}).get("tax", 0))
    shipping_net = event.shipping - (shipping_tax if event.prices_include_tax else 0)
    return {
        "net_sales": event.total - event.tax - shipping_net,
        "shipping": shipping_net,
        "tax": event.tax,
        "discount": event.discount,
    }


class DailySalesView(StatusInputs, SqlProjection):
    name = "daily_sales"
    tables = (sales_orders,)
    # 2: the status derived like the orders view's (payment state, cancelled, fulfilled, a
    # stock shortfall, refunds). 3: disputes and the money they lost; the total split into
    # net sales, shipping, tax and discount. A worker of this version rebuilds an older view
    # blue/green.
    version = 3

    def plan(self, event: Any, plan: Plan) -> None:
        if isinstance(event, Order.OrderPlaced):
            plan.fresh(sales_orders.c.order_id, event.originator_id)
        else:
            plan.load(sales_orders.c.order_id, event.originator_id)

    @handles(Order.OrderPlaced)
    def _placed(self, view: ViewBatch, event: Any, position: int) -> None:
        view.insert(
            sales_orders,
            order_id=event.originator_id,
            day=event.timestamp.date().isoformat(),
            status="pending_payment",
            currency=event.currency,
            total=event.total,
            **sales_split(event),
            amount_refunded=0,
            payment_state="none",
            cancelled=False,
            fulfilled=False,
            stock_shortfall=False,
            holds_stock=True,
            disputes="{}",
            amount_lost=0,
        )

    def _row(self, view: ViewBatch, event: Any) -> Mapping[str, Any] | None:
        return view.row(sales_orders, event.originator_id)

    def _set(self, view: ViewBatch, event: Any, **values: Any) -> None:
        row = view.row(sales_orders, event.originator_id)
        if row is not None:
            values["status"] = derived_status({**row, **values})
            view.update(sales_orders, event.originator_id, **values)
