"""The long-lived connections of one process, built once from Settings and shared by threads."""

from __future__ import annotations

import logging
import threading
from functools import cached_property

from eventsourcing.postgres import PostgresDatastore
from redis import Redis

from domain.shop import Shop
from infra import schema
from infra.access import AccessCache
from infra.accounts import AccountStore
from infra.address_store import AddressStore
from infra.cpu_gate import CpuGate
from infra.db import make_engine
from infra.deliveries import DeliveryCounter
from infra.event_store import event_store_env
from infra.event_store_guard import EventStoreGuard, types_registered
from infra.images import ImageStore, image_store_for
from infra.payments import PaymentGateway
from infra.read_store import ViewPositions
from infra.security import Passwords
from infra.settings import Settings
from infra.stripe_budget import StripeBudget

log = logging.getLogger("shop.services")

# How often a process whose stores were down at start-up tries to set them up again.
SETUP_RETRY_SECONDS = 2.0


def make_redis(url: str, timeout: float = 3.0) -> Redis:
    return Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        decode_responses=True,
        health_check_interval=30,
    )


class StoresNotReady(Exception):
    """A store did not answer while setting up (the message names each)."""


class Services:
    """One event store pool (the Shop's, which also serves the accounts table), one read
    store engine and one Redis client per process, sized by Settings."""

    def __init__(self, settings: Settings, pool_size: int | None = None) -> None:
        """`pool_size`: the event store pool of this process (the worker's own setting);
        EVENT_STORE_POOL_SIZE otherwise."""
        self.settings = settings
        # Building these opens no connection: a process starts while its stores are down.
        self.shop = Shop(env=event_store_env(settings, pool_size))
        datastore = getattr(self.shop.recorder, "datastore", None)
        self.event_store_guard = (
            EventStoreGuard(
                datastore,
                statement_timeout=settings.db_statement_timeout,
                lock_timeout=settings.db_lock_timeout,
                connect_timeout=settings.db_connect_timeout,
            )
            if isinstance(datastore, PostgresDatastore)
            else None
        )
        self.read_engine = make_engine(
            settings.read_store_url,
            pool_size=settings.read_store_pool_size,
            recycle_seconds=settings.db_pool_recycle_seconds,
            timeout=settings.read_store_timeout,
        )
        self.access = AccessCache(self.read_engine)
        self.accounts = AccountStore(
            self.shop, Passwords(settings.bcrypt_rounds), on_role_changed=self.access.role_changed
        )
        self.deliveries = DeliveryCounter(self.accounts.datastore)
        self.addresses = AddressStore(self.accounts.datastore)
        self.cpu = CpuGate(settings.password_hash_workers or None, settings.password_queue_seconds)
        self.redis = (
            make_redis(settings.redis_url, settings.redis_timeout) if settings.redis_url else None
        )
        self.positions = ViewPositions(self.read_engine, self.redis, settings.redis_namespace)
        # Set once the schemas are migrated: until then the APIs answer 503 (web/readiness.py).
        self.ready = threading.Event()
        self._closed = threading.Event()
        self._setup_lock = threading.Lock()
        self._retrying = False

    def setup(self) -> None:
        """Create the event tables (the library's own, idempotent) and check that the
        migrations have run; raises while a store is down or not migrated yet, having set up
        the stores that answer."""
        problems = []
        for store, step in (("event store", self._event_tables), ("read store", self._views)):
            try:
                step()
            except Exception as error:
                problems.append(f"{store}: {_one_line(error)}")
        if problems:
            raise StoresNotReady("; ".join(problems))
        self.ready.set()

    def _event_tables(self) -> None:
        for recorder in (self.shop.recorder, getattr(self.shop.snapshots, "recorder", None)):
            create_table = getattr(recorder, "create_table", None)
            if create_table is not None:
                create_table()
        datastore = getattr(self.shop.recorder, "datastore", None)
        if isinstance(datastore, PostgresDatastore) and not types_registered(datastore):
            raise StoresNotReady("the event store's types are not registered yet")
        found = schema.problem(schema.ACCOUNTS, self.accounts.schema_revision())
        if found:
            raise StoresNotReady(found)

    def _views(self) -> None:
        """The read store's schema is `shop migrate`'s to create; this process checks it."""
        with self.read_engine.connect() as conn:
            found = schema.problem(schema.VIEWS, schema.current(conn, schema.VIEWS))
        if found:
            raise StoresNotReady(found)

    def start_setup(self) -> None:
        """Set up now if the stores answer, else keep trying in the background: a process
        starts (and answers /healthz) while a store is down, and recovers by itself."""
        with self._setup_lock:  # both apps of a gateway share these Services
            if self.ready.is_set() or self._retrying:
                return
            try:
                self.setup()
            except Exception as error:
                log.warning(
                    "stores not ready (%s); retrying every %g s", error, SETUP_RETRY_SECONDS
                )
                self._retrying = True
                threading.Thread(target=self._retry_setup, name="setup", daemon=True).start()

    def _retry_setup(self) -> None:
        while not self._closed.wait(SETUP_RETRY_SECONDS):
            try:
                self.setup()
            except Exception:
                continue
            log.warning("stores ready: set up")
            return

    @cached_property
    def stripe_budget(self) -> StripeBudget:
        return StripeBudget(self.settings)

    @cached_property
    def payments(self) -> PaymentGateway:
        """The Stripe gateway, built on first use (start-up needs no network)."""
        return PaymentGateway(self.settings, budget=self.stripe_budget)

    @cached_property
    def images(self) -> ImageStore:
        """Where product images are kept (a directory, or an S3 bucket)."""
        return image_store_for(self.settings)

    def close(self) -> None:
        self._closed.set()
        if self.event_store_guard is not None:
            self.event_store_guard.close()
        self.access.stop()
        self.cpu.close()
        self.shop.close()
        self.read_engine.dispose()
        if self.redis is not None:
            self.redis.close()


def _one_line(error: BaseException) -> str:
    """An error in one line for the log: a store's errors carry SQL over several lines."""
    text = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {text}"[:300]


def migrate_stores(settings: Settings) -> list[schema.Migrated]:
    """`shop migrate`: upgrade both schemas, then create the event tables (the library's own)
    and check it all as a process starting would: done once, before the processes start."""
    done = schema.migrate(settings)
    services = Services(settings, pool_size=2)
    try:
        services.setup()
    finally:
        services.close()
    return done
