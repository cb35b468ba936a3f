"""Selling: the orders view's figures (subtotal, discount, shipping, tax per rate), what was
chosen at checkout and the ids of the order's addresses; daily sales split into net sales,
shipping, tax and discount; the catalog's tax class; and the selling view's tables (shipping
methods, tax rates, discount codes).

Existing order rows get the figures of an order of lines only here, and their true ones
when the worker rebuilds the orders and daily-sales views (versions 4 and 3) blue/green.
Every product listed before tax classes is standard-rated. Additive, for rolling deploys.

Revision ID: views_0006
Revises: views_0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from migrations.columns import FilledColumn, add_filled_columns, drop_columns

revision = "views_0006"
down_revision: str | None = "views_0005"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql")
# infra.read_store.UTCDateTime as stored: microseconds on MySQL too.
UTC_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")
ORDER_FIGURES: list[FilledColumn] = [
    ("subtotal", sa.BigInteger(), "0"),
    ("discount", sa.BigInteger(), "0"),
    ("shipping", sa.BigInteger(), "0"),
    ("tax", sa.BigInteger(), "0"),
    ("tax_by_rate", LONG_TEXT, "'{}'"),
    ("prices_include_tax", sa.Boolean(), "1"),
]
SALES_SPLIT: list[FilledColumn] = [
    ("net_sales", sa.BigInteger(), "0"),
    ("shipping", sa.BigInteger(), "0"),
    ("tax", sa.BigInteger(), "0"),
    ("discount", sa.BigInteger(), "0"),
]
TAX_CLASS: list[FilledColumn] = [("tax_class", sa.String(length=16), "'standard'")]


def upgrade() -> None:
    add_filled_columns("orders", ORDER_FIGURES)
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("shipping_method", LONG_TEXT, nullable=True))
        batch.add_column(sa.Column("discount_code", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("shipping_address_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("billing_address_id", sa.Uuid(), nullable=True))
    op.create_index("ix_orders_discount_code", "orders", ["discount_code"], unique=False)
    add_filled_columns("sales_orders", SALES_SPLIT)
    add_filled_columns("catalog_products", TAX_CLASS)
    op.create_table(
        "shipping_methods",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("countries", sa.Text(), nullable=False),
        sa.Column("rates", sa.Text(), nullable=False),
        sa.Column("min_days", sa.Integer(), nullable=False),
        sa.Column("max_days", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "tax_rates",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("reduced_rate_bp", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("country"),
    )
    op.create_table(
        "discount_codes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )


def downgrade() -> None:
    op.drop_table("discount_codes")
    op.drop_table("tax_rates")
    op.drop_table("shipping_methods")
    drop_columns("catalog_products", TAX_CLASS)
    drop_columns("sales_orders", SALES_SPLIT)
    op.drop_index("ix_orders_discount_code", table_name="orders")
    with op.batch_alter_table("orders") as batch:
        for name in (
            "billing_address_id",
            "shipping_address_id",
            "discount_code",
            "shipping_method",
        ):
            batch.drop_column(name)
    drop_columns("orders", ORDER_FIGURES)
