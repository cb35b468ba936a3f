"""Refunds: reserve the amount on the order, ask the provider, record the outcome.

Never more than what remains, whatever the provider would allow; the same Idempotency-Key
names the same refund, so a retry reports (or finishes) the earlier one instead of paying
twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.utils import get_topic

from application.payments import PaymentError, PaymentPort, PaymentProviderUnavailable, RefundRef
from domain.errors import StateConflict
from domain.orders import Order
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


# -- recovery: refunds whose answer from Stripe was never recorded ------------------------------

RECOVERY = "reconciliation"
# A refund requested this recently may still be waiting for Stripe's answer in the process
# that asked (the SDK's time-out and retries): leave it to that process a while.
RECOVERY_GRACE = timedelta(seconds=40)
_WATCHED = (get_topic(Order.RefundRequested), get_topic(Order.RefundOutcomeUnknown))


@dataclass(frozen=True)
class RecoveredRefund:
    refund_id: str
    outcome: str  # "found" (Stripe had it), "submitted" (asked again), "failed", "waiting"
    stripe_refund_id: str | None


def recover_refunds(
    shop: Shop,
    payments: PaymentPort,
    order_id: UUID,
    now: datetime | None = None,
    listed: list[RefundRef] | None = None,
) -> list[RecoveredRefund]:
    """Resolve the order's refunds left `requested` or `unknown` by a process that died or
    lost Stripe's answer: find each at Stripe by the idempotency key it was made with (kept
    in the refund's metadata), or, when Stripe never got it, ask again under the same key.

    A provider outage propagates (PaymentProviderUnavailable): the next round tries again.
    """
    order = shop.order_for(order_id)
    unresolved = order.unresolved_refunds
    if not unresolved or order.payment_intent_id is None:
        return []
    cutoff = (now or datetime.now(UTC)) - RECOVERY_GRACE
    requested = _requested_at(shop, order_id)
    if listed is None:
        listed = payments.list_refunds(order.payment_intent_id)
    by_key = {refund.key: refund for refund in listed if refund.key}
    recovered = []
    for refund_id, amount in unresolved.items():
        if requested.get(refund_id, cutoff) > cutoff:
            recovered.append(RecoveredRefund(refund_id, "waiting", None))
            continue
        key = f"refund-{refund_id}"
        found, outcome = by_key.get(key), "found"
        if found is None:
            try:
                found, outcome = payments.refund(order.payment_intent_id, amount, key), "submitted"
            except PaymentProviderUnavailable:
                raise
            except PaymentError as error:
                shop.refund_failed(order_id, refund_id, f"refused at Stripe: {error}", RECOVERY)
                recovered.append(RecoveredRefund(refund_id, "failed", None))
                continue
            listed.append(found)
        shop.refund_submitted(order_id, refund_id, found.id, RECOVERY)
        recovered.append(RecoveredRefund(refund_id, outcome, found.id))
    return recovered


def _requested_at(shop: Shop, order_id: UUID) -> dict[str, datetime]:
    """When each refund was last asked of Stripe (a retry after `unknown` asks again)."""
    return {
        event.refund_id: event.timestamp
        for event in shop.events.get(order_id)
        if isinstance(event, Order.RefundRequested)
    }


def orders_with_refund_requests(shop: Shop, after: int, limit: int = 500) -> tuple[set[UUID], int]:
    """Orders that asked Stripe for a refund after position `after` (or lost its answer), and
    the position read up to: the recovery job's watch list grows from the log, not a view."""
    found = shop.recorder.select_notifications(
        start=after, limit=limit, topics=_WATCHED, inclusive_of_start=False
    )
    return {UUID(str(n.originator_id)) for n in found}, (found[-1].id if found else after)
