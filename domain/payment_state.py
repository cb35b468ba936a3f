"""An order's payment picture as a pure function of what Stripe told us and what we did.

Stripe delivers at least once and in any order, so every fact is merged into a monotone
"latest knowledge" per Stripe object (a PaymentIntent's state by rank, a refund's and a
dispute's status by rank, terminal states last; a charge's newest statement by Stripe's own
`created` time). Merging is commutative and idempotent; the status and the money figures are
then derived from the merged knowledge, so any permutation of the same set of facts ends in
the same picture.

Refunded money follows Stripe's semantics: a refund counts while it is pending or succeeded
and stops counting when it fails or is cancelled (Stripe returns the money to the balance),
so the refunded amount can go down. It is the newest charge statement (`amount_refunded`,
which also covers refunds made in the Dashboard we never heard of one by one) corrected by
what each known refund did after that statement; with no charge statement, the sum of the
refunds themselves.
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
    """Whether the order should hold its units: while it can still be paid (a declined card
    leaves it payable: the shopper tries again on the same order), not once it is cancelled,
    nor when its money all went back before it shipped (a partial refund keeps them)."""
    if payment_state == "succeeded":
        return fulfilled or not fully_refunded
    return not (cancelled or payment_state == "canceled")


def dispute_state(stripe_status: str | None, closed_event: bool) -> str:
    """open / won / lost / closed, from Stripe's status and whether the event closed it."""
    if stripe_status in ("won", "lost"):
        return stripe_status
    if closed_event or stripe_status in DISPUTE_TERMINAL:
        return "closed"
    return "open"


_DISPUTE_RANK = {"open": 0, "closed": 1, "won": 2, "lost": 3}


def dispute_rank(state: str) -> int:
    """Closed states outrank open; between two closed ones (never both, in truth) lost wins,
    so the merge stays deterministic."""
    return _DISPUTE_RANK.get(state, 1)


@dataclass
class Knowledge:
    """Everything Stripe told us about one order, merged per object (see module docstring)."""

    intents: dict[str, str] = field(default_factory=dict)  # PaymentIntent id -> state
    intent_amounts: dict[str, int] = field(default_factory=dict)  # succeeded amount
    failure_reasons: dict[str, str] = field(default_factory=dict)
    # The newest statement of a charge's amount_refunded: (Stripe's created time, amount).
    charge: tuple[int, int] | None = None
    # refund id -> {"amount": int, "status": best status, "seen": {created: best status then}}
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    disputes: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> state, amount


def merge_charge(
    known: tuple[int, int] | None, created: int, amount_refunded: int
) -> tuple[int, int]:
    """The newest statement wins; two of the same second keep the larger (deterministic)."""
    return max(known or (created, amount_refunded), (created, amount_refunded))


def _better(status: str, other: str | None) -> str:
    return status if other is None or REFUND_RANK[status] >= REFUND_RANK[other] else other


def merge_refund(
    known: dict[str, Any] | None,
    status: str,
    amount: int | None,
    created: int = 0,
    object_created: int | None = None,
) -> dict[str, Any]:
    """Merge one fact about a refund: `created` is the event's time, `object_created` the
    refund's own (from then on it held money, whenever we learnt of it)."""
    if status not in REFUND_RANK:
        status = "pending"
    known = known or {"amount": 0, "status": status, "seen": {}}
    amounts = [a for a in (amount, known["amount"]) if isinstance(a, int)]
    seen = dict(known["seen"])
    seen[created] = _better(status, seen.get(created))
    if object_created is not None:
        seen[object_created] = _better("pending", seen.get(object_created))
    return {
        "amount": max(amounts) if amounts else 0,
        "status": _better(status, known["status"]),
        "seen": seen,
    }


def _counts(status: str | None) -> bool:
    """A refund holds money back from the customer's charge while pending or succeeded."""
    return status in ("pending", "requires_action", "succeeded")


def _status_as_of(refund: dict[str, Any], moment: int) -> str | None:
    best: str | None = None
    for at, status in refund["seen"].items():
        if at <= moment:
            best = _better(status, best)
    return best


def refunded_amount(knowledge: Knowledge) -> int:
    """What Stripe holds as refunded: the refunds we know of, each in its latest state, plus
    what the newest charge statement holds beyond what those refunds held at its time
    (refunds we never heard of one by one: made in the Dashboard, their events lost)."""
    known_now = sum(r["amount"] for r in knowledge.refunds.values() if _counts(r["status"]))
    if knowledge.charge is None:
        return known_now
    at, stated = knowledge.charge
    known_then = sum(
        r["amount"] for r in knowledge.refunds.values() if _counts(_status_as_of(r, at))
    )
    return known_now + max(0, stated - known_then)


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
    refunded = refunded_amount(knowledge)
    return Picture(
        payment_state=best,
        amount_paid=knowledge.intent_amounts.get(best_id, total) if best == "succeeded" else 0,
        amount_refunded=min(refunded, total),
        settled_refunds=settled,
        disputes={k: dict(v) for k, v in sorted(knowledge.disputes.items())},
        failure_reason=knowledge.failure_reasons.get(best_id, "payment failed"),
    )
