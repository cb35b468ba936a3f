"""Orders: each order's refunds as its events tell them, and whether it has a question only
Stripe can answer (reconciliation asks about those orders only), indexed.

Existing rows get neutral values here and their true ones when the worker rebuilds the orders
view (OrderViews version 4) blue/green from the history. Additive, for rolling deploys.

Revision ID: views_0004
Revises: views_0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from migrations.columns import FilledColumn, add_filled_columns, drop_columns

revision = "views_0004"
down_revision: str | None = "views_0003"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql")
NEW_COLUMNS: list[FilledColumn] = [
    ("refunds", LONG_TEXT, "'{}'"),
    ("open_question", sa.Boolean(), "0"),
]


def upgrade() -> None:
    add_filled_columns("orders", NEW_COLUMNS)
    op.create_index("ix_orders_open_question", "orders", ["open_question"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_orders_open_question", table_name="orders")
    drop_columns("orders", NEW_COLUMNS)
