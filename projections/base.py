"""What a projection is: a name, the events it handles, and how each event changes its view.

Projections know nothing about how they are run (that is workers/). SQL views get a
connection inside the transaction that also moves their position; Redis views get a
MULTI/EXEC pipeline that does the same.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, ClassVar

from eventsourcing.domain import DomainEvent
from eventsourcing.utils import get_topic
from redis.client import Pipeline
from sqlalchemy import Connection, Insert, Table, Update, bindparam, insert, update

Handler = Callable[[Any, Any, DomainEvent, int], None]


def handles(*event_classes: type) -> Callable[[Handler], Handler]:
    """Mark a method as the handler of these event classes."""

    def mark(method: Handler) -> Handler:
        method._handles = event_classes  # type: ignore[attr-defined]
        return method

    return mark


class Projection:
    """Base of every projection: collects the @handles methods into a topic map."""

    name: ClassVar[str]
    kind: ClassVar[str]  # "sql" or "redis"
    _handlers: ClassVar[dict[str, Handler]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._handlers = {}
        for klass in reversed(cls.__mro__):
            for attribute in vars(klass).values():
                for event_class in getattr(attribute, "_handles", ()):
                    cls._handlers[get_topic(event_class)] = attribute

    @property
    def topics(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def apply(self, target: Any, event: DomainEvent, position: int) -> None:
        handler = self._handlers.get(get_topic(type(event)))
        if handler is not None:
            handler(self, target, event, position)


class SqlProjection(Projection):
    """A view in SQL. Writes go through insert_row/update_row, whose statements are built
    once per table and shape: building and compiling a statement per event cost ten times
    the write itself, and replays write every event."""

    kind = "sql"
    tables: ClassVar[tuple[Table, ...]] = ()

    def apply(self, target: Connection, event: DomainEvent, position: int) -> None:
        super().apply(target, event, position)

    @staticmethod
    def insert_row(conn: Connection, table: Table, **values: Any) -> None:
        conn.execute(_insert(table), values)

    @staticmethod
    def update_row(
        conn: Connection,
        table: Table,
        where: dict[str, Any],
        add: dict[str, int] | None = None,
        **values: Any,
    ) -> int:
        """SET `values` (and column += amount for `add`) on the rows matching `where`;
        returns how many rows matched."""
        add = add or {}
        statement = _update(table, tuple(sorted(where)), tuple(sorted(add)))
        params = {f"where_{k}": v for k, v in where.items()}
        params.update({f"add_{k}": v for k, v in add.items()}, **values)
        return conn.execute(statement, params).rowcount


@cache
def _insert(table: Table) -> Insert:
    return insert(table)


@cache
def _update(table: Table, where: tuple[str, ...], add: tuple[str, ...]) -> Update:
    statement = update(table).where(*(table.c[k] == bindparam(f"where_{k}") for k in where))
    if add:
        statement = statement.values({k: table.c[k] + bindparam(f"add_{k}") for k in add})
    return statement


class RedisProjection(Projection):
    """A hot view in Redis: handlers only queue writes on the pipeline (no reads)."""

    kind = "redis"

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def key(self, *parts: object) -> str:
        return ":".join([self.namespace, self.name, *map(str, parts)])

    def apply(self, target: Pipeline, event: DomainEvent, position: int) -> None:
        super().apply(target, event, position)
