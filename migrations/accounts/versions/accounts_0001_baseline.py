"""Baseline: the accounts table as it was before migrations (in the event store's database).

Idempotent on purpose: a database set up by an earlier release already has the table and its
accounts; it is kept as it is and the revision recorded. The statements are those earlier
releases ran (native UUID on PostgreSQL, 32 hex digits on SQLite).

Revision ID: accounts_0001_baseline
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision = "accounts_0001_baseline"
down_revision: str | None = None
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

_POSTGRES = """
CREATE TABLE IF NOT EXISTS accounts (
    id UUID PRIMARY KEY,
    username VARCHAR(64) NOT NULL,
    username_key VARCHAR(64) NOT NULL UNIQUE,
    email VARCHAR(254) NOT NULL UNIQUE,
    password_hash VARCHAR(128) NOT NULL,
    role VARCHAR(16) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL
)"""
_SQLITE = """
CREATE TABLE IF NOT EXISTS accounts (
    id CHAR(32) NOT NULL PRIMARY KEY,
    username VARCHAR(64) NOT NULL,
    username_key VARCHAR(64) NOT NULL UNIQUE,
    email VARCHAR(254) NOT NULL UNIQUE,
    password_hash VARCHAR(128) NOT NULL,
    role VARCHAR(16) NOT NULL,
    created_at DATETIME NOT NULL
)"""


def upgrade() -> None:
    op.execute(_POSTGRES if op.get_bind().dialect.name == "postgresql" else _SQLITE)


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone: the accounts are the only copy")
