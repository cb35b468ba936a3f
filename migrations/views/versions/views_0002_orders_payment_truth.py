"""Orders: what the status is derived from (payment state, cancelled, fulfilled, a stock
shortfall), the disputes and the money they lost; an index to filter by dispute.

Existing rows get neutral values here and their true ones when the worker rebuilds the orders
view (OrderViews version 3) blue/green from the history. Additive, for rolling deploys.

Revision ID: views_0002
Revises: views_0001_baseline
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "views_0002"
down_revision: str | None = "views_0001_baseline"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql")
# name, type, the value existing rows take
NEW_COLUMNS: list[tuple[str, sa.types.TypeEngine[object], str]] = [
    ("disputes", LONG_TEXT, "'{}'"),
    ("amount_lost", sa.BigInteger(), "0"),
    ("payment_state", sa.String(length=16), "'none'"),
    ("cancelled", sa.Boolean(), "0"),
    ("fulfilled", sa.Boolean(), "0"),
    ("stock_shortfall", sa.Boolean(), "0"),
]


def upgrade() -> None:
    # A server default fills the rows already there; the code sets every value itself, so the
    # defaults go again and the schema matches the models.
    with op.batch_alter_table("orders") as batch:
        for name, type_, value in NEW_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=False, server_default=sa.text(value)))
        batch.create_index("ix_orders_dispute", ["dispute"], unique=False)
    with op.batch_alter_table("orders") as batch:
        for name, type_, _ in NEW_COLUMNS:
            batch.alter_column(name, existing_type=type_, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_dispute")
        for name, _, _ in reversed(NEW_COLUMNS):
            batch.drop_column(name)
