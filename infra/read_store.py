"""Read-model storage shared by projections (writers) and the query API (readers).

Each view's position lives beside the view itself, written in the same transaction, so a
crash can neither lose nor double an event. The query side waits on these positions.
The query side reads through `ViewReader` (async drivers, every read bounded in time);
the workers and the CLI use the sync engine and `ViewPositions`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import redis.asyncio as aioredis
from redis import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Double,
    Engine,
    Executable,
    Integer,
    MetaData,
    String,
    Table,
    select,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeDecorator

from infra.db import make_async_engine
from infra.settings import Settings

views_metadata = MetaData()

projection_positions = Table(
    "projection_positions",
    views_metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

projection_leases = Table(
    "projection_leases",
    views_metadata,
    Column("name", String(64), primary_key=True),
    Column("owner", String(64), nullable=False),
    # Double, not Float: MySQL's FLOAT is single precision (epoch seconds to within minutes),
    # which broke both the expiry check and the compare-and-set take-over of a dead lease.
    Column("expires_at", Double, nullable=False),
)

# What each projection's worker last reported (written by workers/status.py; read by
# `shop projections status` and the admin home's projection health).
projection_status = Table(
    "projection_status",
    views_metadata,
    Column("name", String(64), primary_key=True),
    Column("state", String(32), nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("head", BigInteger, nullable=False),
    Column("lag_seconds", Double, nullable=False),
    Column("events_per_second", Double, nullable=False),
    Column("worker", String(64)),
    Column("failures", Integer, nullable=False),
    Column("last_error", String(1000)),
    Column("failed_position", BigInteger),
    Column("failed_type", String(200)),
    Column("failed_aggregate", String(64)),
    Column("since", Double, nullable=False),  # epoch seconds the state began
    Column("updated_at", Double, nullable=False),  # epoch seconds of this row
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, with microseconds on MySQL too."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "mysql":
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def redis_position_key(namespace: str, view: str) -> str:
    return f"{namespace}:position:{view}"


class ViewPositions:
    """Reads how far each view has got, and waits for it (read-your-writes)."""

    def __init__(self, engine: Engine, redis: Redis | None, namespace: str) -> None:
        self.engine = engine
        self.redis = redis
        self.namespace = namespace

    def sql_position(self, view: str) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(projection_positions.c.position).where(projection_positions.c.name == view)
            ).scalar()
        return int(value or 0)

    def redis_position(self, view: str) -> int:
        assert self.redis is not None
        return int(self.redis.get(redis_position_key(self.namespace, view)) or 0)

    def position(self, view: str, in_redis: bool = False) -> int:
        return self.redis_position(view) if in_redis else self.sql_position(view)

    def wait(self, view: str, position: int, timeout: float, in_redis: bool = False) -> bool:
        """True once the view has reached the position, False if the time-out passes first.

        A short backoff poll: this wait is bounded and per request, unlike the projectors,
        which are woken by the event store itself.
        """
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            if self.position(view, in_redis) >= position:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 0.05)


# -- the query side: async reads, each bounded in time ---------------------------------------


@dataclass(frozen=True)
class View:
    """A view the query side reads, and where its position is kept."""

    name: str
    in_redis: bool = False


def make_async_redis(url: str, pool_size: int, timeout: float) -> aioredis.Redis:
    """A bounded pool (callers queue for a connection) that fails fast: one immediate retry,
    for a pooled connection the server has since closed, and no backoff."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=pool_size,
        timeout=timeout,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        decode_responses=True,
        health_check_interval=30,
        retry=Retry(NoBackoff(), 1),
    )
    return aioredis.Redis.from_pool(pool)


# MySQL answers a read that meets a blue/green switch (one atomic RENAME TABLE of a view's
# tables) with a deadlock or a lock wait time-out: the read is safe to run again.
_SWITCH_CONFLICTS = frozenset({1205, 1213})
_READ_ATTEMPTS = 4


class ViewConnection:
    """One request's connection to the views, whose statements are retried when a table
    switch interrupts them (only reads run here: running one again changes nothing)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def execute(self, statement: Executable, *args: Any, **kwargs: Any) -> Any:
        return await self._retrying(self._conn.execute, statement, *args, **kwargs)

    async def scalar(self, statement: Executable, *args: Any, **kwargs: Any) -> Any:
        return await self._retrying(self._conn.scalar, statement, *args, **kwargs)

    async def _retrying(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        for attempt in range(_READ_ATTEMPTS):
            try:
                return await call(*args, **kwargs)
            except OperationalError as error:
                code = error.orig.args[0] if error.orig is not None and error.orig.args else None
                if code not in _SWITCH_CONFLICTS or attempt == _READ_ATTEMPTS - 1:
                    raise
                await self._conn.rollback()
                await asyncio.sleep(0.02 * (attempt + 1))
        raise AssertionError("unreachable")


class ViewReader:
    """The query process's connections to the views: SQL (async engine) and Redis (async).

    Every read runs under `timeout` (READ_STORE_TIMEOUT), connecting included, and raises
    TimeoutError when it passes: the APIs answer that with 503 and Retry-After.
    """

    def __init__(self, settings: Settings) -> None:
        self.timeout = settings.read_store_timeout
        self.namespace = settings.redis_namespace
        self.engine = make_async_engine(
            settings.read_store_url, settings.read_store_pool_size, self.timeout
        )
        self.redis = (
            make_async_redis(settings.redis_url, settings.read_store_pool_size, self.timeout)
            if settings.redis_url
            else None
        )

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[ViewConnection]:
        """A pooled SQL connection for one request's queries, all within the time-out."""
        async with asyncio.timeout(self.timeout), self.engine.connect() as conn:
            yield ViewConnection(conn)

    async def hash(self, key: str) -> dict[str, str]:
        """A Redis hash (empty if there is none)."""
        assert self.redis is not None
        async with asyncio.timeout(self.timeout):
            fields = await self.redis.hgetall(key)
        return cast(dict[str, str], fields)  # decode_responses: str keys and values

    async def position(self, view: View) -> int:
        """How far `view` has got: the last event position it has applied (0: none)."""
        if view.in_redis:
            assert self.redis is not None
            async with asyncio.timeout(self.timeout):
                value = await self.redis.get(redis_position_key(self.namespace, view.name))
            return int(value or 0)
        async with self.connect() as conn:
            found = await conn.scalar(
                select(projection_positions.c.position).where(
                    projection_positions.c.name == view.name
                )
            )
        return int(found or 0)

    async def ping_sql(self) -> None:
        async with self.connect() as conn:
            await conn.execute(select(1))

    async def ping_redis(self) -> None:
        assert self.redis is not None
        async with asyncio.timeout(self.timeout):
            await self.redis.ping()

    async def close(self) -> None:
        await self.engine.dispose()
        if self.redis is not None:
            await self.redis.aclose()
