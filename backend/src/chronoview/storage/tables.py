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
