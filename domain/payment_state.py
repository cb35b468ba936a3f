"""An order's payment picture as a pure function of what Stripe told us and what we did.

Stripe delivers at least once and in any order, so every fact is merged into a monotone
"latest knowledge" per Stripe object (a PaymentIntent's state by rank, a charge's largest
amount_refunded, a refund's and a dispute's status by rank, terminal states last). Merging
is commutative and idempotent; the status and the money figures are then derived from the
merged knowledge, so any permutation of the same set of facts ends in the same picture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# A PaymentIntent's states by rank: a fact of lower rank never moves the order back.
# Money received outranks a cancellation: a succeeded PaymentIntent cannot be cancelled.
INTENT_RANK = {"none": 0, "processing": 1, "failed": 2, "canceled": 3, "succeeded": 4}
INTENT_STATE_OF = {
    "payment_intent.processing": "processing",
    "payment_intent.payment_failed": "failed",
    "payment_intent.canceled": "canceled",
    "payment_intent.succeeded": "succeeded",
}
# A refund is pending, then succeeded; it may still fail or be cancelled after that.
REFUND_RANK = {"pending": 1, "requires_action": 1, "succeeded": 2, "failed": 3, "canceled": 3}
# A dispute is open until it closes won, lost (or another closed state); closed is final.
DISPUTE_OPEN = ("warning_needs_response", "warning_under_review", "needs_response", "under_review")
DISPUTE_TERMINAL = ("won", "lost", "warning_closed", "charge_refunded", "closed")

STATUSES = (
    "pending_payment",
    "paid",
    "needs_stock",
    "fulfilled",
    "payment_failed",
    "cancelled",
    "refunded",
    "partially_refunded",
)
REFUNDABLE = ("paid", "needs_stock", "fulfilled", "partially_refunded")


def order_status(
    payment_state: str,
    *,
    cancelled: bool,
    fulfilled: bool,
    amount_refunded: int,
    total: int,
    short_of_stock: bool,
) -> str:
    """The one rule for an order's status (the aggregate and the views both use it)."""
    if payment_state == "succeeded":
        if amount_refunded >= total:
            return "refunded"
        if fulfilled:
            return "fulfilled"  # a partial refund of a shipped order leaves it shipped
        if short_of_stock:
            return "needs_stock"
        return "partially_refunded" if amount_refunded > 0 else "paid"
    if payment_state == "canceled" or cancelled:
        return "cancelled"
    if payment_state == "failed":
        return "payment_failed"
    return "pending_payment"


def wants_stock(
    payment_state: str, *, cancelled: bool, fulfilled: bool, fully_refunded: bool
) -> bool:
    """Whether the order should hold its units: not when unpaid for good, nor when its money
    all went back before it shipped (a partial refund keeps them)."""
    if payment_state == "succeeded":
        return fulfilled or not fully_refunded
    return not (cancelled or payment_state in ("failed", "canceled"))


def dispute_state(stripe_status: str | None, closed_event: bool) -> str:
    """open / won / lost / closed, from Stripe's status and whether the event closed it."""
    if stripe_status in ("won", "lost"):
        return stripe_status
    if closed_event or stripe_status in DISPUTE_TERMINAL:
        return "closed"
    return "open"


def dispute_rank(state: str) -> tuple[int, str]:
    """Closed states outrank open; between two closed ones (never both, in truth) lost wins,
    so the merge stays deterministic."""
    return (0 if state == "open" else 1, state)


@dataclass
class Knowledge:
    """Everything Stripe told us about one order, merged per object (see module docstring)."""

    intents: dict[str, str] = field(default_factory=dict)  # PaymentIntent id -> state
    intent_amounts: dict[str, int] = field(default_factory=dict)  # succeeded amount
    failure_reasons: dict[str, str] = field(default_factory=dict)
    charges: dict[str, int] = field(default_factory=dict)  # charge id -> max amount_refunded
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> status, amount
    disputes: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> state, amount


def merge_refund(known: dict[str, Any] | None, status: str, amount: int | None) -> dict[str, Any]:
    if status not in REFUND_RANK:
        status = "pending"
    amounts = [a for a in (amount, (known or {}).get("amount")) if isinstance(a, int)]
    best = status
    if known is not None and REFUND_RANK[known["status"]] > REFUND_RANK[status]:
        best = known["status"]
    return {"status": best, "amount": max(amounts) if amounts else 0}


def merge_dispute(
    known: dict[str, Any] | None, state: str, amount: int | None, reason: str | None
) -> dict[str, Any]:
    merged = dict(known or {"state": state, "amount": 0, "reason": ""})
    if dispute_rank(state) > dispute_rank(merged["state"]):
        merged["state"] = state
    if isinstance(amount, int):
        merged["amount"] = max(merged["amount"], amount)
    if reason and reason > merged["reason"]:
        merged["reason"] = reason  # any deterministic choice: Stripe sends one reason
    return merged


@dataclass(frozen=True)
class Picture:
    """What the knowledge means for the order: its payment state and money figures."""

    payment_state: str
    amount_paid: int
    amount_refunded: int
    settled_refunds: dict[str, int]
    disputes: dict[str, dict[str, Any]]
    failure_reason: str

    @property
    def amount_lost(self) -> int:
        return sum(d["amount"] for d in self.disputes.values() if d["state"] == "lost")


def picture(knowledge: Knowledge, payment_intent_id: str | None, total: int) -> Picture:
    """Our PaymentIntent's best state (any intent naming the order before one is attached)."""
    intents = (
        {payment_intent_id: knowledge.intents[payment_intent_id]}
        if payment_intent_id in knowledge.intents
        else ({} if payment_intent_id else knowledge.intents)
    )
    best_id, best = max(
        ((pi, state) for pi, state in intents.items()),
        key=lambda item: (INTENT_RANK[item[1]], item[0]),
        default=("", "none"),
    )
    settled = {
        rid: r["amount"]
        for rid, r in sorted(knowledge.refunds.items())
        if r["status"] == "succeeded"
    }
    # One charge pays an intent (a declined one refunds nothing): the largest is the one.
    refunded = max(max(knowledge.charges.values(), default=0), sum(settled.values()))
    return Picture(
        payment_state=best,
        amount_paid=knowledge.intent_amounts.get(best_id, total) if best == "succeeded" else 0,
        amount_refunded=min(refunded, total),
        settled_refunds=settled,
        disputes={k: dict(v) for k, v in sorted(knowledge.disputes.items())},
        failure_reason=knowledge.failure_reasons.get(best_id, "payment failed"),
    )
