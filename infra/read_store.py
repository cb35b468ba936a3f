"""Read-model storage shared by projections (writers) and the query API (readers).

Each view's position lives beside the view itself, written in the same transaction, so a
crash can neither lose nor double an event. The query side waits on these positions.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from redis import Redis
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Double,
    Engine,
    MetaData,
    String,
    Table,
    select,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator

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
