"""The expiry policy's rounds: cancel every unpaid order past its time, park the ones Stripe
will not cancel and retry them with backoff.

Never blocked by the refused ones: a round goes through every expired candidate (the caller
pages through them all, oldest first), skipping parked orders until they are due, so however
many are parked at the front, newer unpaid orders still expire on time. Where the candidates
come from (the orders view) is the worker's business (workers/expiry.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from application.cancellation import Expiry, expire_order
from application.payments import PaymentPort
from domain.shop import Shop

log = logging.getLogger("shop.expiry")

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


class ExpiryPolicy:
    """`expired(cutoff)` yields every unpaid order placed before `cutoff`, oldest first."""

    def __init__(
        self,
        shop: Shop,
        payments: PaymentPort,
        ttl: timedelta,
        expired: Callable[[datetime], Iterable[UUID]],
    ) -> None:
        self.shop = shop
        self.payments = payments
        self.ttl = ttl
        self.expired = expired
        # In memory: a restarted worker tries each parked order once more, then parks it again.
        self.parked: dict[UUID, Parked] = {}

    def run_once(self, now: datetime | None = None) -> ExpiryRound:
        now = now or datetime.now(UTC)
        cutoff = now - self.ttl
        reason = f"not paid within {int(self.ttl.total_seconds() // 60)} minutes"
        report = ExpiryRound()
        for order_id in self.expired(cutoff):
            parked = self.parked.get(order_id)
            if parked is not None and parked.retry_at > now:
                report.waiting += 1
                continue
            expiry = expire_order(self.shop, self.payments, order_id, cutoff, reason, SYSTEM)
            self._note(expiry, parked, now, report)
        return report

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
