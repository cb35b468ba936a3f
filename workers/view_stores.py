"""Where a projection's changes go: each batch and the position it reaches in one transaction
(SQL) or one MULTI/EXEC (Redis), guarded by a compare-and-set on the old position.

SQL batches are applied in memory (projections/batch.py) and written with a handful of bulk
statements: the rows the batch reads are loaded with one SELECT per table and column, new rows
go in with one multi-row INSERT, changed rows with one multi-row upsert (ON DUPLICATE KEY
UPDATE on MySQL, ON CONFLICT on SQLite), removed rows with one DELETE.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any, cast

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
    exists,
    insert,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.visitors import replacement_traverse

from infra.read_store import projection_positions, redis_position_key
from projections.base import Projection, RedisProjection, SqlProjection
from projections.batch import Plan, ViewBatch
from workers import mysql_rows
from workers.versions import LIVE, ensure_version, is_live, projection_versions

# Rows per SELECT ... IN and per DELETE: well under every driver's parameter limit.
CHUNK = 500
_SAME: Mapping[Table, Table] = MappingProxyType({})  # the projection's own tables


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
    """A projection's SQL view: its tables and its position row, moved together.

    `position_name` and `targets` build the view elsewhere in the same store: a blue/green
    rebuild writes the projection's rows into shadow tables (`targets` maps each of the
    projection's tables to its shadow) under a position row of its own. `fenced` (the live
    view) makes every move of the position check that this code's version is the live one.
    """

    def __init__(
        self,
        engine: Engine,
        projection: SqlProjection,
        mapper: Mapper,
        *,
        position_name: str | None = None,
        targets: Mapping[Table, Table] | None = None,
        fenced: bool = True,
    ) -> None:
        self.engine = engine
        self.projection = projection
        self.mapper = mapper
        self.position_name = position_name or projection.name
        self.targets = dict(targets or {})
        self.version = projection.version if fenced else None
        self.last_event_time: float | None = None  # epoch time of the last event committed

    @property
    def name(self) -> str:
        return self.projection.name

    @property
    def versions_engine(self) -> Engine | None:
        """Where this view's version row is (workers/versions.py)."""
        return self.engine if self.version is not None else None

    @property
    def tables(self) -> list[Table]:
        """The tables this store writes (the shadows, when building beside the live view)."""
        return [self.targets.get(table, table) for table in self.projection.tables]

    def setup(self) -> None:
        for table in (projection_positions, projection_versions, *self.tables):
            table.create(self.engine, checkfirst=True)
        existed = True
        try:
            with self.engine.begin() as conn:
                exists_ = conn.execute(
                    select(projection_positions.c.name).where(
                        projection_positions.c.name == self.position_name
                    )
                ).first()
                if exists_ is None:
                    existed = False
                    conn.execute(
                        insert(projection_positions).values(name=self.position_name, position=0)
                    )
        except IntegrityError:
            pass  # another process created the row first
        if self.version is not None:
            # A view that was there before versions were is version 1's.
            ensure_version(self.engine, self.position_name, 1 if existed else self.version)

    def position(self) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(projection_positions.c.position).where(
                    projection_positions.c.name == self.position_name
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
            _load(conn, view, plan, self.targets)
            for index, notification, event in events:
                try:
                    projection.apply(view, event, notification.id)
                except Exception as error:
                    raise EventFailed(FailedEvent.of(notification), index, error) from error
            _write(conn, view, self.targets)
            _move(conn, self.position_name, expected, new, self.version)
        self.last_event_time = _last_time(events, self.last_event_time)
        return new

    def advance(self, expected: int, new: int) -> int:
        """Move the position past events this view ignores (nothing else changes)."""
        with self.engine.begin() as conn:
            _move(conn, self.position_name, expected, new, self.version)
        return new


def _move(conn: Connection, name: str, expected: int, new: int, version: int | None) -> None:
    values = {"p_name": name, "p_old": expected, "p_new": new}
    if version is not None:
        values["p_version"] = version
    moved = conn.execute(_move_statement(version is not None), values)
    if moved.rowcount != 1:
        raise PositionConflict(f"{name} moved past {expected} elsewhere, or is being switched")


@cache
def _move_statement(fenced: bool) -> Executable:
    table = projection_positions
    statement = update(table).where(
        table.c.name == bindparam("p_name"), table.c.position == bindparam("p_old")
    )
    if fenced:  # only while this version's view is the live one (workers/versions.py)
        versions = projection_versions
        statement = statement.where(
            exists(
                select(literal(1)).where(
                    versions.c.name == bindparam("p_name"),
                    versions.c.version == bindparam("p_version"),
                    versions.c.state == LIVE,
                )
            )
        )
    return statement.values(position=bindparam("p_new"))


def _load(
    conn: Connection, view: ViewBatch, plan: Plan, targets: Mapping[Table, Table] = _SAME
) -> None:
    for column, wanted in plan.loads.items():
        values = list(wanted)
        target = targets[column.table].c[column.name] if targets else column
        for start in range(0, len(values), CHUNK):
            chunk = values[start : start + CHUNK]
            rows = conn.execute(_select_where(target), {"values": chunk}).mappings()
            view.loaded(column, chunk, (dict(row) for row in rows))
    for column, created in plan.new.items():
        view.fresh(column, created)


def _write(conn: Connection, view: ViewBatch, targets: Mapping[Table, Table] = _SAME) -> None:
    on_mysql = conn.dialect.name == "mysql"
    for rows in view:
        inserts, upserts, deletes = rows.changes()
        table = targets.get(rows.table, rows.table)
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
        conn.execute(retarget(statement, targets) if targets else statement)


def retarget(statement: Executable, targets: Mapping[Table, Table]) -> Executable:
    """The same statement on the shadow tables (a set-based change a handler queued)."""

    def replace(element: Any, **_: Any) -> Any:
        if isinstance(element, Table):
            return targets.get(element)
        if isinstance(element, Column) and isinstance(element.table, Table):
            shadow = targets.get(element.table)
            return shadow.c[element.key] if shadow is not None else None
        return None

    return cast(Executable, replacement_traverse(cast(Any, statement), {}, replace))


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
    """A projection's Redis view: its keys and its position key, moved by one MULTI/EXEC.

    `position_name` and a projection whose key prefix differs build the view beside the live
    one (blue/green). `fence` (the live view): the read store's engine, whose versions row
    is checked inside the WATCH, so a switch (which changes the position) either fails this
    commit or is seen by it.
    """

    def __init__(
        self,
        redis: Redis,
        namespace: str,
        projection: RedisProjection,
        mapper: Mapper,
        *,
        position_name: str | None = None,
        fence: Engine | None = None,
    ) -> None:
        self.redis = redis
        self.namespace = namespace
        self.position_name = position_name or projection.name
        self.key = redis_position_key(namespace, self.position_name)
        self.projection = projection
        self.mapper = mapper
        self.fence = fence
        self.version = projection.version if fence is not None else None
        self.last_event_time: float | None = None  # epoch time of the last event committed

    @property
    def name(self) -> str:
        return self.projection.name

    @property
    def versions_engine(self) -> Engine | None:
        return self.fence

    def setup(self) -> None:
        existed = not self.redis.setnx(self.key, 0)
        if self.fence is not None and self.version is not None:
            projection_versions.create(self.fence, checkfirst=True)
            ensure_version(self.fence, self.position_name, 1 if existed else self.version)

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
                fence, version = self.fence, self.version
                if fence and version and not is_live(fence, self.position_name, version):
                    raise PositionConflict(
                        f"{self.position_name} is being switched, or is another version"
                    )
                if int(pipe.get(self.key) or 0) != expected:
                    raise PositionConflict(f"{self.position_name} moved past {expected} elsewhere")
                pipe.multi()
                for index, notification, event in events:
                    try:
                        self.projection.apply(pipe, event, notification.id)
                    except Exception as error:
                        raise EventFailed(FailedEvent.of(notification), index, error) from error
                pipe.set(self.key, new)
                pipe.execute()
            except WatchError:
                raise PositionConflict(f"{self.position_name} moved meanwhile") from None
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
        return RedisViewStore(redis, namespace, projection, mapper, fence=engine)
    raise TypeError(f"unknown projection kind: {projection!r}")
