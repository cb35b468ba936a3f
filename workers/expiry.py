"""The expiry policy: an order left unpaid too long is cancelled, so abandoned checkouts do
not hold stock forever. Candidates come from the orders view; the decision is the
workflow's (application/cancellation.py: an order paid meanwhile refuses the cancel, and a
PaymentIntent Stripe says succeeded makes the order paid).

Never blocked by the orders Stripe will not cancel: those are parked and retried with
backoff, and each round pages through every expired candidate (by placed position), so
however many are parked at the front, newer unpaid orders still expire on time.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import select

from application.cancellation import Expiry, expire_order
from infra.services import Services
from projections.orders import orders
from workers.lease import Lease

log = logging.getLogger("shop.expiry")

BATCH = 100
# A failed payment's PaymentIntent can still be paid with another card: cancel it too, so a
# late payment cannot arrive for stock that has gone back on the shelf.
UNPAID = ("pending_payment", "payment_failed")
SYSTEM = "system"
# A parked order is tried again after 1, 2, 4 ... minutes, at most every hour.
BACKOFF = (timedelta(minutes=1), timedelta(hours=1))


@dataclass
class Parked:
    attempts: int
    retry_at: datetime
    reason: str


@dataclass
class ExpiryRound:
    cancelled: list[UUID] = field(default_factory=list)
    paid: list[UUID] = field(default_factory=list)
    parked: list[UUID] = field(default_factory=list)
    waiting: int = 0  # parked earlier and not due yet


class UnpaidOrderExpiry:
    def __init__(
        self,
        services: Services,
        lease: Lease,
        every_seconds: float = 60.0,
        batch: int = BATCH,
    ) -> None:
        self.services = services
        self.lease = lease
        self.every = every_seconds
        self.batch = batch
        self.ttl = timedelta(seconds=services.settings.pending_order_ttl_seconds)
        # In memory: a restarted worker tries each parked order once more, then parks it again.
        self.parked: dict[UUID, Parked] = {}
        self.last_round = ExpiryRound()

    def run_once(self, now: datetime | None = None) -> list[UUID]:
        """Cancel what has expired by `now`; returns the ids of the orders cancelled (the
        whole round, with the paid and parked ones, is in `last_round`)."""
        now = now or datetime.now(UTC)
        cutoff = now - self.ttl
        reason = f"not paid within {int(self.ttl.total_seconds() // 60)} minutes"
        report = ExpiryRound()
        for order_id in self._expired(cutoff):
            parked = self.parked.get(order_id)
            if parked is not None and parked.retry_at > now:
                report.waiting += 1
                continue
            expiry = expire_order(
                self.services.shop, self.services.payments, order_id, cutoff, reason, SYSTEM
            )
            self._note(expiry, parked, now, report)
        self.last_round = report
        return report.cancelled

    def _expired(self, cutoff: datetime) -> list[UUID]:
        """Every unpaid order placed before `cutoff`, oldest first, read a page at a time."""
        found: list[UUID] = []
        after = -1
        with self.services.read_engine.connect() as conn:
            while True:
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
                found += [row.id for row in page]
                if len(page) < self.batch:
                    return found
                after = page[-1].placed_position

    def _note(
        self, expiry: Expiry, parked: Parked | None, now: datetime, report: ExpiryRound
    ) -> None:
        if expiry.outcome != "parked":
            self.parked.pop(expiry.order_id, None)
            if expiry.outcome == "cancelled":
                report.cancelled.append(expiry.order_id)
            elif expiry.outcome == "paid":
                report.paid.append(expiry.order_id)
                log.info("order %s was paid at Stripe: recorded", expiry.order_id)
            return
        attempts = parked.attempts + 1 if parked else 1
        delay = min(BACKOFF[0] * 2 ** (attempts - 1), BACKOFF[1])
        self.parked[expiry.order_id] = Parked(attempts, now + delay, expiry.detail)
        report.parked.append(expiry.order_id)
        log.warning(
            "order %s not expired (attempt %d, next in %s): %s",
            expiry.order_id,
            attempts,
            delay,
            expiry.detail,
        )

    def run(self, stop: threading.Event) -> None:
        """Every `every` seconds, while holding the expiry lease (one worker does this)."""
        while not stop.wait(self.every):
            try:
                if self.lease.try_acquire():
                    self.run_once()
                    done = self.last_round
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
