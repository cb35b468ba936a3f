"""Where a projection's changes go: each batch and the position it reaches in one transaction
(SQL) or one MULTI/EXEC (Redis), guarded by a compare-and-set on the old position.

SQL batches are applied in memory (projections/batch.py) and written with a handful of bulk
statements: the rows the batch reads are loaded with one SELECT per table and column, new rows
go in with one multi-row INSERT, changed rows with one multi-row upsert (ON DUPLICATE KEY
UPDATE on MySQL, ON CONFLICT on SQLite), removed rows with one DELETE.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from eventsourcing.persistence import Mapper, Notification
from redis import Redis, WatchError
from sqlalchemy import (
    Column,
    Connection,
    Delete,
    Engine,
    Executable,
    Insert,
    Select,
    Table,
    bindparam,
    delete,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.exc import IntegrityError

from infra.read_store import projection_positions, redis_position_key, views_metadata
from projections.base import Projection, RedisProjection, SqlProjection
from projections.batch import Plan, ViewBatch
from workers import mysql_rows

# Rows per SELECT ... IN and per DELETE: well under every driver's parameter limit.
CHUNK = 500


class PositionConflict(Exception):
    """Someone else moved this view's position: stop, so nothing is applied twice."""


@dataclass(frozen=True)
class FailedEvent:
    """The event a projection could not apply, as the operator needs to find it."""

    position: int
    topic: str
    originator_id: str
    originator_version: int

    @property
    def type(self) -> str:
        return self.topic.rsplit(":", 1)[-1].rsplit(".", 1)[-1]

    @classmethod
    def of(cls, notification: Notification) -> FailedEvent:
        return cls(
            notification.id,
            notification.topic,
            str(notification.originator_id),
            notification.originator_version,
        )


class EventFailed(Exception):
    """Decoding or applying one event raised: the batch is rolled back; the events before
    this one may be committed on their own (`index` says how many there are)."""

    def __init__(self, event: FailedEvent, index: int, error: BaseException) -> None:
        super().__init__(f"event {event.position} ({event.type}): {error!r}")
        self.event = event
        self.index = index
        self.error = error


def decoded(
    mapper: Mapper,
    notifications: Sequence[Notification],
    topics: Collection[str],
    events: Sequence[Any] | None = None,
) -> Iterator[tuple[int, Notification, Any]]:
    """(index, notification, event) for the notifications the projection handles; `events`,
    when given, holds those already decoded (None where decoding is still to do)."""
    for index, notification in enumerate(notifications):
        if notification.topic in topics:
            event = events[index] if events is not None else None
            if event is None:
                try:
                    event = mapper.to_domain_event(notification)
                except Exception as error:
                    raise EventFailed(FailedEvent.of(notification), index, error) from error
            yield index, notification, event


def _last_time(events: list[tuple[int, Notification, Any]], before: float | None) -> float | None:
    if not events:
        return before
    stamp = getattr(events[-1][2], "timestamp", None)
    return stamp.timestamp() if stamp is not None else before


class SqlViewStore:
    def __init__(self, engine: Engine, projection: SqlProjection, mapper: Mapper) -> None:
        self.engine = engine
        self.projection = projection
        self.mapper = mapper
        self.last_event_time: float | None = None  # epoch time of the last event committed

    @property
    def name(self) -> str:
        return self.projection.name

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

    def commit(
        self,
        notifications: Sequence[Notification],
        expected: int,
        new: int,
        decoded_events: Sequence[Any] | None = None,
    ) -> int:
        """Apply the notifications this projection handles and move the position from
        `expected` to `new` (≥ the last notification's id), all in one transaction.
        `decoded_events` may hold the events already decoded, one per notification."""
        projection = self.projection
        events = list(decoded(self.mapper, notifications, projection.topics, decoded_events))
        plan = Plan()
        for _, _, event in events:
            projection.plan(event, plan)
        view = ViewBatch(projection.tables)
        with self.engine.begin() as conn:
            _load(conn, view, plan)
            for index, notification, event in events:
                try:
                    projection.apply(view, event, notification.id)
                except Exception as error:
                    raise EventFailed(FailedEvent.of(notification), index, error) from error
            _write(conn, view)
            _move(conn, projection.name, expected, new)
        self.last_event_time = _last_time(events, self.last_event_time)
        return new

    def advance(self, expected: int, new: int) -> int:
        """Move the position past events this view ignores (nothing else changes)."""
        with self.engine.begin() as conn:
            _move(conn, self.projection.name, expected, new)
        return new


