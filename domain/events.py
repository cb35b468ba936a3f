"""Every event class the domain defines, found by walking the domain's aggregates.

Used where events are named by people (an export's `--types`) and where every class must be
covered (the stored-event fixture test). A new aggregate or event class is found without
being listed anywhere. Events change shape only through the library's versioning: a
`class_version` on the class and an `upcast_vN_vN+1(state)` per step (docs/events.md).
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from functools import cache
from typing import Any

from eventsourcing.domain import Aggregate, DomainEvent
from eventsourcing.utils import get_topic

# The library gives every aggregate these base classes; they are never stored as such.
_BASES = {"Event", "Created", "Snapshot"}


@cache
def event_classes() -> dict[str, type[DomainEvent]]:
    """Topic -> class of every concrete event class of every aggregate in `domain`."""
    import domain

    found: dict[str, type[DomainEvent]] = {}
    for module_info in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"domain.{module_info.name}")
        for aggregate in vars(module).values():
            if not (
                isinstance(aggregate, type)
                and issubclass(aggregate, Aggregate)
                and aggregate.__module__ == module.__name__
            ):
                continue
            for value in vars(aggregate).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, DomainEvent)
                    and value.__name__ not in _BASES
                ):
                    found[get_topic(value)] = value
    return found


def type_name(topic: str) -> str:
    """`domain.orders:Order.OrderPlaced` -> `Order.OrderPlaced` (unique across aggregates)."""
    return topic.rsplit(":", 1)[-1]


def class_version(cls: type[Any]) -> int:
    return int(getattr(cls, "class_version", 1))


def missing_upcasters(cls: type[Any]) -> list[str]:
    """The `upcast_vN_vN+1` methods a class of this version needs but lacks."""
    return [
        f"upcast_v{n}_v{n + 1}"
        for n in range(1, class_version(cls))
        if not callable(getattr(cls, f"upcast_v{n}_v{n + 1}", None))
    ]


def field_names(cls: type[Any]) -> set[str]:
    """The attributes a decoded event of this class carries (its dataclass fields)."""
    return {field.name for field in dataclasses.fields(cls)}
