"""Revenue per product per day: the lines of paid orders, on the day their payment succeeded."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Date, MetaData, String, Table, Uuid

from domain.orders import Order
from projections.base import SqlProjection, handles
from projections.batch import Plan, ViewBatch

metadata = MetaData()

# The lines of each placed order, kept until the order is paid.
unpaid_lines = Table(
    "revenue_unpaid_lines",
    metadata,
    Column("order_id", Uuid, primary_key=True),
    Column("product_id", String(36), primary_key=True),
    Column("product_name", String(200), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("amount", BigInteger, nullable=False),  # unit price x quantity, in minor units
    Column("currency", String(3), nullable=False),
)

# What we want: one row per day, product and currency.
revenue = Table(
    "revenue_per_product_day",
    metadata,
    Column("day", Date, primary_key=True),
    Column("product_id", String(36), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("product_name", String(200), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("revenue", BigInteger, nullable=False),
)


class RevenuePerProductPerDay(SqlProjection):
    name = "revenue_per_product_day"
    version = 1  # bump it when you change what the tables hold: the view is rebuilt
    tables = (unpaid_lines, revenue)

    def plan(self, event: Any, plan: Plan) -> None:
        """Which rows each event reads: loaded for the whole batch in one query per table."""
        if isinstance(event, Order.OrderPlaced):
            plan.fresh(unpaid_lines.c.order_id, event.originator_id)  # new: nothing to load
        elif isinstance(event, Order.PaymentSucceeded):
            plan.load(unpaid_lines.c.order_id, event.originator_id)  # the order's lines
            plan.load(revenue.c.day, event.timestamp.date())  # that day's revenue rows

    @handles(Order.OrderPlaced)
    def _placed(self, view: ViewBatch, event: Any, position: int) -> None:
        for line in event.lines:
            view.insert(
                unpaid_lines,
                order_id=event.originator_id,
                product_id=line["product_id"],
                product_name=line["name"],
                quantity=line["quantity"],
                amount=line["unit_price"] * line["quantity"],
                currency=event.currency,
            )

    @handles(Order.PaymentSucceeded)
    def _paid(self, view: ViewBatch, event: Any, position: int) -> None:
        day = event.timestamp.date()
        for line in view.where(unpaid_lines, "order_id", event.originator_id):
            key = (day, line["product_id"], line["currency"])
            added = {"quantity": line["quantity"], "revenue": line["amount"]}
            if not view.update(revenue, key, add=added):
                view.insert(
                    revenue,
                    day=day,
                    product_id=line["product_id"],
                    currency=line["currency"],
                    product_name=line["product_name"],
                    **added,
                )
            view.delete(unpaid_lines, (line["order_id"], line["product_id"]))
