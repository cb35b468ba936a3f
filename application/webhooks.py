"""A Stripe delivery, verified by the caller: recorded once with its effect on the order;
a repeat is counted, and noted on the receipt's stream only at 2, 4, 8, ... deliveries, so a
replayed delivery costs one counter update, never an unbounded log."""

from __future__ import annotations

from typing import Protocol

from domain.shop import Shop
from domain.stripe_facts import StripeFact


class DeliveryCounts(Protocol):
    def count_duplicate(self, stripe_event_id: str) -> int:
        """Count one repeated delivery; the deliveries so far, the first included."""
        ...


def receive_stripe_event(shop: Shop, counts: DeliveryCounts, fact: StripeFact) -> tuple[int, bool]:
    """(position, duplicate)."""
    position, duplicate = shop.record_stripe_event(fact)
    if duplicate:
        deliveries = counts.count_duplicate(fact.event_id)
        if deliveries & (deliveries - 1) == 0:  # a power of two
            position = shop.note_deliveries(fact.event_id, deliveries)
    return position, duplicate
