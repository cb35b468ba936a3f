"""Stripe deliveries: repeated deliveries of a recorded Stripe event are counted here instead
of each appending an event. Additive, for rolling deploys.

Revision ID: accounts_0002
Revises: accounts_0001_baseline
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision = "accounts_0002"
down_revision: str | None = "accounts_0001_baseline"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stripe_deliveries",
        sa.Column("stripe_event_id", sa.String(length=255), nullable=False),
        sa.Column("duplicates", sa.BigInteger(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("stripe_event_id"),
    )


def downgrade() -> None:
    op.drop_table("stripe_deliveries")
