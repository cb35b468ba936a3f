"""The accounts table: credentials and roles, kept out of the event stream on purpose.

It lives in the event store's database (the command side owns identity; infra/
private_store.py says how it is reached). Events name users by id only, so erasing a row
here erases the person without rewriting history.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import IntegrityError

from domain.accounts import Account, check_role
from domain.errors import ConcurrentUpdate
from domain.shop import Shop
from infra.private_store import PrivateStore
from infra.private_store import accounts_table as accounts_table
from infra.schema import ACCOUNTS
from infra.security import Passwords

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


@dataclass(frozen=True)
class Credentials:
    user: User | None
    password_hash: str | None
    # What login limits count against: the account (by username or e-mail alike), or the
    # name given when no account has it.
    limit_key: str


class AccountStore(PrivateStore):
    def __init__(
        self,
        shop: Shop,
        passwords: Passwords,
        on_role_changed: Callable[[uuid.UUID, str, int], None] | None = None,
        datastore: Any = None,
    ) -> None:
        """`datastore` defaults to the event store's (its pool); tests may give another."""
        super().__init__(datastore or getattr(shop.recorder, "datastore", None))
        self.shop = shop
        self.passwords = passwords
        self.on_role_changed = on_role_changed

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
                    "created_at": self._time(now),
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

    def credentials(self, login: str) -> Credentials:
        """Who a username-or-email names (both name the same account), before any hash."""
        row = self._first(_BY_LOGIN, {"key": login.strip().lower()})
        if row is None:
            return Credentials(None, None, f"login:{login.strip().lower()}")
        user = self._user(row)
        return Credentials(user, str(row["password_hash"]), f"account:{user.id}")

    def check_password(self, credentials: Credentials, password: str) -> User | None:
        """The user if the password is theirs, else None (same cost for unknown users)."""
        if not self.passwords.verify(password, credentials.password_hash):
            return None
        return credentials.user

    def authenticate(self, login: str, password: str) -> User | None:
        """The user for a username-or-email and password, or None (same cost either way)."""
        return self.check_password(self.credentials(login), password)

    def heal(self, user: User) -> int | None:
        """Open the event-sourced Account of credentials whose registration stopped between
        its two writes (a crash after the row): the next sign-in finishes it."""
        if self.shop.find(Account, user.id) is not None:
            return None
        try:
            return self.shop.open_account(user.id, user.role)
        except ConcurrentUpdate:
            return None  # a concurrent sign-in healed it first

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
