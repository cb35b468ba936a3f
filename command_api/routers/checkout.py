"""Checkout: place the order (reserving stock), then create its Stripe PaymentIntent."""

from __future__ import annotations

from fastapi import APIRouter, Response

from application.checkout import check_out
from application.payments import PaymentError
from command_api.payment_errors import provider_error
from command_api.schemas import CheckoutOut
from web.app import ServicesDep
from web.auth import CurrentUser
from web.headers import IdempotencyKey, set_position

router = APIRouter(tags=["checkout"])


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
    try:
        result = check_out(services.shop, services.payments, user.id, idempotency_key)
    except PaymentError as error:
        raise provider_error(error) from None
    if not result.placed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    set_position(response, result.position)
    order, intent = result.order, result.intent
    return CheckoutOut(
        order_id=order.id,
        status=order.status,
        amount=order.total,
        currency=order.currency,
        payment_intent_id=intent.id if intent else order.payment_intent_id,
        client_secret=intent.client_secret if intent else None,
    )
