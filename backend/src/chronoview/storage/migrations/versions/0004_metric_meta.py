"""Metric metadata: unit, label and decimals per metric (PUT /metrics/{metric}/meta).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("metrics") as batch:
        batch.add_column(sa.Column("unit", sa.String(32), nullable=True))
        batch.add_column(sa.Column("label", sa.String(100), nullable=True))
        batch.add_column(sa.Column("decimals", sa.SmallInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("metrics") as batch:
        batch.drop_column("decimals")
        batch.drop_column("label")
        batch.drop_column("unit")
