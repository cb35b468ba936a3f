"""The accounts table: credentials and roles, kept out of the event stream on purpose.

It lives in the event store's database (the command side owns identity); events name users
by id only, so erasing a row here erases the person without rewriting history.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    Uuid,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from domain.accounts import check_role
from domain.shop import Shop
from infra.security import Passwords

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("username", String(64), nullable=False),
    Column("username_key", String(64), nullable=False, unique=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("password_hash", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

revoked_tokens = Table(
    "revoked_tokens",
    metadata,
    Column("jti", String(64), primary_key=True),
    Column("expires_at", BigInteger, nullable=False),
)


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


def _user(row: object) -> User:
    return User(id=row.id, username=row.username, email=row.email, role=row.role)  # type: ignore[attr-defined]


class AccountStore:
    def __init__(self, engine: Engine, shop: Shop, passwords: Passwords) -> None:
        self.engine = engine
        self.shop = shop
        self.passwords = passwords

    def create_tables(self) -> None:
        metadata.create_all(self.engine)

    def register(
        self, username: str, email: str, password: str, role: str = "shopper"
    ) -> tuple[User, int]:
        """Create the credentials row, then record AccountOpened; undo the row if that fails."""
        check_role(role)
        user = User(id=uuid.uuid4(), username=username, email=email.lower(), role=role)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(accounts).values(
                        id=user.id,
                        username=user.username,
                        username_key=username.lower(),
                        email=user.email,
                        password_hash=self.passwords.hash(password),
                        role=role,
                        created_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            raise AccountTaken("username or email is already registered") from None
        try:
            position = self.shop.open_account(user.id, role)
        except BaseException:
            with self.engine.begin() as conn:
                conn.execute(delete(accounts).where(accounts.c.id == user.id))
            raise
        return user, position

    def authenticate(self, login: str, password: str) -> User | None:
        """The user for a username-or-email and password, or None (same cost either way)."""
        key = login.strip().lower()
        with self.engine.connect() as conn:
            row = conn.execute(
                select(accounts).where(or_(accounts.c.username_key == key, accounts.c.email == key))
            ).first()
        if not self.passwords.verify(password, row.password_hash if row else None):
            return None
        return _user(row) if row else None

    def get(self, user_id: uuid.UUID) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.id == user_id)).first()
        return _user(row) if row else None

    def find(self, username: str) -> User:
        key = username.strip().lower()
        with self.engine.connect() as conn:
            row = conn.execute(
                select(accounts).where(or_(accounts.c.username_key == key, accounts.c.email == key))
            ).first()
        if row is None:
            raise UnknownAccount(f"no account named {username!r}")
        return _user(row)

    def set_role(self, username: str, role: str) -> int:
        user = self.find(username)
        position = self.shop.change_role(user.id, check_role(role))
        with self.engine.begin() as conn:
            conn.execute(update(accounts).where(accounts.c.id == user.id).values(role=role))
        return position

    def revoke(self, jti: str, expires_at: int) -> None:
        now = int(time.time())
        with self.engine.begin() as conn:
            conn.execute(delete(revoked_tokens).where(revoked_tokens.c.expires_at < now))
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(revoked_tokens).values(jti=jti, expires_at=expires_at))
        except IntegrityError:
            pass  # already revoked (a repeated or concurrent logout with the same token)

    def is_revoked(self, jti: str) -> bool:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == jti)
            ).first()
        return row is not None
