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

from migrations.columns import FilledColumn, add_filled_columns, drop_columns

revision = "views_0002"
down_revision: str | None = "views_0001_baseline"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql")
NEW_COLUMNS: list[FilledColumn] = [
    ("disputes", LONG_TEXT, "'{}'"),
    ("amount_lost", sa.BigInteger(), "0"),
    ("payment_state", sa.String(length=16), "'none'"),
    ("cancelled", sa.Boolean(), "0"),
    ("fulfilled", sa.Boolean(), "0"),
    ("stock_shortfall", sa.Boolean(), "0"),
]


def upgrade() -> None:
    add_filled_columns("orders", NEW_COLUMNS)
    op.create_index("ix_orders_dispute", "orders", ["dispute"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_orders_dispute", table_name="orders")
    drop_columns("orders", NEW_COLUMNS)
