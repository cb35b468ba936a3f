"""The expiry policy: an order left unpaid too long is cancelled, so abandoned checkouts do
not hold stock forever. Candidates come from the orders view; the decision is the Order
aggregate's (an order paid meanwhile refuses the cancel), and the PaymentIntent is
cancelled first, as for a shopper's own cancel."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import select

from application.cancellation import cancel_unpaid_order
from application.payments import PaymentError
from domain.errors import DomainError
from infra.services import Services
from projections.orders import orders
from workers.lease import Lease

log = logging.getLogger("shop.expiry")

BATCH = 100
# A failed payment's PaymentIntent can still be paid with another card: cancel it too, so a
# late payment cannot arrive for stock that has gone back on the shelf.
UNPAID = ("pending_payment", "payment_failed")
SYSTEM = "system"


class UnpaidOrderExpiry:
    def __init__(self, services: Services, lease: Lease, every_seconds: float = 60.0) -> None:
        self.services = services
        self.lease = lease
        self.every = every_seconds
        self.ttl = timedelta(seconds=services.settings.pending_order_ttl_seconds)

    def run_once(self, now: datetime | None = None) -> list[UUID]:
        """Cancel what has expired by `now`; returns the ids of the orders cancelled."""
        cutoff = (now or datetime.now(UTC)) - self.ttl
        with self.services.read_engine.connect() as conn:
            candidates = conn.execute(
                select(orders.c.id)
                .where(orders.c.status.in_(UNPAID), orders.c.created_at < cutoff)
                .order_by(orders.c.placed_position)
                .limit(BATCH)
            ).scalars()
            ids = list(candidates)
        cancelled = []
        minutes = int(self.ttl.total_seconds() // 60)
        for order_id in ids:
            order = self.services.shop.order_for(order_id)
            if order.status not in UNPAID or order.created_on >= cutoff:
                continue
            try:
                cancel_unpaid_order(
                    self.services.shop,
                    self.services.payments,
                    order,
                    f"not paid within {minutes} minutes",
                    SYSTEM,
                )
            except (DomainError, PaymentError) as error:
                log.warning("order %s not expired: %s", order_id, error)
                continue
            cancelled.append(order_id)
        return cancelled

    def run(self, stop: threading.Event) -> None:
        """Every `every` seconds, while holding the expiry lease (one worker does this)."""
        while not stop.wait(self.every):
            try:
                if self.lease.try_acquire():
                    expired = self.run_once()
                    if expired:
                        log.info("cancelled %d unpaid order(s)", len(expired))
            except Exception:
                log.exception("expiry round failed; trying again next round")
