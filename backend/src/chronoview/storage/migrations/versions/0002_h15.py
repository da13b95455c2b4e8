"""Alert rules and incidents (SPEC §10).

Revision ID: 0002_h15
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002_h15"
down_revision = "0001"
branch_labels = None
depends_on = None

_json = sa.JSON().with_variant(JSONB(), "postgresql")
_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("match", sa.String(100), nullable=False, unique=True),
        sa.Column("sigma", sa.Float(53), nullable=True),
        sa.Column("window_seconds", sa.Float(53), nullable=True),
        sa.Column("min_points", sa.Integer, nullable=True),
        sa.Column("direction", sa.String(5), nullable=True),
        sa.Column("for_points", sa.Integer, nullable=False, server_default="1"),
        sa.Column("resolve_after_seconds", sa.Float(53), nullable=False, server_default="60"),
        sa.Column("repeat_interval_seconds", sa.Float(53), nullable=True),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("notify", _json, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("metric", sa.String(100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_alert_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("peak_value", sa.Float(53), nullable=False),
        sa.Column("peak_zscore", sa.Float(53), nullable=True),
        sa.Column("alert_points", sa.Integer, nullable=False),
        sa.Column("rule", _json, nullable=False),
    )
    op.create_index("ix_incidents_metric_resolved", "incidents", ["metric", "resolved_at"])
    op.create_index("ix_incidents_started", "incidents", ["started_at"])


def downgrade() -> None:
    op.drop_table("incidents")
    op.drop_table("alert_rules")
