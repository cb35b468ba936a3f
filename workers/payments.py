"""The worker's payment jobs: refund recovery (every few seconds) and reconciliation with
Stripe (every few minutes), one worker at a time under a lease.

Recovery watches the log for refund requests (a topic-filtered read, no view needed): an
order stays on the watch list while it has a refund left `requested` or `unknown`, and is
reconciled each round, which resolves each such refund once it is older than the grace
period (application/refunds.py) and records what Stripe says of it, so a refund whose
process died is settled within a minute. Reconciliation compares every
open order with Stripe (application/reconciliation.py) and appends what a lost webhook
left out. Both only append facts through the workflows: a round cut short by a crash or an
outage is simply done again.

Reconciliation asks Stripe only about orders with an open question (the orders view's
`open_question`: unpaid with a PaymentIntent, a refund without Stripe's outcome, a pending
refund at Stripe, a charge statement the known refunds do not explain), a page at a time,
renewing its lease after every page, and paces itself to its share of the Stripe request
budget that checkout draws on too (infra/stripe_budget.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import select

from application.payments import PaymentError
from application.reconciliation import Reconciled, reconcile_order
from application.refunds import orders_with_refund_requests
from domain.errors import DomainError
from infra.services import Services
from projections.orders import orders
from workers.lease import Lease

log = logging.getLogger("shop.payments")

PAGE = 200
# Stripe requests reconciling one order costs (its PaymentIntent, its refunds).
ORDER_CALLS = 2
# The worker reconciles what changed in this window; Stripe retries a webhook for three days.
LOOKBACK = timedelta(days=3)


def open_orders(
    services: Services, since: datetime | None = None, lease: Lease | None = None
) -> Iterator[UUID]:
    """Orders with an open question (changed at or after `since`), oldest first, a page at a
    time; with a lease, renewed after each page (a lost lease ends the round)."""
    after = -1
    while True:
        query = select(orders.c.id, orders.c.placed_position).where(
            orders.c.open_question.is_(True), orders.c.placed_position > after
        )
        if since is not None:
            query = query.where(orders.c.updated_at >= since)
        with services.read_engine.connect() as conn:
            page = conn.execute(query.order_by(orders.c.placed_position).limit(PAGE)).all()
        yield from (row.id for row in page)
        if len(page) < PAGE:
            return
        if lease is not None and not lease.renew():
            log.warning("reconciliation: lease lost to another worker; round ends here")
            return
        after = page[-1].placed_position


@dataclass
class ReconcileReport:
    checked: int = 0
    changed: list[Reconciled] = field(default_factory=list)
    errors: dict[UUID, str] = field(default_factory=dict)


def reconcile(
    services: Services,
    since: datetime | None = None,
    now: datetime | None = None,
    lease: Lease | None = None,
) -> ReconcileReport:
    """Reconcile every order with an open question (changed since `since`); one order's
    failure is reported, not fatal to the rest. `now` decides which unresolved refunds are
    past their grace. Each order waits for reconciliation's share of the Stripe budget."""
    report = ReconcileReport()
    for order_id in open_orders(services, since, lease):
        report.checked += 1
        services.stripe_budget.wait_for_share(ORDER_CALLS)
        try:
            result = reconcile_order(services.shop, services.payments, order_id, now)
        except (PaymentError, DomainError) as error:
            report.errors[order_id] = str(error) or type(error).__name__
            continue
        if result.changed:
            report.changed.append(result)
    return report


class PaymentRecovery:
    def __init__(
        self,
        services: Services,
        lease: Lease,
        every_seconds: float = 10.0,
        reconcile_every_seconds: float = 300.0,
    ) -> None:
        self.services = services
        self.lease = lease
        self.every = every_seconds
        self.reconcile_every = reconcile_every_seconds
        self.watched: set[UUID] = set()
        self.read_up_to = 0
        self._reconciled_at = float("-inf")

    def recover_once(self, now: datetime | None = None) -> list[Reconciled]:
        """Reconcile the orders that have refunds left without Stripe's answer (recovering
        those past their grace, and recording what Stripe says of them); the orders changed."""
        while True:
            found, self.read_up_to = orders_with_refund_requests(
                self.services.shop, self.read_up_to
            )
            self.watched |= found
            if not found:
                break
        changed = []
        for order_id in sorted(self.watched):
            if not self.services.shop.order_for(order_id).unresolved_refunds:
                self.watched.discard(order_id)
                continue
            try:
                result = reconcile_order(self.services.shop, self.services.payments, order_id, now)
            except (PaymentError, DomainError) as error:
                log.warning("refunds of order %s not recovered yet: %s", order_id, error)
                continue
            for refund in result.refunds:
                if refund.outcome != "waiting":
                    log.info(
                        "refund %s of order %s: %s", refund.refund_id, order_id, refund.outcome
                    )
            if result.changed:
                changed.append(result)
        return changed

    def run_once(self, now: datetime | None = None) -> None:
        self.recover_once(now)
        if time.monotonic() - self._reconciled_at >= self.reconcile_every:
            self._reconciled_at = time.monotonic()
            since = (now or datetime.now(UTC)) - LOOKBACK
            report = reconcile(self.services, since, now, self.lease)
            if report.changed or report.errors:
                log.info(
                    "reconciled %d open order(s): %d changed, %d not reachable",
                    report.checked,
                    len(report.changed),
                    len(report.errors),
                )

    def run(self, stop: threading.Event) -> None:
        """Every `every` seconds, while holding the lease (one worker does this)."""
        while not stop.wait(self.every):
            try:
                if self.lease.try_acquire():
                    self.run_once()
            except Exception:
                log.exception("payment recovery round failed; trying again next round")
