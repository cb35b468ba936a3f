"""What a projection is: a name, the events it handles, and how each event changes its view.

Projections know nothing about how they are run (that is workers/). SQL views change rows
of a ViewBatch in memory, which the store writes in the transaction that also moves their
position; Redis views queue commands on the MULTI/EXEC pipeline that does the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from eventsourcing.domain import DomainEvent
from eventsourcing.utils import get_topic
from redis.client import Pipeline
from sqlalchemy import Table

from projections.batch import Plan, ViewBatch

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
    # Bump it when a change of this code changes what the view holds (a new column, a fixed
    # handler): the worker then rebuilds the view beside the live one at start-up and switches
    # to it once it has caught up (blue/green, workers/bluegreen.py), with no downtime.
    version: ClassVar[int] = 1
    _handlers: ClassVar[dict[str, Handler]]
    _by_class: ClassVar[dict[type, Handler | None]]  # replays apply millions: skip get_topic

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._handlers = {}
        cls._by_class = {}
        for klass in reversed(cls.__mro__):
            for attribute in vars(klass).values():
                for event_class in getattr(attribute, "_handles", ()):
                    cls._handlers[get_topic(event_class)] = attribute

    @property
    def topics(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def apply(self, target: Any, event: DomainEvent, position: int) -> None:
        kind = type(event)
        try:
            handler = self._by_class[kind]
        except KeyError:
            handler = self._by_class[kind] = self._handlers.get(get_topic(kind))
        if handler is not None:
            handler(self, target, event, position)


class SqlProjection(Projection):
    """A view in SQL, written a batch at a time (projections/batch.py): `plan` names the
    rows an event will read, handlers change them in a ViewBatch, the store writes them.

    For example (a row per user, created or changed by one event)::

        def plan(self, event, plan):
            plan.load(roles.c.user_id, event.originator_id)  # or plan.fresh(...) if created

        @handles(Account.RoleChanged)
        def _changed(self, view, event, position):
            if not view.update(roles, event.originator_id, role=event.role):
                view.insert(roles, user_id=event.originator_id, role=event.role)

    view.row(table, key) reads, view.where(table, column, value) lists the rows of a planned
    key prefix, view.delete(table, key) removes, view.execute(statement) queues a set-based
    statement (a range DELETE) for after the rows are written.
    """

    kind = "sql"
    tables: ClassVar[tuple[Table, ...]] = ()

    def plan(self, event: DomainEvent, plan: Plan) -> None:
        """Say which rows applying `event` reads (plan.load) or creates (plan.fresh)."""

    def apply(self, target: ViewBatch, event: DomainEvent, position: int) -> None:
        super().apply(target, event, position)


class RedisProjection(Projection):
    """A hot view in Redis: handlers only queue writes on the pipeline (no reads)."""

    kind = "redis"

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        # Every key of the view starts with this; a blue/green rebuild builds under another.
        self.prefix = f"{namespace}:{self.name}"

    def key(self, *parts: object) -> str:
        return ":".join([self.prefix, *map(str, parts)])

    def apply(self, target: Pipeline, event: DomainEvent, position: int) -> None:
        super().apply(target, event, position)
