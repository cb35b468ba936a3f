"""Daily sales: what an order's status is derived from, as in the orders view (payment state,
cancelled, fulfilled, a stock shortfall, whether it holds its stock).

Existing rows get neutral values here and their true ones when the worker rebuilds the view
(DailySalesView version 2) blue/green from the history. Additive, for rolling deploys.

Revision ID: views_0003
Revises: views_0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from migrations.columns import FilledColumn, add_filled_columns, drop_columns

revision = "views_0003"
down_revision: str | None = "views_0002"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

NEW_COLUMNS: list[FilledColumn] = [
    ("payment_state", sa.String(length=16), "'none'"),
    ("cancelled", sa.Boolean(), "0"),
    ("fulfilled", sa.Boolean(), "0"),
    ("stock_shortfall", sa.Boolean(), "0"),
    ("holds_stock", sa.Boolean(), "1"),
]


def upgrade() -> None:
    add_filled_columns("sales_orders", NEW_COLUMNS)


def downgrade() -> None:
    drop_columns("sales_orders", NEW_COLUMNS)
