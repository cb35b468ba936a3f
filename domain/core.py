"""The application core shared by the command groups: load, check, save, report a position."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.errors import ConcurrentUpdate, NotFound, StaleVersion
from domain.repository import BoundedRepository

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")


class ShopCore(Application[UUID]):
    """Every command returns the notification id of its last stored event (its position).

    Long-lived aggregates are loaded through a BoundedRepository: snapshots every
    `snapshotting_intervals[cls]` events and, with AGGREGATE_CACHE_MAXSIZE in the environment,
    a per-process cache fast-forwarded from the store on every load.
    """

    @property
    def bounded_repository(self) -> BoundedRepository:
        return cast(BoundedRepository, self.repository)

    def construct_repository(self) -> BoundedRepository:
        size = int(self.env.get(self.AGGREGATE_CACHE_MAXSIZE) or 0)
        return BoundedRepository(
            self.events,
            snapshot_store=self.snapshots,
            cache_maxsize=size if size > 0 else None,  # the library reads 0 as "unbounded"
            snapshot_intervals=self.snapshotting_intervals,
        )

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Snapshot each saved aggregate whose new events passed a multiple of its interval.

        The library reloads the aggregate from the store to do this; the saved object is
        already that state, and a failed snapshot must not turn a stored command into an error.
        """
        for aggregate in processing_event.aggregates.values():
            interval = self.snapshotting_intervals.get(type(aggregate))
            if interval and any(
                event.originator_id == aggregate.id and event.originator_version % interval == 0
                for event in processing_event.events
            ):
                self.bounded_repository.take_snapshot_of(cast(Aggregate, aggregate))

    def load(self, cls: type[A], aggregate_id: UUID, version: int | None = None) -> A:
        """Get an aggregate of the given class, or NotFound (also for an id of another kind)."""
        try:
            aggregate: Aggregate = self.bounded_repository.get(
                aggregate_id, version=version, kind=cls
            )
        except AggregateNotFoundError:
            raise NotFound(f"{cls.__name__.lower()} not found") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"{cls.__name__.lower()} not found")
        return aggregate

    def store(self, *aggregates: Aggregate | None) -> int:
        """Save in one transaction; a stale version becomes ConcurrentUpdate."""
        try:
            recordings = self.save(*aggregates)
        except IntegrityError:
            raise ConcurrentUpdate("changed by someone else meanwhile; reload and retry") from None
        if recordings:
            return recordings[-1].notification.id
        return self.position()

    def position(self) -> int:
        """The newest notification id: what a no-op command reports as its position."""
        return self.recorder.max_notification_id() or 0

    @contextmanager
    def editing(
        self, cls: type[A], aggregate_id: UUID, expected_version: int | None = None
    ) -> Iterator[A]:
        """Load, check the client's If-Match version, let the caller mutate; caller stores."""
        aggregate = self.load(cls, aggregate_id)
        if expected_version is not None and expected_version != aggregate.version:
            raise StaleVersion(
                f"version {expected_version} is stale; the current version is {aggregate.version}"
            )
        yield aggregate

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            return self.load(cls, aggregate_id)
        except NotFound:
            return None

    def retrying(self, command: Callable[[], T], attempts: int = 10) -> T:
        """Run a load-decide-save command again when another writer got there first.

        Each attempt reloads, so the rules are checked against the newest state; after
        `attempts` collisions the caller gets the ConcurrentUpdate (HTTP 409).
        """
        for attempt in range(attempts):
            try:
                return command()
            except ConcurrentUpdate:
                if attempt == attempts - 1:
                    raise
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))
        raise AssertionError("unreachable")
