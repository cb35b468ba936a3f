"""Operations the revisions share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# name, type, the SQL value the rows already there take
FilledColumn = tuple[str, sa.types.TypeEngine[Any], str]


def add_filled_columns(table: str, columns: Sequence[FilledColumn]) -> None:
    """Add NOT NULL columns to a table that may hold rows: a server default fills those, then
    goes again (the code sets every value itself, and the schema must match its models)."""
    with op.batch_alter_table(table) as batch:
        for name, type_, value in columns:
            batch.add_column(sa.Column(name, type_, nullable=False, server_default=sa.text(value)))
    with op.batch_alter_table(table) as batch:
        for name, type_, _ in columns:
            batch.alter_column(name, existing_type=type_, server_default=None)


def drop_columns(table: str, columns: Sequence[FilledColumn]) -> None:
    with op.batch_alter_table(table) as batch:
        for name, _, _ in reversed(columns):
            batch.drop_column(name)
