"""The daily-sales view (SQL): each order's day, status and money, for the admin home.

One narrow row per order, keyed for the day it was placed (UTC), so the admin home's
today / last 30 days / per-day figures are one indexed GROUP BY over the days asked for
(query_api/routers/admin.py), without reading the orders view's lines and histories.
Statuses follow the same events as the orders view: a payment, a failure, a cancellation,
a fulfilment, refunds settled by Stripe.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Index, String, Table, Uuid

from domain.orders import Order, status_after_refund
from infra.read_store import views_metadata
from projections.base import SqlProjection, handles
from projections.batch import Plan, ViewBatch

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
    Column("amount_refunded", BigInteger, nullable=False),
    Index("ix_sales_orders_day_status", "day", "status"),
)


class DailySalesView(SqlProjection):
    name = "daily_sales"
    tables = (sales_orders,)

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
            amount_refunded=0,
        )

    @handles(Order.PaymentSucceeded)
    def _paid(self, view: ViewBatch, event: Any, position: int) -> None:
        # A refund Stripe reported before the payment itself already counts.
        row = view.row(sales_orders, event.originator_id)
        if row is None:
            return
        status = status_after_refund("paid", row["amount_refunded"], row["total"])
        view.update(sales_orders, event.originator_id, status=status)

    @handles(Order.PaymentFailed)
    def _failed(self, view: ViewBatch, event: Any, position: int) -> None:
        view.update(sales_orders, event.originator_id, status="payment_failed")

    @handles(Order.OrderCancelled)
    def _cancelled(self, view: ViewBatch, event: Any, position: int) -> None:
        view.update(sales_orders, event.originator_id, status="cancelled")

    @handles(Order.OrderFulfilled)
    def _fulfilled(self, view: ViewBatch, event: Any, position: int) -> None:
        view.update(sales_orders, event.originator_id, status="fulfilled")

    @handles(Order.RefundSettled)
    def _refunded(self, view: ViewBatch, event: Any, position: int) -> None:
        row = view.row(sales_orders, event.originator_id)
        if row is None:
            return
        status = status_after_refund(row["status"], event.amount_refunded, row["total"])
        view.update(
            sales_orders,
            event.originator_id,
            status=status,
            amount_refunded=event.amount_refunded,
        )
