"""Cancelling an unpaid order: shared by the cancel route, the CLI and the expiry policy."""

from __future__ import annotations

from application.payments import PaymentPort, PaymentRequestRejected
from domain.errors import StateConflict
from domain.orders import Order
from domain.shop import Shop

CANCELLABLE = ("pending_payment", "payment_failed")


def cancel_unpaid_order(
    shop: Shop, payments: PaymentPort, order: Order, reason: str, actor: str
) -> int:
    """Cancel the PaymentIntent first, so it can no longer be paid, then the order, which
    gives its stock back. A provider outage propagates (PaymentError): nothing is changed."""
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
                raise StateConflict(f"the payment can no longer be cancelled: {error}") from None
    return shop.cancel_order(order.id, reason, actor)
