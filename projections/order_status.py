"""What an order's status is derived from, kept by every view that shows one (the orders view,
the daily-sales view), and the one rule that derives it: the aggregate's own
(domain.payment_state.order_status), so arrival order never shows in any view."""

from __future__ import annotations

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
