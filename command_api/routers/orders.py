"""Managing orders: refunds and fulfilment (admins), cancellation (admins, or the owner while
unpaid). Stripe is asked first where money moves; the order state then follows its webhook."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Response

from application.cancellation import cancel_unpaid_order
from application.checkout import PAYABLE
from application.payments import PaymentError
from application.refunds import refund_id_for, refund_order
from command_api.payment_errors import provider_error
from command_api.schemas import (
    FulfilIn,
    OrderStateOut,
    PaymentSessionOut,
    RefundIn,
    RefundOut,
)
from web.app import ServicesDep
from web.auth import AdminUser, CurrentUser
from web.errors import ErrorOut
from web.headers import IdempotencyKey, expected_version, set_position

router = APIRouter(tags=["orders"])


@router.post(
    "/orders/{order_id}/refunds",
    status_code=202,
    response_model=RefundOut,
    responses={502: {"model": ErrorOut, "description": "Stripe refused the refund"}},
)
def refund(
    order_id: UUID,
    body: RefundIn,
    admin: AdminUser,
    services: ServicesDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    seen_version: Annotated[int | None, Depends(expected_version)] = None,
) -> RefundOut:
    """Refund an amount of a paid order. Named by the Idempotency-Key, or else by If-Match
    (the order version the admin saw) and the amount; neither is a 428. A retry reports the
    refund it names: `submitted`, `failed`, or `requested` while its first request still
    waits for Stripe."""
    refund_id = refund_id_for(order_id, idempotency_key, seen_version, body.amount)
    # The same key with another amount is a mistake (422), not a retry to report.
    services.shop.order_for(order_id).check_refund_key(refund_id, body.amount)
    try:
        result = refund_order(
            services.shop, services.payments, order_id, body.amount, str(admin.id), refund_id
        )
    except PaymentError as error:
        raise provider_error(error) from None
    if result.position is not None:
        set_position(response, result.position)
    return RefundOut(
        refund_id=result.refund_id,
        order_id=order_id,
        amount=result.amount,
        state=result.state,
        stripe_refund_id=result.stripe_refund_id,
    )


@router.post("/orders/{order_id}/fulfil", response_model=OrderStateOut)
def fulfil(
    order_id: UUID,
    admin: AdminUser,
    services: ServicesDep,
    response: Response,
    body: FulfilIn | None = None,
) -> OrderStateOut:
    note = body.tracking_note.strip() if body else ""
    position = services.shop.fulfil_order(order_id, note, str(admin.id))
    set_position(response, position)
    order = services.shop.order_for(order_id)
    return OrderStateOut(id=order.id, status=order.status, version=order.version)


@router.post("/orders/{order_id}/cancel", response_model=OrderStateOut)
def cancel(
    order_id: UUID, user: CurrentUser, services: ServicesDep, response: Response
) -> OrderStateOut:
    """Cancel an unpaid order: its PaymentIntent first (so it can no longer be paid), then the
    order, which gives its stock back."""
    is_staff = user.role == "admin"
    order = services.shop.order_for(order_id, None if is_staff else user.id)
    try:
        position = cancel_unpaid_order(
            services.shop, services.payments, order, "cancelled on request", str(user.id)
        )
    except PaymentError as error:
        raise provider_error(error) from None
    set_position(response, position)
    order = services.shop.order_for(order_id)
    return OrderStateOut(id=order.id, status=order.status, version=order.version)


@router.post(
    "/orders/{order_id}/payment",
    response_model=PaymentSessionOut,
    responses={502: {"model": ErrorOut, "description": "Stripe refused"}},
)
def payment_session(order_id: UUID, user: CurrentUser, services: ServicesDep) -> PaymentSessionOut:
    """The PaymentIntent's client secret of the caller's order while it can be paid (after a
    declined card, too): what a payment link opens the card form with. 409 once it cannot."""
    order = services.shop.order_for(order_id, user.id)
    if order.status not in PAYABLE or order.payment_intent_id is None:
        raise HTTPException(409, f"an order that is {order.status} cannot be paid")
    try:
        intent = services.payments.retrieve_payment_intent(order.payment_intent_id)
    except PaymentError as error:
        raise provider_error(error) from None
    return PaymentSessionOut(
        order_id=order.id,
        payment_intent_id=intent.id,
        client_secret=intent.client_secret,
        amount=order.total,
        currency=order.currency,
    )
