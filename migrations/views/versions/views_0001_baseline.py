"""Baseline: the read store's schema as it was before migrations (created by create_all).

Idempotent on purpose: a read store set up by an earlier release already has some or all of
these tables (with its data); only the missing ones are created, and the revision is then
recorded. Tables written out here, not imported from the code, so later changes to the code
need their own revisions.

Revision ID: views_0001_baseline
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "views_0001_baseline"
down_revision: str | None = None
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# infra.read_store.UTCDateTime as stored: microseconds on MySQL too.
UTC_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")


def _table(
    existing: set[str],
    name: str,
    *elements: sa.schema.SchemaItem,
    indexes: Sequence[tuple[str, list[str]]] = (),
) -> None:
    if name in existing:
        return
    op.create_table(name, *elements)
    for index, columns in indexes:
        op.create_index(index, name, columns)


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    _table(
        existing,
        "access_revocations",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("jti"),
        indexes=[
            ("ix_access_revocations_expires_at", ["expires_at"]),
            ("ix_access_revocations_position", ["position"]),
        ],
    )
    _table(
        existing,
        "access_roles",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
        indexes=[("ix_access_roles_position", ["position"])],
    )
    _table(
        existing,
        "analysis_replays",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("projection", sa.String(length=300), nullable=False),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    _table(
        existing,
        "cart_lines",
        sa.Column("cart_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("added_position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("cart_id", "product_id"),
    )
    _table(
        existing,
        "carts",
        sa.Column("cart_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("cart_id"),
        indexes=[("ix_carts_user_id", ["user_id"])],
    )
    _table(
        existing,
        "catalog_images",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("image_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("thumbnail_sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("product_id", "image_id"),
    )
    _table(
        existing,
        "catalog_products",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("delisted", sa.Boolean(), nullable=False),
        sa.Column("listed_position", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        indexes=[("ix_catalog_products_listed_position", ["listed_position"])],
    )
    _table(
        existing,
        "catalog_terms",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column(
            "term",
            sa.String(length=40).with_variant(
                mysql.VARCHAR(charset="utf8mb4", collation="utf8mb4_bin", length=40), "mysql"
            ),
            nullable=False,
        ),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("product_id", "term"),
        indexes=[("ix_catalog_terms_term", ["term"])],
    )
    _table(
        existing,
        "order_history",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("data", sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql"), nullable=False),
        sa.PrimaryKeyConstraint("order_id", "version"),
    )
    _table(
        existing,
        "orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_refunded", sa.BigInteger(), nullable=False),
        sa.Column("payment_intent_id", sa.String(length=255), nullable=True),
        sa.Column("tracking_note", sa.String(length=500), nullable=False),
        sa.Column("dispute", sa.String(length=32), nullable=True),
        sa.Column("holds_stock", sa.Boolean(), nullable=False),
        sa.Column("lines", sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("placed_position", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        indexes=[
            ("ix_orders_placed_position", ["placed_position"]),
            ("ix_orders_status", ["status"]),
            ("ix_orders_user_id", ["user_id"]),
        ],
    )
    _table(
        existing,
        "payment_timeline",
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("duplicate", sa.Boolean(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("position"),
        indexes=[("ix_payment_timeline_order_id", ["order_id"])],
    )
    _table(
        existing,
        "projection_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    _table(
        existing,
        "projection_positions",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    _table(
        existing,
        "projection_skips",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("aggregate_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name", "position"),
    )
    _table(
        existing,
        "projection_status",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("head", sa.BigInteger(), nullable=False),
        sa.Column("lag_seconds", sa.Double(), nullable=False),
        sa.Column("events_per_second", sa.Double(), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("failed_position", sa.BigInteger(), nullable=True),
        sa.Column("failed_type", sa.String(length=200), nullable=True),
        sa.Column("failed_aggregate", sa.String(length=64), nullable=True),
        sa.Column("since", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    _table(
        existing,
        "projection_versions",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("next_version", sa.Integer(), nullable=True),
        sa.Column("build_position", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    _table(
        existing,
        "sales_orders",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("amount_refunded", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("order_id"),
        indexes=[("ix_sales_orders_day_status", ["day", "status"])],
    )
    _table(
        existing,
        "stripe_receipts",
        sa.Column("receipt_id", sa.Uuid(), nullable=False),
        sa.Column("stripe_event_id", sa.String(length=255), nullable=False),
        sa.Column("stripe_type", sa.String(length=100), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.PrimaryKeyConstraint("receipt_id"),
    )


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone: drop the database instead")
