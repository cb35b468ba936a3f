"""The worker process: one log-head watcher, one runner thread per projection, stopped
cleanly by a signal.

Connections to the event store's PostgreSQL: one LISTEN connection (the watcher) and one pool
of WORKER_POOL_SIZE (≤ 4 by default), shared by every runner, whatever their number.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from infra.read_store import projection_leases
from infra.services import Services
from infra.settings import Settings
from projections.base import Projection
from projections.registry import projections_for
from workers.expiry import UnpaidOrderExpiry
from workers.follow import LogHead
from workers.health import serve_health
from workers.lease import Lease
from workers.metrics import WorkerCollector
from workers.payments import PaymentRecovery
from workers.runner import ProjectionRunner, worker_owner
from workers.status import projection_skips, projection_status
from workers.view_stores import view_store_for

LEASE_TTL_SECONDS = 10.0


class ProjectionWorker:
    """The projections one process runs, sharing one watcher of the log head."""

    def __init__(
        self,
        services: Services,
        only: list[str] | None = None,
        lease_ttl: float = LEASE_TTL_SECONDS,
        projections: list[Projection] | None = None,
        engine: Engine | None = None,
        status_engine: Engine | None = None,
    ) -> None:
        """`projections`: the registry's (projections/registry.py) unless given. `engine`:
        the SQL store the views (and their leases) are in, `status_engine`: where their
        status rows and skips are; the read store unless given (an analyst's replay
        follows into a store of its own)."""
        self.services = services
        self.engine = engine or services.read_engine
        self.status_engine = status_engine or services.read_engine
        self.owner = worker_owner()
        self.head = LogHead(services.shop.recorder)
        self.runners: list[ProjectionRunner] = []
        for projection in projections or projections_for(services.settings):
            if only and projection.name not in only:
                continue
            store = view_store_for(
                projection,
                self.engine,
                services.redis,
                services.settings.redis_namespace,
                services.shop.mapper,
            )
            lease = Lease(self.engine, projection.name, self.owner, lease_ttl)
            self.runners.append(
                ProjectionRunner(services.shop, store, lease, self.head, self.status_engine)
            )
        self.collector = WorkerCollector(
            lambda: [runner.status for runner in self.runners], lambda: self.head.head
        )
        self.threads: list[threading.Thread] = []

    def start(self, stop: threading.Event) -> None:
        # The live read store is migrated (`shop migrate`: Services.ready says so); an
        # analyst's own store is a new target, made here.
        if self.engine is not self.services.read_engine:
            projection_leases.create(self.engine, checkfirst=True)
        if self.status_engine is not self.services.read_engine:
            for table in (projection_status, projection_skips):
                table.create(self.status_engine, checkfirst=True)
        self.head.start(stop)
        self.threads = [
            threading.Thread(
                target=runner.run, args=(stop,), name=f"projection-{runner.name}", daemon=True
            )
            for runner in self.runners
        ]
        for thread in self.threads:
            thread.start()

    def join(self, timeout: float = 10.0) -> None:
        for thread in self.threads:
            thread.join(timeout)
        self.head.join(timeout)

    def runner(self, name: str) -> ProjectionRunner:
        return next(runner for runner in self.runners if runner.name == name)


def run_worker(
    settings: Settings,
    stop: threading.Event,
    only: list[str] | None = None,
    health: tuple[str, int] | None = None,
    lease_ttl: float = LEASE_TTL_SECONDS,
) -> None:
    """Block until `stop` is set, running every (or the named) projection; with `health`
    (host, port), also answer GET /healthz and GET /metrics there."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    services = Services(settings, pool_size=settings.worker_pool_size)
    services.start_setup()
    try:
        worker = ProjectionWorker(services, only, lease_ttl)
        # /healthz answers (503, naming the store) while the stores are not set up yet.
        server = serve_health(*health, worker) if health else None
        while not services.ready.wait(1.0) and not stop.is_set():
            pass
        if services.ready.is_set():
            worker.start(stop)
        if services.ready.is_set() and settings.pending_order_ttl_seconds and not only:
            expiry = UnpaidOrderExpiry(
                services, Lease(services.read_engine, "order-expiry", worker.owner, lease_ttl * 9)
            )
            threading.Thread(target=expiry.run, args=(stop,), name="expiry", daemon=True).start()
        if services.ready.is_set() and not only:
            recovery = PaymentRecovery(
                services,
                Lease(services.read_engine, "payment-recovery", worker.owner, lease_ttl * 9),
                reconcile_every_seconds=settings.reconcile_interval_seconds or float("inf"),
            )
            threading.Thread(
                target=recovery.run, args=(stop,), name="payment-recovery", daemon=True
            ).start()
        stop.wait()
        if server is not None:
            server.shutdown()
            server.server_close()
        worker.join()
    finally:
        services.close()
