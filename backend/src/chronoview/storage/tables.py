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
    # SPEC §6: the point's place in its metric's stream, handed out by the window with the score.
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Index("ix_points_metric_ts", "metric", "ts"),
    sa.Index("ux_points_metric_seq", "metric", "seq", unique=True),
)

# Seqs a reader passed over because their points never arrived (SPEC §6): a later write of one of
# them fails. One row per passed range.
passed_seqs = sa.Table(
    "passed_seqs",
    metadata,
    sa.Column("metric", sa.String(100), primary_key=True),
    sa.Column("last_seq", sa.BigInteger, primary_key=True),
    sa.Column("first_seq", sa.BigInteger, nullable=False),
    sa.Column("passed_at", sa.DateTime(timezone=True), nullable=False),
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
    # Set by PUT /metrics/{metric}/meta; ingest never touches them.
    sa.Column("unit", sa.String(32), nullable=True),
    sa.Column("label", sa.String(100), nullable=True),
    sa.Column("decimals", sa.SmallInteger, nullable=True),
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

# SPEC §11 notifications (notify/): channels, silences, and the outbox of events × channels.
channels = sa.Table(
    "channels",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("config", JSONDoc, nullable=False),  # the fields that are not secret
    sa.Column("secrets", sa.Text, nullable=False),  # Fernet token of the secret fields (notify/crypto.py)
    sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("disabled_reason", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

silences = sa.Table(
    "silences",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("match", sa.String(100), nullable=False),
    sa.Column("until", sa.DateTime(timezone=True), nullable=False),
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

notify_events = sa.Table(
    "notify_events",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("event", sa.String(20), nullable=False),  # opened | resolved | reminder
    sa.Column("incident_id", sa.String(64), nullable=False),
    sa.Column("metric", sa.String(100), nullable=False),
    sa.Column("payload", JSONDoc, nullable=False),  # incident + point, as notify.events.IncidentEvent
    sa.Column("snapshot_id", sa.Uuid, nullable=True),  # the frozen snapshot, made at first send
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),  # also the order per incident
    sa.Column("delivery_id", sa.Uuid, nullable=False, unique=True),  # X-ChronoView-Delivery
    sa.Column("event_id", BigId, nullable=False),
    sa.Column("channel_id", BigId, nullable=False),
    sa.Column("incident_id", sa.String(64), nullable=False),
    # pending | sending | delivered | failed | silenced
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),  # while `sending`
    sa.Column("repeat_at", sa.DateTime(timezone=True), nullable=True),  # Alertmanager re-posts
    sa.Column("last_status", sa.Integer, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("reason", sa.Text, nullable=True),  # why silenced / failed
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_deliveries_due", "state", "next_attempt_at"),
    sa.Index("ix_deliveries_incident", "incident_id", "channel_id"),
    sa.Index("ix_deliveries_channel", "channel_id", "id"),
    sa.Index("ix_deliveries_repeat", "repeat_at"),
)
