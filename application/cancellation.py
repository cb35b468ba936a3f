"""Cancelling an unpaid order: shared by the cancel route, the CLI and the expiry policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from application.payments import PaymentError, PaymentPort, PaymentRequestRejected
from application.stripe_state import intent_fact, record_fact
from domain.errors import DomainError, StateConflict
from domain.orders import Order
from domain.shop import Shop

CANCELLABLE = ("pending_payment", "payment_failed")


class PaymentNotCancellable(StateConflict):
    """Stripe refused to cancel the PaymentIntent; `intent_status` is its state there."""

    def __init__(self, message: str, intent_status: str) -> None:
        super().__init__(message)
        self.intent_status = intent_status


def cancel_unpaid_order(
    shop: Shop, payments: PaymentPort, order: Order, reason: str, actor: str
) -> int:
    """Cancel the PaymentIntent first, so it can no longer be paid, then the order, which
    gives its stock back. A provider outage propagates (PaymentError): nothing is changed.

    When Stripe refuses because the intent was in fact paid (its webhook late or lost), the
    payment is recorded as the webhook would have (source reconciliation) and the cancel is
    refused: the order is paid.
    """
    if order.status not in CANCELLABLE:
        raise StateConflict(f"an order that is {order.status} cannot be cancelled")
    if order.payment_intent_id is not None:
        try:
            payments.cancel_payment_intent(
                order.payment_intent_id, idempotency_key=f"cancel-{order.id}"
            )
        except PaymentRequestRejected as error:
            # Already cancelled (an earlier attempt got that far): carry on with the order.
            intent = payments.retrieve_payment_intent(order.payment_intent_id)
            if intent.status != "canceled":
                fact = intent_fact(order, intent)
                if fact is not None:
                    record_fact(shop, fact)
                raise PaymentNotCancellable(
                    f"the payment can no longer be cancelled ({intent.status}): {error}",
                    intent.status,
                ) from None
    return shop.cancel_order(order.id, reason, actor)


ExpiryOutcome = Literal["cancelled", "paid", "parked", "skipped"]


@dataclass(frozen=True)
class Expiry:
    order_id: UUID
    outcome: ExpiryOutcome
    detail: str = ""


def expire_order(
    shop: Shop, payments: PaymentPort, order_id: UUID, cutoff: datetime, reason: str, actor: str
) -> Expiry:
    """Cancel one unpaid order placed before `cutoff`. "parked": Stripe refused or failed,
    try again later; "paid": Stripe says it was paid, and now the order says so too;
    "skipped": no longer unpaid (paid or cancelled meanwhile) or not old enough."""
    order = shop.order_for(order_id)
    if order.status not in CANCELLABLE or order.created_on >= cutoff:
        return Expiry(order_id, "skipped", order.status)
    try:
        cancel_unpaid_order(shop, payments, order, reason, actor)
    except PaymentNotCancellable as error:
        outcome: ExpiryOutcome = "paid" if error.intent_status == "succeeded" else "parked"
        return Expiry(order_id, outcome, str(error))
    except PaymentError as error:
        return Expiry(order_id, "parked", str(error) or type(error).__name__)
    except DomainError as error:
        return Expiry(order_id, "skipped", str(error))
    return Expiry(order_id, "cancelled")
