"""The order views (SQL): orders, each order's full history, and its payment timeline.

One projection keeps the three tables, so they move together with one position.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    select,
)
from sqlalchemy.dialects import mysql

from domain.orders import Order, status_after_refund
from domain.payment_records import StripeEventReceipt
from infra.read_store import UTCDateTime, views_metadata
from projections.base import SqlProjection, handles
from projections.order_summaries import summarize

# MySQL's TEXT stops at 64 KB: an order's lines and an event's data get MEDIUMTEXT there.
LongText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql")

orders = Table(
    "orders",
    views_metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False, index=True),
    Column("status", String(32), nullable=False, index=True),
    Column("total", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_refunded", BigInteger, nullable=False),
    Column("payment_intent_id", String(255)),
    Column("tracking_note", String(500), nullable=False),
    Column("dispute", String(32)),
    Column("lines", LongText, nullable=False),
    Column("version", Integer, nullable=False),
    Column("placed_position", BigInteger, nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

order_history = Table(
    "order_history",
    views_metadata,
    Column("order_id", Uuid, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("type", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("summary", String(500), nullable=False),
    Column("data", LongText, nullable=False),
)

payment_timeline = Table(
    "payment_timeline",
    views_metadata,
    Column("position", BigInteger, primary_key=True),
    Column("order_id", Uuid, index=True),
    Column("source", String(16), nullable=False),
    Column("ref", String(255), nullable=False),
    Column("type", String(100), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("duplicate", Boolean, nullable=False),
    Column("amount", BigInteger),
    Column("currency", String(3)),
    Column("summary", String(500), nullable=False),
)

stripe_receipts = Table(
    "stripe_receipts",
    views_metadata,
    Column("receipt_id", Uuid, primary_key=True),
    Column("stripe_event_id", String(255), nullable=False),
    Column("stripe_type", String(100), nullable=False),
    Column("order_id", Uuid),
    Column("amount", BigInteger),
    Column("currency", String(3)),
)

_METADATA = {"originator_id", "originator_version", "timestamp"}
# Our own commands that belong on the payment timeline beside Stripe's events.
_SHOP_PAYMENT_EVENTS = (
    Order.PaymentIntentCreated,
    Order.RefundRequested,
    Order.RefundSubmitted,
    Order.RefundFailed,
    Order.RefundOutcomeUnknown,
    Order.OrderCancelled,
)


def event_data(event: Any) -> str:
    fields = {k: v for k, v in vars(event).items() if k not in _METADATA}
    return json.dumps(fields, default=str, sort_keys=True)


class OrderViews(SqlProjection):
    name = "orders"
    tables = (orders, order_history, payment_timeline, stripe_receipts)

    # -- every order event: history, then the order row ---------------------------------------

    def apply(self, target: Connection, event: Any, position: int) -> None:
        if isinstance(event, Order.Event):
            self._history(target, event, position)
        super().apply(target, event, position)
        if isinstance(event, _SHOP_PAYMENT_EVENTS):
            self._shop_timeline(target, event, position)

    def _currency(self, conn: Connection, order_id: UUID) -> str:
        value = conn.execute(select(orders.c.currency).where(orders.c.id == order_id)).scalar()
        return str(value or "")

    def _history(self, conn: Connection, event: Any, position: int) -> None:
        currency = getattr(event, "currency", None) or self._currency(conn, event.originator_id)
        self.insert_row(
            conn,
            order_history,
            order_id=event.originator_id,
            version=event.originator_version,
            position=position,
            type=type(event).__name__,
            at=event.timestamp,
            actor=event.actor,
            summary=summarize(event, currency)[:500],
            data=event_data(event),
        )

    def _shop_timeline(self, conn: Connection, event: Any, position: int) -> None:
        currency = self._currency(conn, event.originator_id)
        self.insert_row(
            conn,
            payment_timeline,
            position=position,
            order_id=event.originator_id,
            source="shop",
            ref=getattr(event, "refund_id", None)
            or getattr(event, "payment_intent_id", None)
            or str(event.originator_id),
            type=type(event).__name__,
            at=event.timestamp,
            duplicate=False,
            amount=getattr(event, "amount", None),
            currency=currency,
            summary=summarize(event, currency)[:500],
        )

    def _set(self, conn: Connection, event: Any, **values: Any) -> None:
        self.update_row(
            conn,
            orders,
            {"id": event.originator_id},
            version=event.originator_version,
            updated_at=event.timestamp,
            **values,
        )

    @handles(Order.OrderPlaced)
    def _placed(self, conn: Connection, event: Any, position: int) -> None:
        self.insert_row(
            conn,
            orders,
            id=event.originator_id,
            user_id=event.user_id,
            status="pending_payment",
            total=event.total,
            currency=event.currency,
            amount_refunded=0,
            payment_intent_id=None,
            tracking_note="",
            dispute=None,
            lines=json.dumps(event.lines),
            version=event.originator_version,
            placed_position=position,
            created_at=event.timestamp,
            updated_at=event.timestamp,
        )

    @handles(Order.PaymentIntentCreated)
    def _intent(self, conn: Connection, event: Any, position: int) -> None:
        self._set(conn, event, payment_intent_id=event.payment_intent_id)

    @handles(
        Order.StripeEventReceived,
        Order.PaymentProcessing,
        Order.ReservationReleased,
        Order.ReservationRenewed,
        Order.RefundRequested,
        Order.RefundSubmitted,
        Order.RefundFailed,
        Order.RefundOutcomeUnknown,
    )
    def _touched(self, conn: Connection, event: Any, position: int) -> None:
        self._set(conn, event)

    @handles(Order.PaymentSucceeded)
    def _paid(self, conn: Connection, event: Any, position: int) -> None:
        self._set(conn, event, status="paid")

    @handles(Order.PaymentFailed)
    def _failed(self, conn: Connection, event: Any, position: int) -> None:
        self._set(conn, event, status="payment_failed")

    @handles(Order.OrderCancelled)
    def _cancelled(self, conn: Connection, event: Any, position: int) -> None:
        self._set(conn, event, status="cancelled")

    @handles(Order.OrderFulfilled)
    def _fulfilled(self, conn: Connection, event: Any, position: int) -> None:
        self._set(conn, event, status="fulfilled", tracking_note=event.tracking_note)

    @handles(Order.RefundSettled)
    def _refunded(self, conn: Connection, event: Any, position: int) -> None:
        row = conn.execute(
            select(orders.c.status, orders.c.total).where(orders.c.id == event.originator_id)
        ).one()
        status = status_after_refund(row.status, event.amount_refunded, row.total)
        self._set(conn, event, amount_refunded=event.amount_refunded, status=status)

    @handles(Order.DisputeOpened)
    def _dispute_opened(self, conn: Connection, event: Any, position: int) -> None:
        self._set(conn, event, dispute="open")

    @handles(Order.DisputeClosed)
    def _dispute_closed(self, conn: Connection, event: Any, position: int) -> None:
        self._set(conn, event, dispute=event.outcome[:32])

    # -- Stripe deliveries: the payment timeline ----------------------------------------------

    @handles(StripeEventReceipt.StripeEventAccepted)
    def _accepted(self, conn: Connection, event: Any, position: int) -> None:
        self.insert_row(
            conn,
            stripe_receipts,
            receipt_id=event.originator_id,
            stripe_event_id=event.stripe_event_id,
            stripe_type=event.stripe_type,
            order_id=event.order_id,
            amount=event.amount,
            currency=event.currency,
        )
        self._stripe_timeline(conn, position, event, event, duplicate=False)

    @handles(StripeEventReceipt.DuplicateDeliveryReceived)
    def _duplicate(self, conn: Connection, event: Any, position: int) -> None:
        receipt = conn.execute(
            select(stripe_receipts).where(stripe_receipts.c.receipt_id == event.originator_id)
        ).first()
        if receipt is not None:
            self._stripe_timeline(conn, position, receipt, event, duplicate=True)

    def _stripe_timeline(
        self, conn: Connection, position: int, receipt: Any, event: Any, duplicate: bool
    ) -> None:
        note = " (duplicate delivery, ignored)" if duplicate else ""
        self.insert_row(
            conn,
            payment_timeline,
            position=position,
            order_id=receipt.order_id,
            source="stripe",
            ref=receipt.stripe_event_id,
            type=receipt.stripe_type,
            at=event.timestamp,
            duplicate=duplicate,
            amount=receipt.amount,
            currency=receipt.currency,
            summary=f"Stripe event {receipt.stripe_type} received{note}",
        )
