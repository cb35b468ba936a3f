"""The Shop application: loads aggregates, runs their commands, saves their events.

Every command returns the notification id of the last event it stored (the "position"),
so callers can ask the query side to wait for it (read-your-writes).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.accounts import Account
from domain.errors import ConcurrentUpdate, NotFound, StaleVersion
from domain.products import Product

A = TypeVar("A", bound=Aggregate)


class Shop(Application[UUID]):
    name = "shop"

    # -- infrastructure helpers -------------------------------------------------------------

    def load(self, cls: type[A], aggregate_id: UUID, version: int | None = None) -> A:
        """Get an aggregate of the given class, or NotFound (also for an id of another kind)."""
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id, version=version)
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

    # -- accounts ---------------------------------------------------------------------------

    def open_account(self, user_id: UUID, role: str) -> int:
        return self.store(Account.open(user_id, role))

    def change_role(self, user_id: UUID, role: str) -> int:
        account = self.load(Account, user_id)
        account.change_role(role)
        return self.store(account)

    # -- catalog ----------------------------------------------------------------------------

    def list_product(self, **fields: Any) -> tuple[Product, int]:
        product = Product.list_new(**fields)
        return product, self.store(product)

    def revise_product(
        self, product_id: UUID, expected_version: int | None, **fields: Any
    ) -> tuple[Product, int]:
        with self.editing(Product, product_id, expected_version) as product:
            product.revise(**fields)
        return product, self.store(product)

    def delist_product(self, product_id: UUID, expected_version: int | None) -> int:
        with self.editing(Product, product_id, expected_version) as product:
            product.delist()
        return self.store(product)
