"""Reconciliation: compare an order with its PaymentIntent and refunds at Stripe and append
what the order's stream is missing (a webhook lost, late, or never sent).

Resumable and safe to repeat: refunds left unresolved are recovered first (application/
refunds.py), then each missing fact is recorded through the webhook's own path with an id
derived from the Stripe object and its state, so a second run, or one racing the webhook,
adds nothing. Callable from the CLI (`shop payments reconcile`) and the worker's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from application.payments import PaymentPort
from application.refunds import RecoveredRefund, recover_refunds
from application.stripe_state import missing_facts, record_fact
from domain.shop import Shop


@dataclass
class Reconciled:
    order_id: UUID
    recorded: list[str] = field(default_factory=list)  # Stripe event types appended
    refunds: list[RecoveredRefund] = field(default_factory=list)
    position: int | None = None

    @property
    def changed(self) -> bool:
        return bool(self.recorded) or any(r.outcome != "waiting" for r in self.refunds)


def reconcile_order(
    shop: Shop, payments: PaymentPort, order_id: UUID, now: datetime | None = None
) -> Reconciled:
    """Bring one order in line with Stripe. A provider failure propagates (PaymentError)
    with whatever was recorded before it kept."""
    result = Reconciled(order_id)
    order = shop.order_for(order_id)
    if order.payment_intent_id is None:
        return result  # checkout never reached Stripe: nothing there to compare
    intent = payments.retrieve_payment_intent(order.payment_intent_id)
    listed = payments.list_refunds(intent.id) if intent.status == "succeeded" else []
    result.refunds = recover_refunds(shop, payments, order_id, now, listed)
    for fact in missing_facts(shop.order_for(order_id), intent, listed):
        position = record_fact(shop, fact)
        if position is not None:
            result.recorded.append(fact.type)
            result.position = position
    return result
