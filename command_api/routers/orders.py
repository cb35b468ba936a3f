"""Managing orders: refunds and fulfilment (admins), cancellation (admins, or the owner while
unpaid). Stripe is asked first where money moves; the order state then follows its webhook."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from fastapi import APIRouter, Response

from command_api.payment_errors import provider_error
from command_api.schemas import FulfilIn, OrderStateOut, RefundIn, RefundOut
from domain.errors import StateConflict
from infra.http import AdminUser, CurrentUser, IdempotencyKey, ServicesDep, set_position
from infra.order_payments import cancel_unpaid_order
from infra.payments import PaymentError, PaymentProviderUnavailable

router = APIRouter(tags=["orders"])

_REFUNDS = uuid5(NAMESPACE_URL, "https://order-platform/refunds")


@router.post("/orders/{order_id}/refunds", status_code=202, response_model=RefundOut)
def refund(
    order_id: UUID,
    body: RefundIn,
    admin: AdminUser,
    services: ServicesDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> RefundOut:
    """Reserve the amount on the order, ask Stripe, record the outcome. Never more than what
    remains, whatever the provider would allow."""
    refund_id = (
        uuid5(_REFUNDS, f"{order_id}:{idempotency_key}") if idempotency_key else uuid4()
    ).hex
    order = services.shop.order_for(order_id)
    earlier = order.refunds.get(refund_id)
    if earlier is not None and earlier["state"] in ("submitted", "failed"):
        # A repeated Idempotency-Key: report, do not refund again.
        return RefundOut(
            refund_id=refund_id,
            order_id=order_id,
            amount=earlier["amount"],
            state=earlier["state"],
            stripe_refund_id=earlier.get("stripe_refund_id"),
        )
    if order.payment_intent_id is None:
        raise StateConflict("this order has no payment to refund")
    actor = str(admin.id)
    amount = earlier["amount"] if earlier is not None else body.amount
    # Records the request (409 while the same refund is in flight) before Stripe is asked.
    services.shop.request_refund(order_id, refund_id, amount, actor)
    try:
        stripe_refund = services.payments.refund(
            order.payment_intent_id, amount, idempotency_key=f"refund-{refund_id}"
        )
    except PaymentProviderUnavailable as error:
        # Stripe may have refunded before the line dropped: keep the amount reserved, and
        # let a retry with the same Idempotency-Key ask again under the same Stripe key.
        services.shop.refund_outcome_unknown(order_id, refund_id, str(error), actor)
        raise provider_error(error) from None
    except PaymentError as error:
        services.shop.refund_failed(order_id, refund_id, str(error), actor)
        raise provider_error(error) from None
    position = services.shop.refund_submitted(order_id, refund_id, stripe_refund.id, actor)
    set_position(response, position)
    return RefundOut(
        refund_id=refund_id,
        order_id=order_id,
        amount=amount,
        state="submitted",
        stripe_refund_id=stripe_refund.id,
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
        position = cancel_unpaid_order(services, order, "cancelled on request", str(user.id))
    except PaymentError as error:
        raise provider_error(error) from None
    set_position(response, position)
    order = services.shop.order_for(order_id)
    return OrderStateOut(id=order.id, status=order.status, version=order.version)
