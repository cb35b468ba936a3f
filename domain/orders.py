"""The Order aggregate: a placed order, its payment as Stripe reports it, refunds, fulfilment.

Status: pending_payment → paid → fulfilled, or needs_stock (paid, but its units were sold
meanwhile), payment_failed / cancelled / refunded / partially_refunded. Stripe's facts arrive
in any order and more than once: each is merged into the order's knowledge (domain/
payment_state.py), the status is derived from that knowledge and our own commands, and
events are recorded only when what they derive changes.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidCommand, StateConflict
from domain.money import format_money
from domain.payment_state import (
    INTENT_RANK,
    INTENT_STATE_OF,
    REFUNDABLE,
    STATUSES,
    Knowledge,
    dispute_state,
    merge_charge,
    merge_dispute,
    merge_refund,
    order_status,
    picture,
    wants_stock,
)
from domain.stripe_facts import RECONCILIATION, StripeFact

__all__ = ["REFUNDABLE", "STATUSES", "Order", "cancelled_at_stripe"]
STRIPE = "stripe"


def cancelled_at_stripe(actor: str) -> bool:
    """An OrderCancelled recorded for Stripe (a webhook, or reconciliation asking it) means
    the PaymentIntent was cancelled there; any other actor cancelled the order itself."""
    return actor in (STRIPE, RECONCILIATION)


class Order(Aggregate):
    class OrderPlaced(Aggregate.Created):
        """Version 2 carries the order's figures (subtotal, discount, shipping, tax per rate,
        total: integer minor units, domain/pricing.py), the shipping method and discount code
        chosen, and the ids of its addresses (never the addresses: personal data). Each line
        also has its rate, discount and tax. Orders of version 1 had lines only."""

        class_version = 2
        user_id: UUID
        lines: list[dict[str, Any]]
        total: int
        currency: str
        actor: str
        subtotal: int
        discount: int
        shipping: int
        tax: int
        tax_by_rate: dict[str, int]
        prices_include_tax: bool
        shipping_method: dict[str, Any] | None
        discount_code: str | None
        shipping_address_id: UUID | None
        billing_address_id: UUID | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(
                subtotal=state["total"],
                discount=0,
                shipping=0,
                tax=0,
                tax_by_rate={},
                prices_include_tax=True,
                shipping_method=None,
                discount_code=None,
                shipping_address_id=None,
                billing_address_id=None,
            )

    class PaymentIntentCreated(Aggregate.Event):
        payment_intent_id: str
        amount: int
        currency: str
        actor: str

    class StripeEventReceived(Aggregate.Event):
        """A Stripe fact as received. Version 2 keeps everything the order's knowledge
        merges, so the knowledge is rebuilt from the stream alone; version 3 adds Stripe's
        times: the event's `created` (which orders a charge's statements of what is
        refunded) and the object's (a refund holds money from its creation on)."""

        class_version = 3
        stripe_event_id: str
        stripe_type: str
        stripe_object_id: str
        amount: int | None
        currency: str | None
        object_type: str | None
        payment_intent_id: str | None
        amount_refunded: int | None
        status: str | None
        reason: str | None
        actor: str
        created: int
        object_created: int | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # Version 1 kept too little to merge: the derived events that followed it
            # (PaymentSucceeded, RefundSettled, ...) carry what it meant.
            for name in ("object_type", "payment_intent_id", "amount_refunded", "status"):
                state[name] = None
            state["reason"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["created"] = 0  # older than any statement with a time
            state["object_created"] = None

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
        """Version 2 carries the disputed amount: a closing may be the first we hear of a
        dispute, and a lost one is money lost."""

        class_version = 2
        dispute_id: str
        outcome: str
        amount: int | None
        actor: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["amount"] = None  # the DisputeOpened before it named the amount

    class OrderFulfilled(Aggregate.Event):
        tracking_note: str
        actor: str

    @event(OrderPlaced)
    def __init__(
        self,
        user_id: UUID,
        lines: list[dict[str, Any]],
        total: int,
        currency: str,
        actor: str,
        subtotal: int,
        discount: int,
        shipping: int,
        tax: int,
        tax_by_rate: dict[str, int],
        prices_include_tax: bool,
        shipping_method: dict[str, Any] | None,
        discount_code: str | None,
        shipping_address_id: UUID | None,
        billing_address_id: UUID | None,
    ) -> None:
        self.user_id = user_id
        self.lines = lines
        self.total = total
        self.currency = currency
        self.subtotal = subtotal
        self.discount = discount
        self.shipping = shipping
        self.tax = tax
        self.tax_by_rate = dict(tax_by_rate)
        self.prices_include_tax = prices_include_tax
        self.shipping_method = shipping_method
        self.discount_code = discount_code
        self.shipping_address_id = shipping_address_id
        self.billing_address_id = billing_address_id
        self.payment_state = "none"
        self.cancelled = False
        self.fulfilled = False
        self.reserved = True
        self.stock_shortfall = False
        self.payment_intent_id: str | None = None
        self.amount_refunded = 0
        self.refunds: dict[str, dict[str, Any]] = {}
        self.settled_refunds: dict[str, int] = {}
        self.disputes: dict[str, str] = {}
        self.dispute_amounts: dict[str, int] = {}
        self.tracking_note = ""
        self.knowledge = Knowledge()
        # False until a fact of the complete shape (StripeEventReceived v2) is merged: until
        # then the derived events of older code are what we know, and feed the knowledge.
        self.knowledge_complete = False

    @classmethod
    def place(
        cls,
        order_id: UUID,
        user_id: UUID,
        lines: list[dict[str, Any]],
        total: int,
        currency: str,
        actor: str,
        **figures: Any,
    ) -> Order:
        """A new order; figures not given are those of an order of lines only (no discount,
        shipping or tax, nothing chosen)."""
        placed = {
            "subtotal": total,
            "discount": 0,
            "shipping": 0,
            "tax": 0,
            "tax_by_rate": {},
            "prices_include_tax": True,
            "shipping_method": None,
            "discount_code": None,
            "shipping_address_id": None,
            "billing_address_id": None,
            **figures,
        }
        return cls._create(
            cls.OrderPlaced,
            id=order_id,
            user_id=user_id,
            lines=lines,
            total=total,
            currency=currency,
            actor=actor,
            **placed,
        )

    # -- derived state -------------------------------------------------------------------------

    @property
    def status(self) -> str:
        return order_status(
            self.payment_state,
            cancelled=self.cancelled,
            fulfilled=self.fulfilled,
            amount_refunded=self.amount_refunded,
            total=self.total,
            short_of_stock=self.needs_stock,
        )

    @property
    def holds_stock(self) -> bool:
        """Whether this order should hold its units in its current state."""
        return wants_stock(
            self.payment_state,
            cancelled=self.cancelled,
            fulfilled=self.fulfilled,
            fully_refunded=self.amount_refunded >= self.total,
        )

    @property
    def needs_stock(self) -> bool:
        """Paid, but its units went to someone else while it was unpaid: it cannot ship
        until the product is restocked (it then takes them) or it is refunded."""
        return self.stock_shortfall and not self.reserved and self.holds_stock

    @property
    def amount_lost(self) -> int:
        """Money taken back by lost disputes."""
        return sum(
            self.dispute_amounts.get(dispute_id, 0)
            for dispute_id, state in self.disputes.items()
            if state == "lost"
        )

    @property
    def dispute(self) -> str | None:
        """The disputes in one word: lost if any was lost, else open if any is, else the
        last closed outcome."""
        states = list(self.disputes.values())
        for worst in ("lost", "open"):
            if worst in states:
                return worst
        return states[-1] if states else None

    # -- our own commands ----------------------------------------------------------------------

    def attach_payment_intent(self, payment_intent_id: str, actor: str) -> None:
        if self.payment_intent_id is None:
            self._intent_created(payment_intent_id, self.total, self.currency, actor)
            self._follow()  # facts about this intent may have come before it was attached

    def cancel(self, reason: str, actor: str) -> None:
        if self.status not in ("pending_payment", "payment_failed"):
            raise StateConflict(f"an order that is {self.status} cannot be cancelled")
        self._cancelled(reason, actor)

    def fulfil(self, tracking_note: str, actor: str) -> None:
        if self.status == "needs_stock":
            raise StateConflict(
                "this order cannot be fulfilled: its units were sold while it was unpaid;"
                " restock the product (the order then takes its units) or refund the order"
            )
        if self.status not in ("paid", "partially_refunded"):
            raise StateConflict(f"an order that is {self.status} cannot be fulfilled")
        self._fulfilled(tracking_note, actor)

    @property
    def refundable(self) -> int:
        """The total less what Stripe holds as refunded (pending refunds included, Dashboard
        refunds too) and less our own refunds Stripe has not reported on yet."""
        at_stripe = self.knowledge.refunds
        in_flight = sum(
            r["amount"]
            for r in self.refunds.values()
            if r["state"] != "failed" and r.get("stripe_refund_id") not in at_stripe
        )
        return max(0, self.total - self.amount_refunded - in_flight)

    def check_refund_key(self, refund_id: str, amount: int) -> None:
        """An Idempotency-Key names one refund: reusing it for another amount is a mistake
        (422), not a request to report the earlier refund."""
        earlier = self.refunds.get(refund_id)
        if earlier is not None and earlier["amount"] not in (0, amount):
            raise InvalidCommand(
                "this Idempotency-Key was used for a refund of"
                f" {format_money(earlier['amount'], self.currency)}; use a new key"
            )

    def request_refund(self, refund_id: str, amount: int, actor: str) -> bool:
        """Reserve the amount before Stripe is asked, so racing refunds cannot exceed the
        total; False (nothing recorded) when this refund was already asked for: one request
        asks Stripe, a concurrent retry reports it."""
        earlier = self.refunds.get(refund_id)
        if earlier is not None:
            if earlier["state"] != "unknown":
                return False
            # Stripe's answer was lost and Stripe has no such refund: ask again (the amount
            # is still reserved).
            self._refund_requested(refund_id, earlier["amount"], actor)
            return True
        if self.status not in REFUNDABLE:
            raise StateConflict(f"an order that is {self.status} cannot be refunded")
        if amount < 1:
            raise InvalidCommand("refund amount must be at least 1 minor unit")
        if amount > self.refundable:
            raise StateConflict(
                f"at most {format_money(self.refundable, self.currency)} can still be refunded"
            )
        self._refund_requested(refund_id, amount, actor)
        return True

    def refund_submitted(self, refund_id: str, stripe_refund_id: str, actor: str) -> None:
        """Record Stripe's refund id (once: recovery and a late answer may both report it). A
        `refund.failed` for that id that arrived before we knew the id fails it now."""
        if self.refunds.get(refund_id, {}).get("stripe_refund_id") == stripe_refund_id:
            return
        self._refund_submitted(refund_id, stripe_refund_id, actor)
        self._match_failed_refunds()  # a refund.failed that arrived before this

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

    def receive(self, fact: StripeFact) -> None:
        """Record a Stripe event, merge it into what we know, and record what that changes;
        the caller then settles the stock (compare holds_stock with reserved)."""
        self._stripe_event(
            fact.event_id,
            fact.type,
            fact.object_id,
            fact.amount,
            fact.currency,
            fact.object_type,
            fact.payment_intent_id,
            fact.amount_refunded,
            fact.status,
            fact.reason,
            fact.source,
            fact.created,
            fact.object_created,
        )
        self._follow(fact.source)

    def _follow(self, actor: str = STRIPE) -> None:
        """Record the events that move the derived state to what the knowledge now says
        (Stripe's doing, whoever's command made us look; `reconciliation` when we asked)."""
        if not self.knowledge_complete:
            return
        now = picture(self.knowledge, self.payment_intent_id, self.total)
        if INTENT_RANK[now.payment_state] > INTENT_RANK[self.payment_state]:
            if now.payment_state == "processing":
                self._processing(actor)
            elif now.payment_state == "failed":
                self._failed(now.failure_reason, actor)
            elif now.payment_state == "canceled":
                self._cancelled("payment cancelled at Stripe", actor)
            elif now.payment_state == "succeeded":
                self._succeeded(now.amount_paid, actor)
        if (now.amount_refunded, now.settled_refunds) != (
            self.amount_refunded,
            self.settled_refunds,
        ):
            self._refund_settled(now.amount_refunded, now.settled_refunds, actor)
        for dispute_id, dispute in now.disputes.items():
            if self.disputes.get(dispute_id) == dispute["state"]:
                continue
            if dispute["state"] == "open":
                self._dispute_opened(dispute_id, dispute["amount"], dispute["reason"], actor)
            else:
                self._dispute_closed(dispute_id, dispute["state"], dispute["amount"], actor)
        self._match_failed_refunds(actor)

    def _match_failed_refunds(self, actor: str = STRIPE) -> None:
        for refund_id, refund in list(self.refunds.items()):
            stripe_id = refund.get("stripe_refund_id")
            known = self.knowledge.refunds.get(stripe_id) if stripe_id else None
            if known is not None and known["status"] in ("failed", "canceled"):
                self.refund_failed(refund_id, f"refund {known['status']} at Stripe", actor)

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
        object_type: str | None,
        payment_intent_id: str | None,
        amount_refunded: int | None,
        status: str | None,
        reason: str | None,
        actor: str,
        created: int,
        object_created: int | None,
    ) -> None:
        if object_type is None:
            return  # version 1: see upcast_v1_v2
        self.knowledge_complete = True
        known = self.knowledge
        if stripe_type in INTENT_STATE_OF:
            if currency not in (None, self.currency):
                return  # another currency never pays or moves this order
            if stripe_type == "payment_intent.succeeded" and (amount or self.total) < self.total:
                return  # not paid in full
            intent = payment_intent_id or stripe_object_id
            state = INTENT_STATE_OF[stripe_type]
            if INTENT_RANK[state] > INTENT_RANK[known.intents.get(intent, "none")]:
                known.intents[intent] = state
            if state == "succeeded":
                paid = self.total if amount is None else amount
                known.intent_amounts[intent] = max(paid, known.intent_amounts.get(intent, 0))
            if state == "failed" and reason:
                known.failure_reasons[intent] = max(reason, known.failure_reasons.get(intent, ""))
        elif object_type == "charge" and amount_refunded is not None:
            known.charge = merge_charge(known.charge, created, amount_refunded)
        elif object_type == "refund":
            if stripe_type == "refund.failed" or stripe_type == "charge.refund.failed":
                status = "failed"
            known.refunds[stripe_object_id] = merge_refund(
                known.refunds.get(stripe_object_id),
                status or "pending",
                amount,
                created,
                object_created,
            )
        elif stripe_type.startswith("charge.dispute."):
            state = dispute_state(status, stripe_type == "charge.dispute.closed")
            known.disputes[stripe_object_id] = merge_dispute(
                known.disputes.get(stripe_object_id), state, amount, reason
            )

    def _legacy(self) -> Knowledge | None:
        """The knowledge to feed from a derived event of older code (None once complete)."""
        return None if self.knowledge_complete else self.knowledge

    def _legacy_intent(self, state: str) -> None:
        known = self._legacy()
        if known is not None:
            intent = self.payment_intent_id or ""
            if INTENT_RANK[state] > INTENT_RANK[known.intents.get(intent, "none")]:
                known.intents[intent] = state

    @event(PaymentProcessing)
    def _processing(self, actor: str) -> None:
        self.payment_state = "processing"
        self._legacy_intent("processing")

    @event(PaymentSucceeded)
    def _succeeded(self, amount: int, actor: str) -> None:
        self.payment_state = "succeeded"
        self._legacy_intent("succeeded")

    @event(PaymentFailed)
    def _failed(self, reason: str, actor: str) -> None:
        self.payment_state = "failed"
        self._legacy_intent("failed")

    @event(OrderCancelled)
    def _cancelled(self, reason: str, actor: str) -> None:
        if cancelled_at_stripe(actor):
            self.payment_state = "canceled"
            self._legacy_intent("canceled")
        else:
            self.cancelled = True

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
        self.settled_refunds = dict(settled_refunds)
        known = self._legacy()
        if known is not None:
            known.charge = merge_charge(known.charge, 0, amount_refunded)
            for refund_id, amount in settled_refunds.items():
                known.refunds[refund_id] = merge_refund(
                    known.refunds.get(refund_id), "succeeded", amount
                )

    @event(DisputeOpened)
    def _dispute_opened(self, dispute_id: str, amount: int, reason: str, actor: str) -> None:
        self.disputes[dispute_id] = "open"
        self.dispute_amounts[dispute_id] = amount
        known = self._legacy()
        if known is not None:
            known.disputes[dispute_id] = merge_dispute(
                known.disputes.get(dispute_id), "open", amount, reason
            )

    @event(DisputeClosed)
    def _dispute_closed(
        self, dispute_id: str, outcome: str, amount: int | None, actor: str
    ) -> None:
        self.disputes[dispute_id] = outcome
        if amount is not None:
            self.dispute_amounts[dispute_id] = amount
        known = self._legacy()
        if known is not None:
            known.disputes[dispute_id] = merge_dispute(
                known.disputes.get(dispute_id), outcome, amount, None
            )

    @event(OrderFulfilled)
    def _fulfilled(self, tracking_note: str, actor: str) -> None:
        self.fulfilled = True
        self.tracking_note = tracking_note
