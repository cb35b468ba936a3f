"""Refunds: reserve the amount on the order, ask the provider, record the outcome.

Never more than what remains, whatever the provider would allow. Every refund is named by
the request, never at random: by the client's Idempotency-Key, or else by the order version
the admin saw (If-Match) and the amount; a request naming neither is refused (428), since
nothing could tell its retry from a second refund. So a retry reports (or finishes) the
earlier refund instead of paying twice, and a refund whose answer was lost is looked up at
Stripe by its key before it is ever asked again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.utils import get_topic

from application.payments import PaymentError, PaymentPort, PaymentProviderUnavailable, RefundRef
from application.stripe_state import record_fact, refund_fact
from domain.errors import StateConflict, VersionRequired
from domain.orders import Order
from domain.shop import Shop

_REFUNDS = uuid5(NAMESPACE_URL, "https://order-platform/refunds")


def refund_id_for(
    order_id: UUID, idempotency_key: str | None, seen_version: int | None = None, amount: int = 0
) -> str:
    """The refund a request names: by its Idempotency-Key, else by the order version the
    admin saw and the amount (a retry sends the same If-Match); neither is a 428."""
    if idempotency_key:
        return uuid5(_REFUNDS, f"{order_id}:{idempotency_key}").hex
    if seen_version is not None:
        return uuid5(_REFUNDS, f"{order_id}@{seen_version}:{amount}").hex
    raise VersionRequired(
        "a refund needs an Idempotency-Key (or If-Match with the order's version), so that"
        " retrying it can never refund twice"
    )


def stripe_key(refund_id: str) -> str:
    """The idempotency key a refund is made with at Stripe (and kept in its metadata)."""
    return f"refund-{refund_id}"


def find_refund(
    payments: PaymentPort, payment_intent_id: str, refund_id: str, listed: list[RefundRef] | None
) -> RefundRef | None:
    """The refund Stripe made for this refund id, found by the key in its metadata: asked
    before any refund is asked again (Stripe forgets idempotency keys after 24 hours, and
    the emulator never keeps them)."""
    if listed is None:
        listed = payments.list_refunds(payment_intent_id)
    return next((r for r in listed if r.key == stripe_key(refund_id)), None)


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
    refund_id: str,
) -> RefundResult:
    """Refund `amount` minor units of a paid order as refund `refund_id` (refund_id_for). A
    provider failure propagates (PaymentError) after its outcome is recorded on the order.

    A refund already asked for is reported, never asked again: done (submitted or failed),
    or still in flight ("requested": the request that asked is waiting for Stripe, or died
    and recovery will settle it). One whose answer was lost ("unknown") is looked up at
    Stripe first, and asked again under the same key only if Stripe has no such refund."""
    order = shop.order_for(order_id)
    earlier = order.refunds.get(refund_id)
    if earlier is not None and earlier["state"] != "unknown":
        return _report(refund_id, earlier)
    if order.payment_intent_id is None:
        raise StateConflict("this order has no payment to refund")
    if earlier is not None:
        found = find_refund(payments, order.payment_intent_id, refund_id, None)
        if found is not None:
            position = shop.refund_submitted(order_id, refund_id, found.id, actor)
            return RefundResult(refund_id, earlier["amount"], "submitted", found.id, position)
        amount = earlier["amount"]
    # The request is recorded (the amount reserved) before Stripe is asked; a concurrent
    # request for the same refund finds it recorded and reports it in flight.
    if not shop.request_refund(order_id, refund_id, amount, actor):
        return _report(refund_id, shop.order_for(order_id).refunds[refund_id])
    try:
        stripe_refund = payments.refund(
            order.payment_intent_id, amount, idempotency_key=stripe_key(refund_id)
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
    # Stripe's answer is a fact about the refund: the order counts it now, not only once
    # Stripe's webhook comes (the emulator sends none for refunds).
    answer = refund_fact(order.payment_intent_id, order.currency, stripe_refund)
    if answer is not None:
        position = record_fact(shop, answer) or position
    return RefundResult(refund_id, amount, "submitted", stripe_refund.id, position)


def _report(refund_id: str, earlier: dict[str, object]) -> RefundResult:
    stripe_id = earlier.get("stripe_refund_id")
    return RefundResult(
        refund_id,
        int(earlier["amount"]),  # type: ignore[call-overload]
        str(earlier["state"]),
        stripe_id if isinstance(stripe_id, str) else None,
        None,
    )


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
    recovered = []
    for refund_id, amount in unresolved.items():
        if requested.get(refund_id, cutoff) > cutoff:
            recovered.append(RecoveredRefund(refund_id, "waiting", None))
            continue
        key = stripe_key(refund_id)
        found, outcome = find_refund(payments, order.payment_intent_id, refund_id, listed), "found"
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
