"""An order's refunds as its events tell them, kept in the orders view (JSON), and the one
rule for an "open question": what reconciliation must ask Stripe about.

An order has one while it is unpaid with a PaymentIntent (did the payment happen after
all?), while a refund of ours has no outcome from Stripe (requested, unknown, or submitted
and neither succeeded nor failed at Stripe), while Stripe reports a refund still pending, or
while the newest charge statement says more is refunded than the refunds we know of (a
refund made in the Dashboard whose own event we never got). Every other order is settled as
far as Stripe is concerned, and reconciliation leaves it alone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.payment_state import REFUND_RANK

UNPAID = ("pending_payment", "payment_failed")
_FINAL = ("succeeded", "failed", "canceled")
_HOLDING = ("pending", "requires_action", "succeeded")


@dataclass
class RefundTrail:
    ours: dict[str, list[Any]] = field(default_factory=dict)  # refund id -> [state, stripe id]
    stripe: dict[str, list[Any]] = field(default_factory=dict)  # stripe id -> [status, amount]
    charge: list[int] | None = None  # the newest charge statement: [created, amount_refunded]

    @classmethod
    def of(cls, text: str | None) -> RefundTrail:
        data = json.loads(text or "{}")
        return cls(data.get("ours", {}), data.get("stripe", {}), data.get("charge"))

    def dumps(self) -> str:
        data: dict[str, Any] = {"ours": self.ours, "stripe": self.stripe}
        if self.charge is not None:
            data["charge"] = self.charge
        return json.dumps(data, sort_keys=True)

    def ours_now(self, refund_id: str, state: str, stripe_id: str | None = None) -> None:
        earlier = self.ours.get(refund_id, [state, None])
        self.ours[refund_id] = [state, stripe_id or earlier[1]]

    def stripe_fact(self, event: Any) -> None:
        """A StripeEventReceived: a refund's status by rank, or a charge statement."""
        if event.object_type == "refund":
            status = event.status if event.status in REFUND_RANK else "pending"
            if event.stripe_type in ("refund.failed", "charge.refund.failed"):
                status = "failed"
            earlier = self.stripe.get(event.stripe_object_id)
            if earlier is None or REFUND_RANK[status] >= REFUND_RANK[earlier[0]]:
                amount = event.amount if event.amount is not None else (earlier or [0, 0])[1]
                self.stripe[event.stripe_object_id] = [status, amount]
        elif event.object_type == "charge" and event.amount_refunded is not None:
            statement = [getattr(event, "created", 0) or 0, event.amount_refunded]
            if self.charge is None or statement > self.charge:
                self.charge = statement

    def settled(self, settled_refunds: Mapping[str, int]) -> None:
        """A RefundSettled: these Stripe refunds succeeded (older code's only account)."""
        for stripe_id, amount in settled_refunds.items():
            if stripe_id not in self.stripe:
                self.stripe[stripe_id] = ["succeeded", amount]

    @property
    def unresolved(self) -> bool:
        for state, stripe_id in self.ours.values():
            if state in ("requested", "unknown"):
                return True
            if state == "submitted" and (self.stripe.get(stripe_id) or [None])[0] not in _FINAL:
                return True
        if any(status not in _FINAL for status, _ in self.stripe.values()):
            return True
        known = sum(amount for status, amount in self.stripe.values() if status in _HOLDING)
        return self.charge is not None and self.charge[1] > known


def open_question(status: str, row: Mapping[str, Any]) -> bool:
    if status in UNPAID:
        return row.get("payment_intent_id") is not None and not row.get("cancelled")
    return RefundTrail.of(row.get("refunds")).unresolved
