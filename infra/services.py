"""The long-lived connections of one process, built once from Settings and shared by threads."""

from __future__ import annotations

from functools import cached_property

from redis import Redis

from domain.shop import Shop
from infra.access import AccessCache
from infra.accounts import AccountStore
from infra.db import make_engine
from infra.event_store import event_store_env
from infra.images import ImageStore, image_store_for
from infra.payments import PaymentGateway
from infra.read_store import ViewPositions, views_metadata
from infra.security import Passwords
from infra.settings import Settings


def make_redis(url: str) -> Redis:
    return Redis.from_url(
        url,
        socket_timeout=2,
        socket_connect_timeout=2,
        decode_responses=True,
        health_check_interval=30,
    )


class Services:
    """One event store pool (the Shop's, which also serves the accounts table), one read
    store engine and one Redis client per process, sized by Settings."""

    def __init__(self, settings: Settings, pool_size: int | None = None) -> None:
        """`pool_size`: the event store pool of this process (the worker's own setting);
        EVENT_STORE_POOL_SIZE otherwise."""
        self.settings = settings
        self.shop = Shop(env=event_store_env(settings, pool_size))
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
        self.redis = make_redis(settings.redis_url) if settings.redis_url else None
        self.positions = ViewPositions(self.read_engine, self.redis, settings.redis_namespace)

    def setup(self) -> None:
        """Create the tables this process needs (idempotent)."""
        self.accounts.create_tables()
        views_metadata.create_all(self.read_engine)

    @cached_property
    def payments(self) -> PaymentGateway:
        """The Stripe gateway, built on first use (start-up needs no network)."""
        return PaymentGateway(self.settings)

    @cached_property
    def images(self) -> ImageStore:
        """Where product images are kept (a directory, or an S3 bucket)."""
        return image_store_for(self.settings)

    def close(self) -> None:
        self.access.stop()
        self.shop.close()
        self.read_engine.dispose()
        if self.redis is not None:
            self.redis.close()
