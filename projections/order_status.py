"""What an order's status is derived from, kept by every view that shows one (the orders view,
the daily-sales view), and the one rule that derives it: the aggregate's own
(domain.payment_state.order_status), so arrival order never shows in any view."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from domain.orders import Order, cancelled_at_stripe
from domain.payment_state import order_status
from projections.base import handles
from projections.batch import ViewBatch


def derived_status(row: Mapping[str, Any]) -> str:
    return order_status(
        row["payment_state"],
        cancelled=row["cancelled"],
        fulfilled=row["fulfilled"],
        amount_refunded=row["amount_refunded"],
        total=row["total"],
        short_of_stock=row["stock_shortfall"] and not row["holds_stock"],
    )


class StatusInputs:
    """Handlers that record the status's inputs; the view's `_set` writes them into its row
    with the status derived from the merged row."""

    def _set(self, view: ViewBatch, event: Any, **values: Any) -> None:
        raise NotImplementedError

    def _fulfilled_values(self, event: Any) -> dict[str, Any]:
        return {"fulfilled": True}

    def _row(self, view: ViewBatch, event: Any) -> Mapping[str, Any] | None:
        raise NotImplementedError

    def _dispute_values(self, summary: str, disputes: str, lost: int) -> dict[str, Any]:
        """The columns a view keeps of the disputes (all: their JSON and the money lost)."""
        return {"disputes": disputes, "amount_lost": lost}

    @handles(Order.DisputeOpened)
    def _dispute_opened(self, view: ViewBatch, event: Any, position: int) -> None:
        self._dispute(view, event, "open", event.amount)

    @handles(Order.DisputeClosed)
    def _dispute_closed(self, view: ViewBatch, event: Any, position: int) -> None:
        self._dispute(view, event, event.outcome[:32], event.amount)

    def _dispute(self, view: ViewBatch, event: Any, state: str, amount: int | None) -> None:
        row = self._row(view, event)
        if row is None:
            return
        disputes = json.loads(row["disputes"] or "{}")
        earlier = disputes.get(event.dispute_id, {})
        disputes[event.dispute_id] = {
            "state": state,
            "amount": amount if amount is not None else earlier.get("amount", 0),
        }
        states = [d["state"] for d in disputes.values()]
        summary = next((s for s in ("lost", "open") if s in states), state)
        lost = sum(d["amount"] for d in disputes.values() if d["state"] == "lost")
        text = json.dumps(disputes, sort_keys=True)
        self._set(view, event, **self._dispute_values(summary, text, lost))

    @handles(Order.ReservationReleased)
    def _released(self, view: ViewBatch, event: Any, position: int) -> None:
        self._set(view, event, holds_stock=False)

    @handles(Order.ReservationRenewed)
    def _renewed(self, view: ViewBatch, event: Any, position: int) -> None:
        complete = bool(event.complete)
        self._set(view, event, holds_stock=complete, stock_shortfall=not complete)

    @handles(Order.PaymentProcessing)
    def _processing(self, view: ViewBatch, event: Any, position: int) -> None:
        self._set(view, event, payment_state="processing")

    @handles(Order.PaymentSucceeded)
    def _paid(self, view: ViewBatch, event: Any, position: int) -> None:
        self._set(view, event, payment_state="succeeded")

    @handles(Order.PaymentFailed)
    def _failed(self, view: ViewBatch, event: Any, position: int) -> None:
        self._set(view, event, payment_state="failed")

    @handles(Order.OrderCancelled)
    def _cancelled(self, view: ViewBatch, event: Any, position: int) -> None:
        if cancelled_at_stripe(event.actor):  # the PaymentIntent was cancelled at Stripe
            self._set(view, event, payment_state="canceled")
        else:
            self._set(view, event, cancelled=True)

    @handles(Order.OrderFulfilled)
    def _fulfilled(self, view: ViewBatch, event: Any, position: int) -> None:
        self._set(view, event, **self._fulfilled_values(event))

    @handles(Order.RefundSettled)
    def _refunded(self, view: ViewBatch, event: Any, position: int) -> None:
        self._set(view, event, amount_refunded=event.amount_refunded)
