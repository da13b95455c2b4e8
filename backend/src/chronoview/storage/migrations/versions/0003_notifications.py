"""Notifications (SPEC §11): channels, silences, notification events and their deliveries.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_json = sa.JSON().with_variant(JSONB(), "postgresql")
_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_when = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "channels",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("config", _json, nullable=False),
        sa.Column("secrets", sa.Text, nullable=False),
        sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("disabled_reason", sa.Text, nullable=True),
        sa.Column("created_at", _when, nullable=False),
        sa.Column("updated_at", _when, nullable=False),
    )
    op.create_table(
        "silences",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("match", sa.String(100), nullable=False),
        sa.Column("until", _when, nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", _when, nullable=False),
    )
    op.create_table(
        "notify_events",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("incident_id", sa.String(64), nullable=False),
        sa.Column("metric", sa.String(100), nullable=False),
        sa.Column("payload", _json, nullable=False),
        sa.Column("snapshot_id", sa.Uuid, nullable=True),
        sa.Column("created_at", _when, nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("event_id", _id, nullable=False),
        sa.Column("channel_id", _id, nullable=False),
        sa.Column("incident_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", _when, nullable=True),
        sa.Column("lease_until", _when, nullable=True),
        sa.Column("repeat_at", _when, nullable=True),
        sa.Column("last_status", sa.Integer, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("created_at", _when, nullable=False),
        sa.Column("updated_at", _when, nullable=False),
        sa.Column("delivered_at", _when, nullable=True),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["state", "next_attempt_at"])
    op.create_index("ix_deliveries_incident", "deliveries", ["incident_id", "channel_id"])
    op.create_index("ix_deliveries_channel", "deliveries", ["channel_id", "id"])
    op.create_index("ix_deliveries_repeat", "deliveries", ["repeat_at"])


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("notify_events")
    op.drop_table("silences")
    op.drop_table("channels")
