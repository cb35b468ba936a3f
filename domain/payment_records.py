"""Aggregates whose ids are derived from Stripe's ids, so the store itself refuses doubles.

A StripeEventReceipt exists once per Stripe event id: creating it twice fails on the
(originator_id, version) key, which is how a delivery is recorded exactly once even when two
copies arrive at the same moment. A PaymentIntentLink maps a PaymentIntent to its order, for
events (charges, refunds, disputes) that do not carry our metadata.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid5(NAMESPACE_URL, "https://order-platform/stripe")


def receipt_id_for(stripe_event_id: str) -> UUID:
    return uuid5(_NAMESPACE, f"event:{stripe_event_id}")


def link_id_for(payment_intent_id: str) -> UUID:
    return uuid5(_NAMESPACE, f"payment_intent:{payment_intent_id}")


class StripeEventReceipt(Aggregate):
    class StripeEventAccepted(Aggregate.Created):
        stripe_event_id: str
        stripe_type: str
        order_id: UUID | None
        amount: int | None
        currency: str | None

    class DuplicateDeliveryReceived(Aggregate.Event):
        """Stripe delivered the event again. Version 2 carries the number of deliveries so
        far: repeats are counted outside the stream and noted here at 2, 4, 8, ... so a
        replayed delivery cannot grow the log without bound."""

        class_version = 2
        deliveries: int | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["deliveries"] = None  # one more than before

    @staticmethod
    def create_id(stripe_event_id: str, **_: Any) -> UUID:
        return receipt_id_for(stripe_event_id)

    @event(StripeEventAccepted)
    def __init__(
        self,
        stripe_event_id: str,
        stripe_type: str,
        order_id: UUID | None,
        amount: int | None,
        currency: str | None,
    ) -> None:
        self.stripe_event_id = stripe_event_id
        self.order_id = order_id
        self.deliveries = 1

    def note_deliveries(self, deliveries: int) -> None:
        if deliveries > self.deliveries:
            self._duplicate(deliveries)

    @event(DuplicateDeliveryReceived)
    def _duplicate(self, deliveries: int | None) -> None:
        self.deliveries = deliveries if deliveries is not None else self.deliveries + 1


class PaymentIntentLink(Aggregate):
    class PaymentIntentLinked(Aggregate.Created):
        payment_intent_id: str
        order_id: UUID

    @staticmethod
    def create_id(payment_intent_id: str, **_: Any) -> UUID:
        return link_id_for(payment_intent_id)

    @event(PaymentIntentLinked)
    def __init__(self, payment_intent_id: str, order_id: UUID) -> None:
        self.order_id = order_id
