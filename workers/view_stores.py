"""Where a projection's changes go: each batch and the new position in one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from eventsourcing.persistence import Mapper, Notification
from redis import Redis, WatchError
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from infra.read_store import projection_positions, redis_position_key, views_metadata
from projections.base import Projection, RedisProjection, SqlProjection


class PositionConflict(Exception):
    """Someone else moved this view's position: stop, so nothing is applied twice."""


class SqlViewStore:
    def __init__(self, engine: Engine, projection: SqlProjection, mapper: Mapper) -> None:
        self.engine = engine
        self.projection = projection
        self.mapper = mapper

    def setup(self) -> None:
        views_metadata.create_all(
            self.engine, tables=[projection_positions, *self.projection.tables]
        )
        try:
            with self.engine.begin() as conn:
                exists = conn.execute(
                    select(projection_positions.c.name).where(
                        projection_positions.c.name == self.projection.name
                    )
                ).first()
                if exists is None:
                    conn.execute(
                        insert(projection_positions).values(name=self.projection.name, position=0)
                    )
        except IntegrityError:
            pass  # another process created the row first

    def position(self) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(projection_positions.c.position).where(
                    projection_positions.c.name == self.projection.name
                )
            ).scalar()
        return int(value or 0)

    def commit(self, notifications: Sequence[Notification], expected: int) -> int:
        new = notifications[-1].id
        topics = self.projection.topics
        with self.engine.begin() as conn:
            for notification in notifications:
                if notification.topic in topics:
                    event = self.mapper.to_domain_event(notification)
                    self.projection.apply(conn, event, notification.id)  # type: ignore[arg-type]
            moved = conn.execute(
                update(projection_positions)
                .where(
                    projection_positions.c.name == self.projection.name,
                    projection_positions.c.position == expected,
                )
                .values(position=new)
            )
            if moved.rowcount != 1:
                raise PositionConflict(f"{self.projection.name} moved past {expected} elsewhere")
        return new


class RedisViewStore:
    def __init__(
        self, redis: Redis, namespace: str, projection: RedisProjection, mapper: Mapper
    ) -> None:
        self.redis = redis
        self.key = redis_position_key(namespace, projection.name)
        self.projection = projection
        self.mapper = mapper

    def setup(self) -> None:
        self.redis.setnx(self.key, 0)

    def position(self) -> int:
        return int(self.redis.get(self.key) or 0)

    def commit(self, notifications: Sequence[Notification], expected: int) -> int:
        new = notifications[-1].id
        topics = self.projection.topics
        events = [
            (n.id, self.mapper.to_domain_event(n)) for n in notifications if n.topic in topics
        ]
        with self.redis.pipeline() as pipe:
            try:
                pipe.watch(self.key)
                if int(pipe.get(self.key) or 0) != expected:
                    raise PositionConflict(
                        f"{self.projection.name} moved past {expected} elsewhere"
                    )
                pipe.multi()
                for position, event in events:
                    self.projection.apply(pipe, event, position)  # type: ignore[arg-type]
                pipe.set(self.key, new)
                pipe.execute()
            except WatchError:
                raise PositionConflict(f"{self.projection.name} moved meanwhile") from None
        return new


ViewStore = SqlViewStore | RedisViewStore


def view_store_for(
    projection: Projection, engine: Engine, redis: Redis | None, namespace: str, mapper: Mapper
) -> ViewStore:
    if isinstance(projection, SqlProjection):
        return SqlViewStore(engine, projection, mapper)
    if isinstance(projection, RedisProjection):
        if redis is None:
            raise ValueError(f"projection {projection.name} needs REDIS_URL")
        return RedisViewStore(redis, namespace, projection, mapper)
    raise TypeError(f"unknown projection kind: {projection!r}")
