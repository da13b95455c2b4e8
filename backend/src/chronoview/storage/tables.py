"""The schema, as SQLAlchemy Core tables (the migrations create the same thing)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()

JSONDoc = sa.JSON().with_variant(JSONB(), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite rowid aliasing needs INTEGER


def _serial_id() -> sa.Column[Any]:
    """A table's own 64-bit row id, numbered by the database."""
    return sa.Column("id", BigId, primary_key=True, autoincrement=True)


def _instant(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    """A moment in time: timezone-aware, stored in UTC (SQLite holds it as the text of
    points.sqlite_ts, which the ingest path writes directly)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _managed(name: str, key: str, *columns: sa.Column[Any]) -> sa.Table:
    """A table of things people manage through the API (alert rules, channels): a row id, a unique
    name, their own columns, and when each was created and last changed."""
    return sa.Table(name, metadata, _serial_id(), sa.Column(key, sa.String(100), nullable=False, unique=True),
                    *columns, _instant("created_at"), _instant("updated_at"))


def _scored_point(*after_zscore: sa.Column[Any]) -> list[sa.Column[Any]]:
    """The columns a stored point and a stored alert share (the point, its z-score and the window
    statistics it was scored against), new for each table: a column belongs to one table."""
    return [
        _serial_id(),
        sa.Column("metric", sa.String(100), nullable=False),
        _instant("ts"),
        sa.Column("value", sa.Float(53), nullable=False),
        sa.Column("zscore", sa.Float(53), nullable=True),
        *after_zscore,
        sa.Column("mean", sa.Float(53), nullable=True),
        sa.Column("std", sa.Float(53), nullable=True),
    ]


points = sa.Table(
    "points",
    metadata,
    *_scored_point(sa.Column("alert", sa.Boolean, nullable=False, server_default=sa.false())),
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
    *_scored_point(),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Index("ix_alerts_metric_ts", "metric", "ts"),
    sa.Index("ix_alerts_ts", "ts"),
)

metrics = sa.Table(
    "metrics",
    metadata,
    sa.Column("metric", sa.String(100), primary_key=True),
    sa.Column("last_value", sa.Float(53), nullable=False),
    _instant("last_ts"),
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
    _instant("created_at"),
    _instant("expires_at", nullable=True),
    sa.Column("delete_key_hash", sa.String(128), nullable=False),
)


alert_rules = _managed(
    "alert_rules",
    "match",
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
)

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("metric", sa.String(100), nullable=False),
    _instant("started_at"),
    _instant("last_alert_at"),
    _instant("resolved_at", nullable=True),
    sa.Column("peak_value", sa.Float(53), nullable=False),
    sa.Column("peak_zscore", sa.Float(53), nullable=True),
    sa.Column("alert_points", sa.Integer, nullable=False),
    sa.Column("rule", JSONDoc, nullable=False),
    sa.Index("ix_incidents_metric_resolved", "metric", "resolved_at"),
    sa.Index("ix_incidents_started", "started_at"),
)

# SPEC §11 notifications (notify/): channels, silences, and the outbox of events × channels.
channels = _managed(
    "channels",
    "name",
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("config", JSONDoc, nullable=False),  # the fields that are not secret
    sa.Column("secrets", sa.Text, nullable=False),  # Fernet token of the secret fields (notify/crypto.py)
    sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("disabled_reason", sa.Text, nullable=True),
)

silences = sa.Table(
    "silences",
    metadata,
    _serial_id(),
    sa.Column("match", sa.String(100), nullable=False),
    _instant("until"),
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
    _instant("created_at"),
)

notify_events = sa.Table(
    "notify_events",
    metadata,
    _serial_id(),
    sa.Column("event", sa.String(20), nullable=False),  # opened | resolved | reminder
    sa.Column("incident_id", sa.String(64), nullable=False),
    sa.Column("metric", sa.String(100), nullable=False),
    sa.Column("payload", JSONDoc, nullable=False),  # incident + point, as notify.events.IncidentEvent
    sa.Column("snapshot_id", sa.Uuid, nullable=True),  # the frozen snapshot, made at first send
    _instant("created_at"),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    _serial_id(),  # also the order per incident
    sa.Column("delivery_id", sa.Uuid, nullable=False, unique=True),  # X-ChronoView-Delivery
    sa.Column("event_id", BigId, nullable=False),
    sa.Column("channel_id", BigId, nullable=False),
    sa.Column("incident_id", sa.String(64), nullable=False),
    # pending | sending | delivered | failed | silenced
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    _instant("next_attempt_at", nullable=True),
    _instant("lease_until", nullable=True),  # while `sending`
    _instant("repeat_at", nullable=True),  # Alertmanager re-posts
    sa.Column("last_status", sa.Integer, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("reason", sa.Text, nullable=True),  # why silenced / failed
    _instant("created_at"),
    _instant("updated_at"),
    _instant("delivered_at", nullable=True),
    sa.Index("ix_deliveries_due", "state", "next_attempt_at"),
    sa.Index("ix_deliveries_incident", "incident_id", "channel_id", "id"),  # the claim's order check
    sa.Index("ix_deliveries_channel", "channel_id", "id"),
    sa.Index("ix_deliveries_repeat", "repeat_at"),
)
