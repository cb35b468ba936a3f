"""Refunds: reserve the amount on the order, ask the provider, record the outcome.

Never more than what remains, whatever the provider would allow; the same Idempotency-Key
names the same refund, so a retry reports (or finishes) the earlier one instead of paying
twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from application.payments import PaymentError, PaymentPort, PaymentProviderUnavailable
from domain.errors import StateConflict
from domain.shop import Shop

_REFUNDS = uuid5(NAMESPACE_URL, "https://order-platform/refunds")


def refund_id_for(order_id: UUID, idempotency_key: str | None) -> str:
    return (uuid5(_REFUNDS, f"{order_id}:{idempotency_key}") if idempotency_key else uuid4()).hex


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    amount: int
    state: str
    stripe_refund_id: str | None
    position: int | None  # None: a repeated key only reported the earlier refund


def refund_order(
    shop: Shop,
    payments: PaymentPort,
    order_id: UUID,
    amount: int,
    actor: str,
    idempotency_key: str | None,
) -> RefundResult:
    """Refund `amount` minor units of a paid order. A provider failure propagates
    (PaymentError) after its outcome is recorded on the order."""
    refund_id = refund_id_for(order_id, idempotency_key)
    order = shop.order_for(order_id)
    earlier = order.refunds.get(refund_id)
    if earlier is not None and earlier["state"] in ("submitted", "failed"):
        # A repeated Idempotency-Key: report, do not refund again.
        return RefundResult(
            refund_id, earlier["amount"], earlier["state"], earlier.get("stripe_refund_id"), None
        )
    if order.payment_intent_id is None:
        raise StateConflict("this order has no payment to refund")
    amount = earlier["amount"] if earlier is not None else amount
    # Records the request (409 while the same refund is in flight) before Stripe is asked.
    shop.request_refund(order_id, refund_id, amount, actor)
    try:
        stripe_refund = payments.refund(
            order.payment_intent_id, amount, idempotency_key=f"refund-{refund_id}"
        )
    except PaymentProviderUnavailable as error:
        # Stripe may have refunded before the line dropped: keep the amount reserved, and
        # let a retry with the same Idempotency-Key ask again under the same Stripe key.
        shop.refund_outcome_unknown(order_id, refund_id, str(error), actor)
        raise
    except PaymentError as error:
        shop.refund_failed(order_id, refund_id, str(error), actor)
        raise
    position = shop.refund_submitted(order_id, refund_id, stripe_refund.id, actor)
    return RefundResult(refund_id, amount, "submitted", stripe_refund.id, position)
