"""How many times Stripe delivered an event we had already recorded (infra/private_store.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from infra.private_store import PrivateStore

_COUNT = (
    "INSERT INTO stripe_deliveries (stripe_event_id, duplicates, last_at)"
    " VALUES (:event_id, 1, :now)"
    " ON CONFLICT (stripe_event_id) DO UPDATE"
    " SET duplicates = stripe_deliveries.duplicates + 1, last_at = excluded.last_at"
    " RETURNING duplicates"
)


class DeliveryCounter(PrivateStore):
    def count_duplicate(self, stripe_event_id: str) -> int:
        """One more repeated delivery; the number of deliveries so far, the first included.
        One atomic statement: concurrent duplicates never conflict."""
        row = self._first(
            _COUNT, {"event_id": stripe_event_id, "now": self._time(datetime.now(UTC))}, True
        )
        return 1 + int(row["duplicates"])
