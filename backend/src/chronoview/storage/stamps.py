"""Timestamps as each dialect stores them: PostgreSQL `timestamptz`, SQLite SQLAlchemy's UTC text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from chronoview.storage.tables import points

SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores datetimes in SQLite


def utc(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; everything stored is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def to_epoch(moment: datetime) -> float:
    return utc(moment).timestamp()


def stamp_column(dialect: str, table: sa.Table = points) -> sa.ColumnElement[Any]:
    """The ts column as the driver gives it: on SQLite the stored text, left unparsed."""
    return table.c.ts if dialect == "postgresql" else sa.type_coerce(table.c.ts, sa.String)


def epoch(dialect: str, stamp: Any) -> float:
    """Seconds since the epoch of what `stamp_column` gave."""
    if dialect == "postgresql":
        return to_epoch(stamp)
    # SQLAlchemy's SQLite datetime text, 'YYYY-MM-DD HH:MM:SS.ffffff', in UTC here.
    return datetime.fromisoformat(stamp).replace(tzinfo=UTC).timestamp()
