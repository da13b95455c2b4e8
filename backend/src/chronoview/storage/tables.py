"""The schema, as SQLAlchemy Core tables (the migrations create the same thing)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()

JSONDoc = sa.JSON().with_variant(JSONB(), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite rowid aliasing needs INTEGER

points = sa.Table(
    "points",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("metric", sa.String(100), nullable=False),
    sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
    sa.Column("value", sa.Float(53), nullable=False),
    sa.Column("zscore", sa.Float(53), nullable=True),
    sa.Column("alert", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("mean", sa.Float(53), nullable=True),
    sa.Column("std", sa.Float(53), nullable=True),
    sa.Column("n", sa.Integer, nullable=False, server_default="0"),
    sa.Index("ix_points_metric_ts", "metric", "ts"),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("metric", sa.String(100), nullable=False),
    sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
    sa.Column("value", sa.Float(53), nullable=False),
    sa.Column("zscore", sa.Float(53), nullable=True),
    sa.Column("mean", sa.Float(53), nullable=True),
    sa.Column("std", sa.Float(53), nullable=True),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Index("ix_alerts_metric_ts", "metric", "ts"),
    sa.Index("ix_alerts_ts", "ts"),
)

metrics = sa.Table(
    "metrics",
    metadata,
    sa.Column("metric", sa.String(100), primary_key=True),
    sa.Column("last_value", sa.Float(53), nullable=False),
    sa.Column("last_ts", sa.DateTime(timezone=True), nullable=False),
    sa.Column("simulated", sa.Boolean, nullable=False, server_default=sa.false()),
)

snapshots = sa.Table(
    "snapshots",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("state", JSONDoc, nullable=False),
    sa.Column("data", JSONDoc, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("delete_key_hash", sa.String(128), nullable=False),
)

alert_rules = sa.Table(
    "alert_rules",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("match", sa.String(100), nullable=False, unique=True),
    # Null: the setting's default (ALERT_SIGMA, ALERT_WINDOW_SECONDS, ALERT_MIN_POINTS, both ways).
    sa.Column("sigma", sa.Float(53), nullable=True),
    sa.Column("window_seconds", sa.Float(53), nullable=True),
    sa.Column("min_points", sa.Integer, nullable=True),
    sa.Column("direction", sa.String(5), nullable=True),
    sa.Column("for_points", sa.Integer, nullable=False, server_default="1"),
    sa.Column("resolve_after_seconds", sa.Float(53), nullable=False, server_default="60"),
    sa.Column("repeat_interval_seconds", sa.Float(53), nullable=True),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("notify", JSONDoc, nullable=True),  # channel ids; null: the default channels
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("metric", sa.String(100), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_alert_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("peak_value", sa.Float(53), nullable=False),
    sa.Column("peak_zscore", sa.Float(53), nullable=True),
    sa.Column("alert_points", sa.Integer, nullable=False),
    sa.Column("rule", JSONDoc, nullable=False),
    sa.Index("ix_incidents_metric_resolved", "metric", "resolved_at"),
    sa.Index("ix_incidents_started", "started_at"),
)
