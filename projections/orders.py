"""The order views (SQL): orders, each order's full history, and its payment timeline.

One projection keeps the three tables, so they move together with one position.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Integer,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.dialects import mysql

from domain.orders import Order
from domain.payment_records import StripeEventReceipt
from domain.stripe_facts import source_of
from infra.read_store import UTCDateTime, views_metadata
from projections.base import SqlProjection, handles
from projections.batch import Plan, ViewBatch
from projections.order_status import StatusInputs, derived_status
from projections.order_summaries import summarize
from projections.refund_trail import RefundTrail, open_question

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
    # The order's figures (domain/pricing.py; orders of before have subtotal = total and the
    # rest 0), tax per rate in basis points (JSON), what was chosen at checkout, and the ids of
    # its addresses: the addresses themselves are personal data, kept beside the events.
    Column("subtotal", BigInteger, nullable=False, default=0),
    Column("discount", BigInteger, nullable=False, default=0),
    Column("shipping", BigInteger, nullable=False, default=0),
    Column("tax", BigInteger, nullable=False, default=0),
    Column("tax_by_rate", LongText, nullable=False, default="{}"),
    Column("prices_include_tax", Boolean, nullable=False, default=True),
    Column("shipping_method", LongText),
    Column("discount_code", String(40), index=True),
    Column("shipping_address_id", Uuid),
    Column("billing_address_id", Uuid),
    Column("amount_refunded", BigInteger, nullable=False),
    Column("payment_intent_id", String(255)),
    Column("tracking_note", String(500), nullable=False),
    # The disputes in one word (lost, open, won, closed), each dispute's state and amount
    # (JSON), and the money lost to lost disputes.
    Column("dispute", String(32), index=True),
    Column("disputes", LongText, nullable=False, default="{}"),
    Column("amount_lost", BigInteger, nullable=False, default=0),
    # Whether the order holds its reserved stock (released on a failed payment, a
    # cancellation or a full refund before shipping, taken again by a late payment).
    Column("holds_stock", Boolean, nullable=False, default=True),
    # What the status is derived from (domain.payment_state.order_status), as the events
    # leave it: the view applies the aggregate's own rule, whatever order they came in.
    Column("payment_state", String(16), nullable=False, default="none"),
    Column("cancelled", Boolean, nullable=False, default=False),
    Column("fulfilled", Boolean, nullable=False, default=False),
    Column("stock_shortfall", Boolean, nullable=False, default=False),
    Column("lines", LongText, nullable=False),
    # Refunds as far as the events tell (JSON: ours by refund id with state and Stripe id,
    # Stripe's by id with status, the newest charge statement), and whether the order has a
    # question only Stripe can answer: reconciliation asks about these orders, not all.
    Column("refunds", LongText, nullable=False, default="{}"),
    Column("open_question", Boolean, nullable=False, default=False, index=True),
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


class OrderViews(StatusInputs, SqlProjection):
    name = "orders"
    # 2: holds_stock and the history's source. 3: the status derived from payment_state,
    # cancelled, fulfilled, stock_shortfall and amount_refunded (needs_stock); disputes and
    # amount_lost. 4: refunds and open_question; the figures, shipping method, discount code
    # and address ids. A worker of this version rebuilds an older view blue/green.
    version = 4
    tables = (orders, order_history, payment_timeline, stripe_receipts)

    def plan(self, event: Any, plan: Plan) -> None:
        # History and timeline rows are only ever inserted: nothing to load for them.
        if isinstance(event, Order.OrderPlaced):
            plan.fresh(orders.c.id, event.originator_id)
        elif isinstance(event, Order.Event):
            plan.load(orders.c.id, event.originator_id)
        elif isinstance(event, StripeEventReceipt.StripeEventAccepted):
            plan.fresh(stripe_receipts.c.receipt_id, event.originator_id)
        elif isinstance(event, StripeEventReceipt.DuplicateDeliveryReceived):
            plan.load(stripe_receipts.c.receipt_id, event.originator_id)

    # -- every order event: history, then the order row ---------------------------------------

    def apply(self, target: ViewBatch, event: Any, position: int) -> None:
        if isinstance(event, Order.Event):
            self._history(target, event, position)
        super().apply(target, event, position)
        if isinstance(event, _SHOP_PAYMENT_EVENTS):
            self._shop_timeline(target, event, position)

    @staticmethod
    def _currency(view: ViewBatch, order_id: UUID) -> str:
        row = view.row(orders, order_id)
        return str(row["currency"]) if row is not None else ""

    def _history(self, view: ViewBatch, event: Any, position: int) -> None:
        currency = getattr(event, "currency", None) or self._currency(view, event.originator_id)
        view.insert(
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

    def _shop_timeline(self, view: ViewBatch, event: Any, position: int) -> None:
        currency = self._currency(view, event.originator_id)
        view.insert(
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

    def _set(self, view: ViewBatch, event: Any, **values: Any) -> None:
        row = view.row(orders, event.originator_id)
        if row is None:
            return
        values.update(version=event.originator_version, updated_at=event.timestamp)
        merged = {**row, **values}
        values["status"] = derived_status(merged)
        values["open_question"] = open_question(values["status"], merged)
        view.update(orders, event.originator_id, **values)

    def _refunds(self, view: ViewBatch, event: Any, change: Any) -> None:
        """Apply `change` to the order's refunds JSON, then set the row as usual."""
        row = view.row(orders, event.originator_id)
        if row is None:
            return
        refunds = RefundTrail.of(row["refunds"])
        change(refunds)
        self._set(view, event, refunds=refunds.dumps())

    @handles(Order.OrderPlaced)
    def _placed(self, view: ViewBatch, event: Any, position: int) -> None:
        view.insert(
            orders,
            id=event.originator_id,
            user_id=event.user_id,
            status="pending_payment",
            total=event.total,
            currency=event.currency,
            subtotal=event.subtotal,
            discount=event.discount,
            shipping=event.shipping,
            tax=event.tax,
            tax_by_rate=json.dumps(event.tax_by_rate, sort_keys=True),
            prices_include_tax=event.prices_include_tax,
            shipping_method=(
                json.dumps(event.shipping_method, sort_keys=True) if event.shipping_method else None
            ),
            discount_code=event.discount_code,
            shipping_address_id=event.shipping_address_id,
            billing_address_id=event.billing_address_id,
            amount_refunded=0,
            payment_intent_id=None,
            tracking_note="",
            dispute=None,
            disputes="{}",
            amount_lost=0,
            holds_stock=True,
            payment_state="none",
            cancelled=False,
            fulfilled=False,
            stock_shortfall=False,
            lines=json.dumps(event.lines),
            refunds="{}",
            open_question=False,
            version=event.originator_version,
            placed_position=position,
            created_at=event.timestamp,
            updated_at=event.timestamp,
        )

    @handles(Order.PaymentIntentCreated)
    def _intent(self, view: ViewBatch, event: Any, position: int) -> None:
        self._set(view, event, payment_intent_id=event.payment_intent_id)

    @handles(Order.StripeEventReceived)
    def _stripe_fact(self, view: ViewBatch, event: Any, position: int) -> None:
        self._refunds(view, event, lambda trail: trail.stripe_fact(event))

    @handles(Order.RefundRequested)
    def _refund_requested(self, view: ViewBatch, event: Any, position: int) -> None:
        self._refunds(view, event, lambda trail: trail.ours_now(event.refund_id, "requested"))

    @handles(Order.RefundSubmitted)
    def _refund_submitted(self, view: ViewBatch, event: Any, position: int) -> None:
        self._refunds(
            view,
            event,
            lambda trail: trail.ours_now(event.refund_id, "submitted", event.stripe_refund_id),
        )

    @handles(Order.RefundFailed)
    def _refund_failed(self, view: ViewBatch, event: Any, position: int) -> None:
        self._refunds(view, event, lambda trail: trail.ours_now(event.refund_id, "failed"))

    @handles(Order.RefundOutcomeUnknown)
    def _refund_unknown(self, view: ViewBatch, event: Any, position: int) -> None:
        self._refunds(view, event, lambda trail: trail.ours_now(event.refund_id, "unknown"))

    def _fulfilled_values(self, event: Any) -> dict[str, Any]:
        return {"fulfilled": True, "tracking_note": event.tracking_note}

    @handles(Order.RefundSettled)
    def _refunded(self, view: ViewBatch, event: Any, position: int) -> None:
        row = view.row(orders, event.originator_id)
        if row is None:
            return
        trail = RefundTrail.of(row["refunds"])
        trail.settled(event.settled_refunds)
        self._set(view, event, amount_refunded=event.amount_refunded, refunds=trail.dumps())

    def _row(self, view: ViewBatch, event: Any) -> Mapping[str, Any] | None:
        return view.row(orders, event.originator_id)

    def _dispute_values(self, summary: str, disputes: str, lost: int) -> dict[str, Any]:
        return {"disputes": disputes, "dispute": summary, "amount_lost": lost}

    # -- Stripe deliveries: the payment timeline ----------------------------------------------

    @handles(StripeEventReceipt.StripeEventAccepted)
    def _accepted(self, view: ViewBatch, event: Any, position: int) -> None:
        receipt = {
            "receipt_id": event.originator_id,
            "stripe_event_id": event.stripe_event_id,
            "stripe_type": event.stripe_type,
            "order_id": event.order_id,
            "amount": event.amount,
            "currency": event.currency,
        }
        view.insert(stripe_receipts, **receipt)
        self._stripe_timeline(view, position, receipt, event, duplicate=False)

    @handles(StripeEventReceipt.DuplicateDeliveryReceived)
    def _duplicate(self, view: ViewBatch, event: Any, position: int) -> None:
        receipt = view.row(stripe_receipts, event.originator_id)
        if receipt is not None:
            self._stripe_timeline(view, position, receipt, event, duplicate=True)

    def _stripe_timeline(
        self,
        view: ViewBatch,
        position: int,
        receipt: Mapping[str, Any],
        event: Any,
        duplicate: bool,
    ) -> None:
        deliveries = getattr(event, "deliveries", None)
        note = ""
        if duplicate:
            note = (
                f" (delivered {deliveries} times; repeats ignored)"
                if deliveries
                else " (duplicate delivery, ignored)"
            )
        source = source_of(receipt["stripe_event_id"])
        if source != "stripe":
            note += " (found by reconciliation with Stripe)"
        view.insert(
            payment_timeline,
            position=position,
            order_id=receipt["order_id"],
            source=source,
            ref=receipt["stripe_event_id"],
            type=receipt["stripe_type"],
            at=event.timestamp,
            duplicate=duplicate,
            amount=receipt["amount"],
            currency=receipt["currency"],
            summary=f"Stripe event {receipt['stripe_type']} received{note}",
        )
