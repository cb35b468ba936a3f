"""The expiry job: an order left unpaid too long is cancelled, so abandoned checkouts do not
hold stock forever. The rounds, parking and backoff are the application's (application/
expiry.py); this module finds the candidates in the orders view, a page at a time, and runs
a round every minute under a lease."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import select

from application.expiry import ExpiryPolicy, ExpiryRound
from infra.services import Services
from projections.orders import orders
from workers.lease import Lease

log = logging.getLogger("shop.expiry")

BATCH = 100
# A failed payment's PaymentIntent can still be paid with another card: cancel it too, so a
# late payment cannot arrive for stock that has gone back on the shelf.
UNPAID = ("pending_payment", "payment_failed")


class UnpaidOrderExpiry:
    def __init__(
        self, services: Services, lease: Lease, every_seconds: float = 60.0, batch: int = BATCH
    ) -> None:
        self.services = services
        self.lease = lease
        self.every = every_seconds
        self.batch = batch
        ttl = timedelta(seconds=services.settings.pending_order_ttl_seconds)
        self.policy = ExpiryPolicy(services.shop, services.payments, ttl, self._expired)
        self.last_round = ExpiryRound()

    def run_once(self, now: datetime | None = None) -> list[UUID]:
        """Cancel what has expired by `now`; returns the ids of the orders cancelled (the
        whole round, with the orders found paid and those parked, is in `last_round`)."""
        self.last_round = self.policy.run_once(now)
        return self.last_round.cancelled

    def _expired(self, cutoff: datetime) -> Iterator[UUID]:
        """Every unpaid order placed before `cutoff`, oldest first, a page at a time."""
        after = -1
        while True:
            with self.services.read_engine.connect() as conn:
                page = conn.execute(
                    select(orders.c.id, orders.c.placed_position)
                    .where(
                        orders.c.status.in_(UNPAID),
                        orders.c.created_at < cutoff,
                        orders.c.placed_position > after,
                    )
                    .order_by(orders.c.placed_position)
                    .limit(self.batch)
                ).all()
            yield from (row.id for row in page)
            if len(page) < self.batch:
                return
            after = page[-1].placed_position

    def run(self, stop: threading.Event) -> None:
        """Every `every` seconds, while holding the expiry lease (one worker does this)."""
        while not stop.wait(self.every):
            try:
                if self.lease.try_acquire():
                    done = self.policy.run_once()
                    self.last_round = done
                    if done.cancelled or done.paid or done.parked:
                        log.info(
                            "expiry: %d cancelled, %d found paid, %d parked (%d waiting)",
                            len(done.cancelled),
                            len(done.paid),
                            len(done.parked),
                            done.waiting,
                        )
            except Exception:
                log.exception("expiry round failed; trying again next round")
