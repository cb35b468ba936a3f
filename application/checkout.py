"""Checkout: place the order (reserving stock), then open its PaymentIntent at the provider.

A resumable workflow: every step is recorded before the next one starts, so a retry with the
same Idempotency-Key picks up where an earlier attempt stopped (the order exists: find it; the
PaymentIntent exists: retrieve it).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from application.payments import PaymentIntentRef, PaymentPort
from domain.orders import Order
from domain.shop import Shop

_IDEMPOTENCY = uuid5(NAMESPACE_URL, "https://order-platform/checkout")


def order_id_for(user_id: UUID, idempotency_key: str | None) -> UUID | None:
    """The same user and key always name the same order, so a retried checkout finds it.
    Without a key, None: the cart names the order (domain/ordering.py, order_id_for_cart)."""
    if idempotency_key is None:
        return None
    return uuid5(_IDEMPOTENCY, f"{user_id}:{idempotency_key}")


@dataclass(frozen=True)
class CheckoutResult:
    order: Order
    position: int
    placed: bool  # False: a repeated Idempotency-Key found the earlier order
    intent: PaymentIntentRef | None


def check_out(
    shop: Shop, payments: PaymentPort, user_id: UUID, idempotency_key: str | None
) -> CheckoutResult:
    """Place the user's cart as an order and make sure it has a PaymentIntent.

    A provider failure propagates (PaymentError) and leaves the order placed and holding its
    stock: a retry (with the same key, or without one: the cart names the order) resumes it,
    and expiry cancels it if nobody does.
    """
    order, position, placed = shop.place_order(user_id, order_id_for(user_id, idempotency_key))
    if order.status != "pending_payment":
        return CheckoutResult(order, position, placed, None)
    intent = _payment_intent(payments, order, str(user_id))
    if order.payment_intent_id is None:
        position = shop.attach_payment_intent(order.id, intent.id, str(user_id))
        attached = shop.order_for(order.id).payment_intent_id
        if attached is not None and attached != intent.id:
            # A concurrent retry (same key) attached its intent first; Stripe's own key
            # would have returned that one, but our dedupe must not rely on Stripe's.
            intent = payments.retrieve_payment_intent(attached)
    return CheckoutResult(order, position, placed, intent)


def _payment_intent(payments: PaymentPort, order: Order, customer_ref: str) -> PaymentIntentRef:
    if order.payment_intent_id is not None:
        return payments.retrieve_payment_intent(order.payment_intent_id)
    return payments.create_payment_intent(str(order.id), order.total, order.currency, customer_ref)
