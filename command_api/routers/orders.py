"""Managing orders: refunds and fulfilment (admins), cancellation (admins, or the owner while
unpaid). Stripe is asked first where money moves; the order state then follows its webhook."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from application.cancellation import cancel_unpaid_order
from application.payments import PaymentError
from application.refunds import refund_id_for, refund_order
from command_api.payment_errors import provider_error
from command_api.schemas import FulfilIn, OrderStateOut, RefundIn, RefundOut
from web.app import ServicesDep
from web.auth import AdminUser, CurrentUser
from web.headers import IdempotencyKey, set_position

router = APIRouter(tags=["orders"])


@router.post("/orders/{order_id}/refunds", status_code=202, response_model=RefundOut)
def refund(
    order_id: UUID,
    body: RefundIn,
    admin: AdminUser,
    services: ServicesDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> RefundOut:
    if idempotency_key is not None:
        # The same key with another amount is a mistake (422), not a retry to report.
        order = services.shop.order_for(order_id)
        order.check_refund_key(refund_id_for(order_id, idempotency_key), body.amount)
    try:
        result = refund_order(
            services.shop, services.payments, order_id, body.amount, str(admin.id), idempotency_key
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
