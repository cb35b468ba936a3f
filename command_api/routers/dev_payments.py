"""Development only: pay (or fail) an order at the local Stripe emulator, where Stripe.js
cannot run. Hidden (404) unless the API base is a loopback emulator. The order still becomes
paid only through the emulator's real webhook."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException

from application.payments import PaymentError
from command_api.payment_errors import provider_error
from command_api.schemas import DevConfirmIn, DevConfirmOut
from domain.errors import StateConflict
from web.app import ServicesDep
from web.auth import CurrentUser
from web.rate_limits import rate_limited

router = APIRouter(tags=["development"])

CONFIRMABLE = ("requires_payment_method", "requires_confirmation")
PAYABLE = ("pending_payment", "payment_failed")


@router.post(
    "/dev/payments/{order_id}/confirm",
    status_code=202,
    response_model=DevConfirmOut,
    dependencies=[Depends(rate_limited("dev"))],
)
def confirm(
    order_id: UUID, body: DevConfirmIn, user: CurrentUser, services: ServicesDep
) -> DevConfirmOut:
    if not services.settings.stripe_is_emulated:
        raise HTTPException(404, "not found")
    order = services.shop.order_for(order_id, None if user.role == "admin" else user.id)
    # A declined card leaves the order payable: the shopper tries again on the same intent.
    if order.status not in PAYABLE or order.payment_intent_id is None:
        raise StateConflict(f"an order that is {order.status} cannot be paid")
    try:
        # A second confirm of a paid (or failed) intent is a conflict, not the provider's fault:
        # the order stays pending_payment until the webhook arrives, so ask the intent itself.
        current = services.payments.retrieve_payment_intent(order.payment_intent_id)
        if current.status not in CONFIRMABLE:
            raise StateConflict(f"the payment is already {current.status}")
        intent = services.payments.confirm_for_testing(order.payment_intent_id, body.outcome)
    except PaymentError as error:
        raise provider_error(error) from None
    return DevConfirmOut(payment_intent_id=intent.id, status=intent.status)
