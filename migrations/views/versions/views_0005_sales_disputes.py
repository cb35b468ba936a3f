"""Daily sales: each order's disputes and the money lost to them, so revenue figures are net
of lost disputes.

Existing rows get neutral values here and their true ones when the worker rebuilds the view
(DailySalesView version 3) blue/green from the history. Additive, for rolling deploys.

Revision ID: views_0005
Revises: views_0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from migrations.columns import FilledColumn, add_filled_columns, drop_columns

revision = "views_0005"
down_revision: str | None = "views_0004"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

NEW_COLUMNS: list[FilledColumn] = [
    ("disputes", sa.Text(), "'{}'"),
    ("amount_lost", sa.BigInteger(), "0"),
]


def upgrade() -> None:
    add_filled_columns("sales_orders", NEW_COLUMNS)


def downgrade() -> None:
    drop_columns("sales_orders", NEW_COLUMNS)
