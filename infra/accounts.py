"""The accounts table: credentials and roles, kept out of the event stream on purpose.

It lives in the event store's database (the command side owns identity) and is reached
through the event store's own connection pool (the eventsourcing datastore), so a process
holds one pool of PostgreSQL connections, not two. Events name users by id only, so erasing
a row here erases the person without rewriting history.

The SQL is written once with `:name` parameters and adapted to the driver: psycopg's
`%(name)s` on PostgreSQL, sqlite3's `:name` on SQLite. Ids are stored as on earlier
releases (native UUID on PostgreSQL, 32 hex digits on SQLite), so existing tables still work.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import IntegrityError
from eventsourcing.postgres import PostgresDatastore
from sqlalchemy import Column, DateTime, MetaData, String, Table, Uuid

from domain.accounts import check_role
from domain.shop import Shop
from infra.schema import ACCOUNTS
from infra.security import Passwords

# What migrations/accounts/ creates (the SQL below is written by hand, per driver): the models
# Alembic's autogenerate compares the database with.
accounts_metadata = MetaData()
accounts_table = Table(
    "accounts",
    accounts_metadata,
    Column("id", Uuid, primary_key=True),  # native UUID on PostgreSQL, CHAR(32) on SQLite
    Column("username", String(64), nullable=False),
    Column("username_key", String(64), nullable=False, unique=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("password_hash", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
_COLUMNS = "id, username, email, role, password_hash"
_BY_LOGIN = f"SELECT {_COLUMNS} FROM accounts WHERE username_key = :key OR email = :key"
_BY_ID = f"SELECT {_COLUMNS} FROM accounts WHERE id = :id"
_INSERT = (
    "INSERT INTO accounts (id, username, username_key, email, password_hash, role, created_at)"
    " VALUES (:id, :username, :username_key, :email, :password_hash, :role, :created_at)"
)
_SEARCH = (
    f"SELECT {_COLUMNS} FROM accounts"
    " WHERE username_key LIKE :pattern ESCAPE '\\' OR email LIKE :pattern ESCAPE '\\'"
    " ORDER BY username_key LIMIT :limit"
)
_DELETE = "DELETE FROM accounts WHERE id = :id"
_SET_ROLE = "UPDATE accounts SET role = :role WHERE id = :id"


class AccountTaken(Exception):
    """The username or the email already belongs to an account."""


class UnknownAccount(LookupError):
    pass


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    username: str
    email: str
    role: str


class AccountStore:
    def __init__(
        self,
        shop: Shop,
        passwords: Passwords,
        on_role_changed: Callable[[uuid.UUID, str, int], None] | None = None,
        datastore: Any = None,
    ) -> None:
        """`datastore` defaults to the event store's (its pool); tests may give another."""
        self.shop = shop
        self.passwords = passwords
        self.on_role_changed = on_role_changed
        self.datastore: Any = datastore or getattr(shop.recorder, "datastore", None)
        if self.datastore is None:
            raise TypeError("the accounts table needs an SQL event store (PostgreSQL or SQLite)")
        self._postgres = isinstance(self.datastore, PostgresDatastore)

    # -- SQL on the event store's pool ---------------------------------------------------------

    @contextmanager
    def _cursor(self, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def _sql(self, statement: str) -> str:
        return re.sub(r":(\w+)", r"%(\1)s", statement) if self._postgres else statement

    def _id(self, user_id: uuid.UUID) -> uuid.UUID | str:
        return user_id if self._postgres else user_id.hex

    def _execute(self, statement: str, params: Mapping[str, Any], commit: bool = True) -> None:
        with self._cursor(commit) as cursor:
            cursor.execute(self._sql(statement), dict(params))

    def _first(self, statement: str, params: Mapping[str, Any]) -> Any:
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(statement), dict(params))
            return cursor.fetchone()

    @staticmethod
    def _user(row: Any) -> User:
        raw = row["id"]
        user_id = raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
        return User(id=user_id, username=row["username"], email=row["email"], role=row["role"])

    def schema_revision(self) -> str | None:
        """The migrations revision of the accounts schema (None: never migrated), read on
        this pool: processes check it at start-up, `shop migrate` changes it."""
        table = ACCOUNTS.version_table
        exists = (
            f"SELECT to_regclass('{table}') IS NOT NULL AS found"
            if self._postgres
            else f"SELECT count(*) AS found FROM sqlite_master WHERE name = '{table}'"
        )
        with self._cursor(commit=False) as cursor:
            cursor.execute(exists)
            if not cursor.fetchone()["found"]:
                return None
            cursor.execute(f"SELECT version_num FROM {table}")
            row = cursor.fetchone()
        return str(row["version_num"]) if row else None

    # -- accounts ------------------------------------------------------------------------------

    def register(
        self, username: str, email: str, password: str, role: str = "shopper"
    ) -> tuple[User, int]:
        """Create the credentials row, then record AccountOpened; undo the row if that fails."""
        check_role(role)
        user = User(id=uuid.uuid4(), username=username, email=email.lower(), role=role)
        now = datetime.now(UTC)
        try:
            self._execute(
                _INSERT,
                {
                    "id": self._id(user.id),
                    "username": user.username,
                    "username_key": username.lower(),
                    "email": user.email,
                    "password_hash": self.passwords.hash(password),
                    "role": role,
                    "created_at": now if self._postgres else now.strftime("%Y-%m-%d %H:%M:%S.%f"),
                },
            )
        except IntegrityError:
            raise AccountTaken("username or email is already registered") from None
        try:
            position = self.shop.open_account(user.id, role)
        except BaseException:
            self._execute(_DELETE, {"id": self._id(user.id)})
            raise
        return user, position

    def authenticate(self, login: str, password: str) -> User | None:
        """The user for a username-or-email and password, or None (same cost either way)."""
        row = self._first(_BY_LOGIN, {"key": login.strip().lower()})
        if not self.passwords.verify(password, row["password_hash"] if row else None):
            return None
        return self._user(row) if row else None

    def get(self, user_id: uuid.UUID) -> User | None:
        row = self._first(_BY_ID, {"id": self._id(user_id)})
        return self._user(row) if row else None

    def many(self, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, User]:
        """The accounts of these ids (one query per 500), for naming customers in lists."""
        wanted = list(dict.fromkeys(user_ids))
        found: dict[uuid.UUID, User] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            names = [f"id{i}" for i in range(len(chunk))]
            statement = (
                f"SELECT {_COLUMNS} FROM accounts WHERE id IN ({', '.join(':' + n for n in names)})"
            )
            params = {name: self._id(user_id) for name, user_id in zip(names, chunk, strict=True)}
            with self._cursor(commit=False) as cursor:
                cursor.execute(self._sql(statement), params)
                for row in cursor.fetchall():
                    user = self._user(row)
                    found[user.id] = user
        return found

    def search(self, text: str, limit: int = 200) -> list[uuid.UUID]:
        """Ids of accounts whose username or email contains `text` (any case)."""
        escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(_SEARCH), {"pattern": f"%{escaped}%", "limit": limit})
            return [self._user(row).id for row in cursor.fetchall()]

    def find(self, username: str) -> User:
        row = self._first(_BY_LOGIN, {"key": username.strip().lower()})
        if row is None:
            raise UnknownAccount(f"no account named {username!r}")
        return self._user(row)

    def password_hash(self, username: str) -> str | None:
        """The stored hash (for checks of how passwords are kept), or None."""
        row = self._first(_BY_LOGIN, {"key": username.strip().lower()})
        return str(row["password_hash"]) if row else None

    def set_role(self, username: str, role: str) -> int:
        """Record RoleChanged, update the row (what the next login puts in its token), and
        tell this process's access cache at once; other processes learn it from the log."""
        user = self.find(username)
        position = self.shop.change_role(user.id, check_role(role))
        self._execute(_SET_ROLE, {"role": role, "id": self._id(user.id)})
        if self.on_role_changed is not None:
            self.on_role_changed(user.id, role, position)
        return position
