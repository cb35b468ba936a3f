"""Checkout: place the order (reserving stock), then create its Stripe PaymentIntent."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from fastapi import APIRouter, Response

from command_api.payment_errors import provider_error
from command_api.schemas import CheckoutOut
from infra.http import CurrentUser, IdempotencyKey, ServicesDep, set_position
from infra.payments import PaymentError, PaymentIntentRef
from infra.services import Services

router = APIRouter(tags=["checkout"])

_IDEMPOTENCY = uuid5(NAMESPACE_URL, "https://order-platform/checkout")


def order_id_for(user_id: UUID, idempotency_key: str | None) -> UUID:
    """The same user and key always name the same order, so a retried checkout finds it."""
    if idempotency_key is None:
        return uuid4()
    return uuid5(_IDEMPOTENCY, f"{user_id}:{idempotency_key}")


@router.post(
    "/checkout",
    status_code=201,
    response_model=CheckoutOut,
    responses={200: {"model": CheckoutOut, "description": "A repeated Idempotency-Key"}},
)
def checkout(
    user: CurrentUser,
    services: ServicesDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> CheckoutOut:
    order_id = order_id_for(user.id, idempotency_key)
    order, position, placed = services.shop.place_order(user.id, order_id)
    if not placed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    intent: PaymentIntentRef | None = None
    if order.status == "pending_payment":
        try:
            intent = _payment_intent(
                services,
                order.id,
                order.payment_intent_id,
                order.total,
                order.currency,
                str(user.id),
            )
        except PaymentError as error:
            # Without a key the client cannot retry this order: give its stock back now.
            if placed and idempotency_key is None:
                services.shop.cancel_order(order.id, "payment provider unavailable", "system")
            raise provider_error(error) from None
        if order.payment_intent_id is None:
            position = services.shop.attach_payment_intent(order.id, intent.id, str(user.id))
            attached = services.shop.order_for(order.id).payment_intent_id
            if attached is not None and attached != intent.id:
                # A concurrent retry (same key) attached its intent first; Stripe's own key
                # would have returned that one, but our dedupe must not rely on Stripe's.
                intent = services.payments.retrieve_payment_intent(attached)
    set_position(response, position)
    return CheckoutOut(
        order_id=order.id,
        status=order.status,
        amount=order.total,
        currency=order.currency,
        payment_intent_id=intent.id if intent else order.payment_intent_id,
        client_secret=intent.client_secret if intent else None,
    )


def _payment_intent(
    services: Services,
    order_id: UUID,
    existing: str | None,
    amount: int,
    currency: str,
    customer_ref: str,
) -> PaymentIntentRef:
    if existing is not None:
        return services.payments.retrieve_payment_intent(existing)
    return services.payments.create_payment_intent(str(order_id), amount, currency, customer_ref)
