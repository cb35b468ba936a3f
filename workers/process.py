"""The worker process: one runner thread per projection, stopped cleanly by a signal."""

from __future__ import annotations

import logging
import threading

from infra.services import Services
from infra.settings import Settings
from projections.registry import projections_for
from workers.expiry import UnpaidOrderExpiry
from workers.health import serve_health
from workers.lease import Lease
from workers.runner import ProjectionRunner, worker_owner
from workers.view_stores import view_store_for

LEASE_TTL_SECONDS = 10.0


def build_runners(
    services: Services, only: list[str] | None = None, lease_ttl: float = LEASE_TTL_SECONDS
) -> list[ProjectionRunner]:
    owner = worker_owner()
    runners = []
    for projection in projections_for(services.settings):
        if only and projection.name not in only:
            continue
        store = view_store_for(
            projection,
            services.read_engine,
            services.redis,
            services.settings.redis_namespace,
            services.shop.mapper,
        )
        lease = Lease(services.read_engine, projection.name, owner, lease_ttl)
        runners.append(ProjectionRunner(services.shop, store, lease))
    return runners


def start_runners(runners: list[ProjectionRunner], stop: threading.Event) -> list[threading.Thread]:
    threads = [
        threading.Thread(
            target=runner.run, args=(stop,), name=f"projection-{runner.name}", daemon=True
        )
        for runner in runners
    ]
    for thread in threads:
        thread.start()
    return threads


def run_worker(
    settings: Settings,
    stop: threading.Event,
    only: list[str] | None = None,
    health: tuple[str, int] | None = None,
    lease_ttl: float = LEASE_TTL_SECONDS,
) -> None:
    """Block until `stop` is set, running every (or the named) projection; with `health`
    (host, port), also answer GET /healthz there."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    services = Services(settings)
    services.start_setup()
    try:
        # /healthz answers (503, naming the store) while the stores are not set up yet.
        runners: list[ProjectionRunner] = []
        threads: list[threading.Thread] = []
        server = serve_health(*health, services, runners, threads) if health else None
        while not services.ready.wait(1.0) and not stop.is_set():
            pass
        if services.ready.is_set():
            built = build_runners(services, only, lease_ttl)
            started = start_runners(built, stop)
            runners.extend(built)
            threads.extend(started)
        if services.ready.is_set() and settings.pending_order_ttl_seconds and not only:
            expiry = UnpaidOrderExpiry(
                services, Lease(services.read_engine, "order-expiry", worker_owner(), lease_ttl * 9)
            )
            threading.Thread(target=expiry.run, args=(stop,), name="expiry", daemon=True).start()
        stop.wait()
        if server is not None:
            server.shutdown()
        for thread in threads:
            thread.join(timeout=10)
    finally:
        services.close()
