"""The Order aggregate: a placed order, its payment as Stripe reports it, refunds, fulfilment.

Status: pending_payment → paid → fulfilled, or → payment_failed / cancelled / refunded /
partially_refunded. Stripe's facts arrive in any order and more than once; each payment state
has a rank, and a fact of lower rank than what we know never moves the order backwards.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidCommand, StateConflict
from domain.money import format_money
from domain.stripe_facts import StripeFact

PAYMENT_RANK = {"none": 0, "processing": 1, "failed": 2, "succeeded": 3, "canceled": 3}
STATUSES = (
    "pending_payment",
    "paid",
    "fulfilled",
    "payment_failed",
    "cancelled",
    "refunded",
    "partially_refunded",
)
REFUNDABLE = ("paid", "fulfilled", "partially_refunded")
STRIPE = "stripe"


def status_after_refund(status: str, amount_refunded: int, total: int) -> str:
    """A full refund makes any refundable order refunded; a partial one marks a paid order,
    but leaves a fulfilled one fulfilled (it has shipped, whatever money went back)."""
    if status not in REFUNDABLE:
        return status
    if amount_refunded >= total:
        return "refunded"
    return status if status == "fulfilled" else "partially_refunded"


class Order(Aggregate):
    class OrderPlaced(Aggregate.Created):
        user_id: UUID
        lines: list[dict[str, Any]]
        total: int
        currency: str
        actor: str

    class PaymentIntentCreated(Aggregate.Event):
        payment_intent_id: str
        amount: int
        currency: str
        actor: str

    class StripeEventReceived(Aggregate.Event):
        stripe_event_id: str
        stripe_type: str
        stripe_object_id: str
        amount: int | None
        currency: str | None
        actor: str

    class PaymentProcessing(Aggregate.Event):
        actor: str

    class PaymentSucceeded(Aggregate.Event):
        amount: int
        actor: str

    class PaymentFailed(Aggregate.Event):
        reason: str
        actor: str

    class OrderCancelled(Aggregate.Event):
        reason: str
        actor: str

    class ReservationReleased(Aggregate.Event):
        actor: str

    class ReservationRenewed(Aggregate.Event):
        complete: bool
        actor: str

    class RefundRequested(Aggregate.Event):
        refund_id: str
        amount: int
        actor: str

    class RefundSubmitted(Aggregate.Event):
        refund_id: str
        stripe_refund_id: str
        actor: str

    class RefundFailed(Aggregate.Event):
        refund_id: str
        reason: str
        actor: str

    class RefundOutcomeUnknown(Aggregate.Event):
        refund_id: str
        reason: str
        actor: str

    class RefundSettled(Aggregate.Event):
        amount_refunded: int
        settled_refunds: dict[str, int]
        actor: str

    class DisputeOpened(Aggregate.Event):
        dispute_id: str
        amount: int
        reason: str
        actor: str

    class DisputeClosed(Aggregate.Event):
        dispute_id: str
        outcome: str
        actor: str

    class OrderFulfilled(Aggregate.Event):
        tracking_note: str
        actor: str

    @event(OrderPlaced)
    def __init__(
        self, user_id: UUID, lines: list[dict[str, Any]], total: int, currency: str, actor: str
    ) -> None:
        self.user_id = user_id
        self.lines = lines
        self.total = total
        self.currency = currency
        self.status = "pending_payment"
        self.payment_state = "none"
        self.reserved = True
        self.stock_shortfall = False
        self.payment_intent_id: str | None = None
        self.amount_refunded = 0
        self.refunds: dict[str, dict[str, Any]] = {}
        self.settled_refunds: dict[str, int] = {}
        self.disputes: dict[str, str] = {}
        self.tracking_note = ""
        # Stripe refunds reported failed (refund.failed), kept for a submission recorded later.
        self.failed_stripe_refunds: set[str] = set()

    # -- our own commands ----------------------------------------------------------------------

    def attach_payment_intent(self, payment_intent_id: str, actor: str) -> None:
        if self.payment_intent_id is None:
            self._intent_created(payment_intent_id, self.total, self.currency, actor)

    def cancel(self, reason: str, actor: str) -> None:
        if self.status not in ("pending_payment", "payment_failed"):
            raise StateConflict(f"an order that is {self.status} cannot be cancelled")
        self._cancelled(reason, actor)

    def fulfil(self, tracking_note: str, actor: str) -> None:
        if self.status not in ("paid", "partially_refunded"):
            raise StateConflict(f"an order that is {self.status} cannot be fulfilled")
        self._fulfilled(tracking_note, actor)

    @property
    def refundable(self) -> int:
        pending = sum(r["amount"] for r in self.refunds.values() if r["state"] != "failed")
        return max(0, self.total - max(pending, self.amount_refunded))

    def request_refund(self, refund_id: str, amount: int, actor: str) -> None:
        """Reserve the amount before Stripe is asked, so racing refunds cannot exceed the total."""
        if self.status not in REFUNDABLE:
            raise StateConflict(f"an order that is {self.status} cannot be refunded")
        earlier = self.refunds.get(refund_id)
        if earlier is not None:
            if earlier["state"] != "unknown":
                # A concurrent retry with the same Idempotency-Key: one request asks Stripe.
                raise StateConflict("this refund has already been requested; retry to see it")
            # Stripe's answer was lost: ask again (the amount is still reserved).
            self._refund_requested(refund_id, earlier["amount"], actor)
            return
        if amount < 1:
            raise InvalidCommand("refund amount must be at least 1 minor unit")
        if amount > self.refundable:
            raise StateConflict(
                f"at most {format_money(self.refundable, self.currency)} can still be refunded"
            )
        self._refund_requested(refund_id, amount, actor)

    def refund_submitted(self, refund_id: str, stripe_refund_id: str, actor: str) -> None:
        """Record Stripe's refund id (once: recovery and a late answer may both report it). A
        `refund.failed` for that id that arrived before we knew the id fails it now."""
        if self.refunds.get(refund_id, {}).get("stripe_refund_id") == stripe_refund_id:
            return
        self._refund_submitted(refund_id, stripe_refund_id, actor)
        if stripe_refund_id in self.failed_stripe_refunds:
            self.refund_failed(refund_id, "refund failed at Stripe", STRIPE)

    @property
    def unresolved_refunds(self) -> dict[str, int]:
        """Refunds asked of Stripe whose answer we never recorded (requested or unknown): the
        recovery job asks Stripe about them. refund id -> amount."""
        return {
            rid: r["amount"]
            for rid, r in self.refunds.items()
            if r["state"] in ("requested", "unknown")
        }

    def refund_outcome_unknown(self, refund_id: str, reason: str, actor: str) -> None:
        """Stripe did not answer: the refund may have happened, so its amount stays reserved
        until a retry under the same key learns the outcome."""
        self._refund_unknown(refund_id, reason, actor)

    def refund_failed(self, refund_id: str, reason: str, actor: str) -> None:
        if self.refunds.get(refund_id, {}).get("state") != "failed":
            self._refund_failed(refund_id, reason, actor)

    # -- Stripe's facts ------------------------------------------------------------------------

    @property
    def holds_stock(self) -> bool:
        """Whether this order should hold its reserved stock in its current state."""
        return self.status not in ("payment_failed", "cancelled")

    def receive(self, fact: StripeFact) -> None:
        """Record a Stripe event and apply it, by rank; the caller then settles the stock
        (compare holds_stock with reserved)."""
        actor = fact.source  # "stripe", or "reconciliation" when we asked Stripe ourselves
        self._stripe_event(
            fact.event_id, fact.type, fact.object_id, fact.amount, fact.currency, actor
        )
        kind = fact.type
        if kind.startswith("payment_intent.") and not self._is_our_intent(fact):
            return  # recorded, but another PaymentIntent never moves this order
        if kind == "payment_intent.processing" and PAYMENT_RANK[self.payment_state] < 1:
            self._processing(actor)
        elif kind == "payment_intent.payment_failed":
            if self.status == "pending_payment" and PAYMENT_RANK[self.payment_state] < 2:
                self._failed(fact.reason or "payment failed", actor)
        elif kind == "payment_intent.succeeded":
            if self.payment_state != "succeeded" and self._pays_in_full(fact):
                self._succeeded(fact.amount if fact.amount is not None else self.total, actor)
        elif kind == "payment_intent.canceled":
            if self.status in ("pending_payment", "payment_failed"):
                self._cancelled("payment cancelled at Stripe", actor)
        elif kind == "charge.refunded" and fact.amount_refunded is not None:
            if fact.amount_refunded > self.amount_refunded:
                self._settle(fact.amount_refunded, self.settled_refunds, actor)
        elif kind.startswith(("refund.", "charge.refund.")) and fact.object_type == "refund":
            self._on_refund_object(fact, actor)
        elif kind == "charge.dispute.created":
            self._dispute_opened(fact.object_id, fact.amount or 0, fact.reason or "", actor)
        elif kind == "charge.dispute.closed":
            self._dispute_closed(fact.object_id, fact.status or "closed", actor)

    def _is_our_intent(self, fact: StripeFact) -> bool:
        """Our PaymentIntent, or (before it is attached) one naming this order and its
        currency."""
        if self.payment_intent_id is not None:
            return fact.payment_intent_id == self.payment_intent_id
        return fact.currency in (None, self.currency)

    def _pays_in_full(self, fact: StripeFact) -> bool:
        return (fact.amount is None or fact.amount >= self.total) and fact.currency in (
            None,
            self.currency,
        )

    def _on_refund_object(self, fact: StripeFact, actor: str) -> None:
        ours = next(
            (rid for rid, r in self.refunds.items() if r.get("stripe_refund_id") == fact.object_id),
            None,
        )
        if fact.status == "succeeded" and fact.amount is not None:
            if fact.object_id not in self.settled_refunds:
                settled = {**self.settled_refunds, fact.object_id: fact.amount}
                self._settle(max(self.amount_refunded, sum(settled.values())), settled, actor)
        elif fact.status in ("failed", "canceled") and ours is not None:
            self.refund_failed(ours, f"refund {fact.status} at Stripe", actor)

    def _settle(self, amount_refunded: int, settled_refunds: dict[str, int], actor: str) -> None:
        self._refund_settled(min(amount_refunded, self.total), dict(settled_refunds), actor)

    def release_reservation(self, actor: str) -> None:
        if self.reserved:
            self._released(actor)

    def renew_reservation(self, complete: bool, actor: str) -> None:
        self._renewed(complete, actor)

    # -- event appliers ------------------------------------------------------------------------

    @event(PaymentIntentCreated)
    def _intent_created(
        self, payment_intent_id: str, amount: int, currency: str, actor: str
    ) -> None:
        self.payment_intent_id = payment_intent_id

    @event(StripeEventReceived)
    def _stripe_event(
        self,
        stripe_event_id: str,
        stripe_type: str,
        stripe_object_id: str,
        amount: int | None,
        currency: str | None,
        actor: str,
    ) -> None:
        if stripe_type == "refund.failed":
            self.failed_stripe_refunds.add(stripe_object_id)

    @event(PaymentProcessing)
    def _processing(self, actor: str) -> None:
        self.payment_state = "processing"

    @event(PaymentSucceeded)
    def _succeeded(self, amount: int, actor: str) -> None:
        self.payment_state = "succeeded"
        self.status = "paid"

    @event(PaymentFailed)
    def _failed(self, reason: str, actor: str) -> None:
        self.payment_state = "failed"
        self.status = "payment_failed"

    @event(OrderCancelled)
    def _cancelled(self, reason: str, actor: str) -> None:
        self.status = "cancelled"

    @event(ReservationReleased)
    def _released(self, actor: str) -> None:
        self.reserved = False

    @event(ReservationRenewed)
    def _renewed(self, complete: bool, actor: str) -> None:
        self.reserved = complete
        self.stock_shortfall = not complete

    @event(RefundRequested)
    def _refund_requested(self, refund_id: str, amount: int, actor: str) -> None:
        self.refunds[refund_id] = {"amount": amount, "state": "requested"}

    @event(RefundSubmitted)
    def _refund_submitted(self, refund_id: str, stripe_refund_id: str, actor: str) -> None:
        self.refunds[refund_id].update(state="submitted", stripe_refund_id=stripe_refund_id)

    @event(RefundOutcomeUnknown)
    def _refund_unknown(self, refund_id: str, reason: str, actor: str) -> None:
        self.refunds[refund_id]["state"] = "unknown"

    @event(RefundFailed)
    def _refund_failed(self, refund_id: str, reason: str, actor: str) -> None:
        self.refunds.setdefault(refund_id, {"amount": 0})["state"] = "failed"

    @event(RefundSettled)
    def _refund_settled(
        self, amount_refunded: int, settled_refunds: dict[str, int], actor: str
    ) -> None:
        self.amount_refunded = amount_refunded
        self.settled_refunds = settled_refunds
        self.status = status_after_refund(self.status, amount_refunded, self.total)

    @event(DisputeOpened)
    def _dispute_opened(self, dispute_id: str, amount: int, reason: str, actor: str) -> None:
        self.disputes[dispute_id] = "open"

    @event(DisputeClosed)
    def _dispute_closed(self, dispute_id: str, outcome: str, actor: str) -> None:
        self.disputes[dispute_id] = outcome

    @event(OrderFulfilled)
    def _fulfilled(self, tracking_note: str, actor: str) -> None:
        self.status = "fulfilled"
        self.tracking_note = tracking_note
