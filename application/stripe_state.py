"""What Stripe says now, as the Stripe facts a webhook would have brought.

Reconciliation, refund recovery and expiry learn an intent's or a refund's state by asking
Stripe. They record it through the webhook's own path (Shop.record_stripe_event, which applies
Order.receive), as a Stripe-shaped event whose id says it came from reconciliation
(domain/stripe_facts.py): the same state always gives the same id, so it is recorded once.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from application.payments import PaymentIntentRef, RefundRef
from domain.orders import Order
from domain.payment_records import StripeEventReceipt, receipt_id_for
from domain.payment_state import REFUND_RANK
from domain.shop import Shop
from domain.stripe_facts import StripeFact, read_stripe_event, reconciled_event_id

UNPAID = ("pending_payment", "payment_failed")


def _fact(kind: str, state: str, obj: dict[str, Any]) -> StripeFact:
    return read_stripe_event(
        {
            "id": reconciled_event_id(obj["id"], state),
            "type": kind,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    )


def intent_fact(order: Order, intent: PaymentIntentRef) -> StripeFact | None:
    """The event Stripe sends for the intent's present state; None for a state that has none
    (waiting for a card, or for a confirmation)."""
    if intent.status == "requires_payment_method" and intent.failure_reason:
        kind, state = "payment_intent.payment_failed", "payment_failed"
    elif intent.status in ("succeeded", "canceled", "processing"):
        kind, state = f"payment_intent.{intent.status}", intent.status
    else:
        return None
    obj: dict[str, Any] = {
        "id": intent.id,
        "object": "payment_intent",
        "amount": intent.amount,
        "currency": intent.currency,
        "status": intent.status,
        "metadata": {"order_id": str(order.id)},
    }
    if intent.failure_reason:
        obj["last_payment_error"] = {"message": intent.failure_reason}
    return _fact(kind, state, obj)


def refund_fact(intent_id: str, currency: str, refund: RefundRef) -> StripeFact | None:
    """refund.updated for a pending or succeeded refund, refund.failed for a failed or
    canceled one (Stripe's own status says which)."""
    if refund.status in ("pending", "requires_action", "succeeded"):
        kind = "refund.updated"
    elif refund.status in ("failed", "canceled"):
        kind = "refund.failed"
    else:
        return None
    obj: dict[str, Any] = {
        "id": refund.id,
        "object": "refund",
        "amount": refund.amount,
        "currency": currency.lower(),
        "payment_intent": intent_id,
        "status": refund.status,
    }
    if refund.created is not None:
        obj["created"] = refund.created
    return _fact(kind, str(refund.status), obj)


def missing_facts(
    order: Order, intent: PaymentIntentRef, refunds: Sequence[RefundRef]
) -> list[StripeFact]:
    """The facts Stripe knows and the order does not reflect: only what would change it."""
    facts: list[StripeFact] = []
    fact = intent_fact(order, intent)
    if fact is not None and _changes_payment(order, intent.status):
        facts.append(fact)
    # Every refund of the PaymentIntent, ours or made in the Dashboard, in a state the order
    # does not know yet (a refund that failed after it succeeded, too).
    known = order.knowledge.refunds
    facts += [
        f
        for r in refunds
        if r.status in REFUND_RANK
        and (r.id not in known or REFUND_RANK[r.status] > REFUND_RANK[known[r.id]["status"]])
        and (f := refund_fact(intent.id, order.currency, r)) is not None
    ]
    return facts


def _changes_payment(order: Order, status: str) -> bool:
    if status == "succeeded":
        return order.payment_state != "succeeded"
    if status == "canceled":
        return order.status in UNPAID
    if status == "processing":
        return order.payment_state == "none"
    # payment_failed
    return order.status == "pending_payment" and order.payment_state in ("none", "processing")


def record_fact(shop: Shop, fact: StripeFact) -> int | None:
    """Append a fact we asked Stripe for, as a webhook would; None if it was already there
    (a redelivery of ours is not news, so it is not recorded as a duplicate either)."""
    if shop.find(StripeEventReceipt, receipt_id_for(fact.event_id)) is not None:
        return None
    position, duplicate = shop.record_stripe_event(fact)
    return None if duplicate else position
