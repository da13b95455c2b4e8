"""Points, alerts, the metric catalog and snapshots.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_json = sa.JSON().with_variant(JSONB(), "postgresql")
_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "points",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("metric", sa.String(100), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(53), nullable=False),
        sa.Column("zscore", sa.Float(53), nullable=True),
        sa.Column("alert", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("mean", sa.Float(53), nullable=True),
        sa.Column("std", sa.Float(53), nullable=True),
        sa.Column("n", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_points_metric_ts", "points", ["metric", "ts"])
    op.create_table(
        "alerts",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("metric", sa.String(100), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(53), nullable=False),
        sa.Column("zscore", sa.Float(53), nullable=True),
        sa.Column("mean", sa.Float(53), nullable=True),
        sa.Column("std", sa.Float(53), nullable=True),
        sa.Column("n", sa.Integer, nullable=False),
    )
    op.create_index("ix_alerts_metric_ts", "alerts", ["metric", "ts"])
    op.create_index("ix_alerts_ts", "alerts", ["ts"])
    op.create_table(
        "metrics",
        sa.Column("metric", sa.String(100), primary_key=True),
        sa.Column("last_value", sa.Float(53), nullable=False),
        sa.Column("last_ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("simulated", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "snapshots",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("state", _json, nullable=False),
        sa.Column("data", _json, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_key_hash", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("snapshots")
    op.drop_table("metrics")
    op.drop_table("alerts")
    op.drop_table("points")