def _move(conn: Connection, name: str, expected: int, new: int) -> None:
    moved = conn.execute(_move_statement(), {"p_name": name, "p_old": expected, "p_new": new})
    if moved.rowcount != 1:
        raise PositionConflict(f"{name} moved past {expected} elsewhere")


@cache
def _move_statement() -> Executable:
    table = projection_positions
    return (
        update(table)
        .where(table.c.name == bindparam("p_name"), table.c.position == bindparam("p_old"))
        .values(position=bindparam("p_new"))
    )


def _load(conn: Connection, view: ViewBatch, plan: Plan) -> None:
    for column, wanted in plan.loads.items():
        values = list(wanted)
        for start in range(0, len(values), CHUNK):
            chunk = values[start : start + CHUNK]
            rows = conn.execute(_select_where(column), {"values": chunk}).mappings()
            view.loaded(column, chunk, (dict(row) for row in rows))
    for column, created in plan.new.items():
        view.fresh(column, created)


def _write(conn: Connection, view: ViewBatch) -> None:
    on_mysql = conn.dialect.name == "mysql"
    for rows in view:
        inserts, upserts, deletes = rows.changes()
        table = rows.table
        for start in range(0, len(deletes), CHUNK):
            conn.execute(_delete_keys(table), {"keys": deletes[start : start + CHUNK]})
        if on_mysql:  # the same statements, rendered without the driver's per-value cost
            mysql_rows.insert_rows(conn, table, inserts, upsert=False)
            mysql_rows.insert_rows(conn, table, upserts, upsert=True)
            continue
        if inserts:
            conn.execute(_insert(table), inserts)
        if upserts:
            conn.execute(_upsert(table, conn.dialect.name), upserts)
    for statement in view.statements:
        conn.execute(statement)


@cache
def _select_where(column: Column[Any]) -> Select[Any]:
    table: Table = column.table
    return select(table).where(column.in_(bindparam("values", expanding=True)))


@cache
def _insert(table: Table) -> Insert:
    return insert(table)


@cache
def _delete_keys(table: Table) -> Delete:
    key = tuple_(*table.primary_key.columns)
    return delete(table).where(key.in_(bindparam("keys", expanding=True)))


@cache
def _upsert(table: Table, dialect: str) -> Insert:
    keys = [column.name for column in table.primary_key.columns]
    others = [column.name for column in table.columns if column.name not in keys]
    if dialect == "mysql":
        statement = mysql.insert(table)
        return statement.on_duplicate_key_update(
            {name: statement.inserted[name] for name in others}
        )
    if dialect == "sqlite":
        lite = sqlite.insert(table)
        return lite.on_conflict_do_update(
            index_elements=keys, set_={name: lite.excluded[name] for name in others}
        )
    raise NotImplementedError(f"no bulk upsert for the {dialect} dialect")


class RedisViewStore:
    def __init__(
        self, redis: Redis, namespace: str, projection: RedisProjection, mapper: Mapper
    ) -> None:
        self.redis = redis
        self.key = redis_position_key(namespace, projection.name)
        self.projection = projection
        self.mapper = mapper
        self.last_event_time: float | None = None  # epoch time of the last event committed

    @property
    def name(self) -> str:
        return self.projection.name

    def setup(self) -> None:
        self.redis.setnx(self.key, 0)

    def position(self) -> int:
        return int(self.redis.get(self.key) or 0)

    def commit(
        self,
        notifications: Sequence[Notification],
        expected: int,
        new: int,
        decoded_events: Sequence[Any] | None = None,
    ) -> int:
        topics = self.projection.topics
        events = list(decoded(self.mapper, notifications, topics, decoded_events))
        with self.redis.pipeline() as pipe:
            try:
                pipe.watch(self.key)
                if int(pipe.get(self.key) or 0) != expected:
                    raise PositionConflict(
                        f"{self.projection.name} moved past {expected} elsewhere"
                    )
                pipe.multi()
                for index, notification, event in events:
                    try:
                        self.projection.apply(pipe, event, notification.id)
                    except Exception as error:
                        raise EventFailed(FailedEvent.of(notification), index, error) from error
                pipe.set(self.key, new)
                pipe.execute()
            except WatchError:
                raise PositionConflict(f"{self.projection.name} moved meanwhile") from None
        self.last_event_time = _last_time(events, self.last_event_time)
        return new

    def advance(self, expected: int, new: int) -> int:
        return self.commit((), expected, new)


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
