"""The shop's own tables in the event store's database, beside the library's event tables:
what must never be in an event (credentials, personal data) and small operational counts.

They are reached through the event store's own connection pool (the eventsourcing
datastore), so a process holds one pool of PostgreSQL connections, not two. The SQL is
written once with `:name` parameters and adapted to the driver: psycopg's `%(name)s` on
PostgreSQL, sqlite3's `:name` on SQLite. Ids are stored as earlier releases stored them
(native UUID on PostgreSQL, 32 hex digits on SQLite).

`private_metadata` is what migrations/accounts/ creates: the models Alembic's autogenerate
compares the database with.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from sqlalchemy import BigInteger, Boolean, Column, DateTime, MetaData, String, Table, Text, Uuid

private_metadata = MetaData()

accounts_table = Table(
    "accounts",
    private_metadata,
    Column("id", Uuid, primary_key=True),  # native UUID on PostgreSQL, CHAR(32) on SQLite
    Column("username", String(64), nullable=False),
    Column("username_key", String(64), nullable=False, unique=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("password_hash", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Repeated deliveries of a Stripe event already recorded: counted here, not appended as
# events one by one (the receipt's event notes the count at 2, 4, 8, ... deliveries).
stripe_deliveries_table = Table(
    "stripe_deliveries",
    private_metadata,
    Column("stripe_event_id", String(255), primary_key=True),
    Column("duplicates", BigInteger, nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
)


# Postal addresses (personal data): a shopper's address book ("book": editable, one default)
# and the addresses orders were placed to ("order": immutable, content-addressed per user, so
# a retried checkout names the same row). Events refer to them by id; erasing a person
# deletes their rows, and every order then reads its address as erased.
addresses_table = Table(
    "addresses",
    private_metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False, index=True),
    Column("kind", String(8), nullable=False),
    Column("data", Text, nullable=False),
    Column("is_default", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class PrivateStore:
    """SQL on the event store's pool, adapted to its driver."""

    def __init__(self, datastore: Any) -> None:
        if datastore is None:
            raise TypeError("the shop's tables need an SQL event store (PostgreSQL or SQLite)")
        self.datastore: Any = datastore
        self._postgres = isinstance(datastore, PostgresDatastore)

    @contextmanager
    def _cursor(self, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def _sql(self, statement: str) -> str:
        return re.sub(r":(\w+)", r"%(\1)s", statement) if self._postgres else statement

    def _id(self, value: uuid.UUID) -> uuid.UUID | str:
        return value if self._postgres else value.hex

    def _time(self, value: datetime) -> datetime | str:
        return value if self._postgres else value.strftime("%Y-%m-%d %H:%M:%S.%f")

    def _execute(self, statement: str, params: Mapping[str, Any], commit: bool = True) -> None:
        with self._cursor(commit) as cursor:
            cursor.execute(self._sql(statement), dict(params))

    def _first(self, statement: str, params: Mapping[str, Any], commit: bool = False) -> Any:
        with self._cursor(commit) as cursor:
            cursor.execute(self._sql(statement), dict(params))
            return cursor.fetchone()

    def _all(self, statement: str, params: Mapping[str, Any]) -> list[Any]:
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(statement), dict(params))
            return list(cursor.fetchall())
