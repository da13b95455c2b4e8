"""History queries of SqlStorage: series for charts, CSV export rows, snapshots and retention.

Kept apart from sql.py (the ingest side) as a mixin; `SqlStorage` inherits it, so callers only
ever see the one `Storage`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from chronoview.points import to_datetime
from chronoview.storage.base import ExportRow, SeriesColumns, SnapshotRecord
from chronoview.storage.tables import alerts, points, snapshots

# Rows per fetch while exporting: big enough to amortise round trips, small enough to stay flat.
EXPORT_CHUNK_ROWS = 5_000


class _Sql(Protocol):
    dialect: str

    def connect(self, write: bool = False) -> AbstractAsyncContextManager[AsyncConnection]: ...


def _epoch(dialect: str) -> sa.ColumnElement[float]:
    """Seconds since the epoch, computed by the database: no datetime object per row in Python."""
    if dialect == "postgresql":
        return sa.cast(sa.extract("epoch", points.c.ts), sa.Float(53))
    # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC here): whole seconds
    # from strftime, microseconds from the text, so no precision is lost on the way.
    seconds = sa.cast(sa.func.strftime("%s", points.c.ts), sa.Integer)
    micros = sa.cast(sa.func.substr(points.c.ts, 21, 6), sa.Integer)
    return sa.type_coerce(seconds + micros / 1_000_000.0, sa.Float(53))


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _record(row: sa.Row[Any]) -> SnapshotRecord:
    m = row._mapping
    expires = m["expires_at"]
    return SnapshotRecord(
        id=m["id"], state=m["state"], data=m["data"],
        created_at=_utc(m["created_at"]).timestamp(),
        expires_at=None if expires is None else _utc(expires).timestamp(),
        delete_key_hash=m["delete_key_hash"],
    )


class HistoryQueries:
    """Read-mostly queries over stored history; mixed into SqlStorage."""

    async def series(self: _Sql, metric: str, start: float, end: float) -> SeriesColumns:
        query = (
            sa.select(_epoch(self.dialect), points.c.value, points.c.alert, points.c.zscore)
            .where(points.c.metric == metric, points.c.ts >= to_datetime(start),
                   points.c.ts <= to_datetime(end))
            .order_by(points.c.ts, points.c.id)
        )
        async with self.connect() as conn:
            rows = (await conn.execute(query)).all()
        if not rows:
            return SeriesColumns([], [], [], [])
        ts, values, alert, zscore = zip(*rows, strict=True)
        return SeriesColumns(list(ts), list(values), [bool(a) for a in alert], list(zscore))

    async def export_rows(
        self: _Sql, metrics: Sequence[str], start: float, end: float
    ) -> AsyncGenerator[list[ExportRow], None]:
        where = (points.c.metric.in_(list(metrics)), points.c.ts >= to_datetime(start),
                 points.c.ts <= to_datetime(end))
        columns = (points.c.metric, points.c.ts, points.c.value, points.c.zscore, points.c.alert,
                   points.c.mean, points.c.std, points.c.n)
        if self.dialect == "postgresql":
            # One server-side cursor: PostgreSQL hands rows over in chunks as we ask for them.
            query = (sa.select(*columns).where(*where).order_by(points.c.ts, points.c.id)
                     .execution_options(yield_per=EXPORT_CHUNK_ROWS))
            async with self.connect() as conn:
                result = await conn.stream(query)
                async for part in result.partitions():
                    yield [tuple(row) for row in part]
            return
        # SQLite: keyset pages, each in its own short read so the writer is never held back.
        raw_ts = sa.type_coerce(points.c.ts, sa.String)
        page = sa.select(*columns[:1], raw_ts, *columns[2:], points.c.id).where(*where)
        last: tuple[str, int] | None = None
        while True:
            query = page
            if last is not None:
                query = query.where(sa.or_(raw_ts > last[0], sa.and_(raw_ts == last[0],
                                                                     points.c.id > last[1])))
            async with self.connect() as conn:
                rows: Sequence[Any] = (await conn.execute(
                    query.order_by(points.c.ts, points.c.id).limit(EXPORT_CHUNK_ROWS)
                )).all()
            if not rows:
                return
            yield [
                (m, datetime.fromisoformat(t).replace(tzinfo=UTC), v, z, bool(a), mu, sd, n)
                for m, t, v, z, a, mu, sd, n, _id in rows
            ]
            if len(rows) < EXPORT_CHUNK_ROWS:
                return
            last = (rows[-1][1], rows[-1][-1])

    async def create_snapshot(self: _Sql, record: SnapshotRecord) -> None:
        async with self.connect(write=True) as conn:
            await conn.execute(snapshots.insert().values(
                id=record.id, state=record.state, data=record.data,
                created_at=to_datetime(record.created_at),
                expires_at=None if record.expires_at is None else to_datetime(record.expires_at),
                delete_key_hash=record.delete_key_hash,
            ))

    async def get_snapshot(self: _Sql, snapshot_id: UUID, now: float) -> SnapshotRecord | None:
        query = sa.select(snapshots).where(
            snapshots.c.id == snapshot_id,
            sa.or_(snapshots.c.expires_at.is_(None), snapshots.c.expires_at > to_datetime(now)),
        )
        async with self.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _record(row)

    async def delete_snapshot(self: _Sql, snapshot_id: UUID) -> bool:
        async with self.connect(write=True) as conn:
            result = await conn.execute(snapshots.delete().where(snapshots.c.id == snapshot_id))
        return bool(result.rowcount)

    async def purge_points(self: _Sql, metric: str, before: float, limit: int) -> int:
        # Per metric, so every batch walks the (metric, ts) index instead of scanning the table.
        doomed = (sa.select(points.c.id)
                  .where(points.c.metric == metric, points.c.ts < to_datetime(before)).limit(limit))
        async with self.connect(write=True) as conn:
            result = await conn.execute(points.delete().where(points.c.id.in_(doomed.scalar_subquery())))
        return int(result.rowcount)

    async def purge_alerts(self: _Sql, before: float, limit: int) -> int:
        doomed = sa.select(alerts.c.id).where(alerts.c.ts < to_datetime(before)).limit(limit)
        async with self.connect(write=True) as conn:
            result = await conn.execute(alerts.delete().where(alerts.c.id.in_(doomed.scalar_subquery())))
        return int(result.rowcount)

    async def purge_snapshots(self: _Sql, now: float, limit: int) -> int:
        doomed = (sa.select(snapshots.c.id)
                  .where(snapshots.c.expires_at <= to_datetime(now)).limit(limit))
        async with self.connect(write=True) as conn:
            result = await conn.execute(
                snapshots.delete().where(snapshots.c.id.in_(doomed.scalar_subquery()))
            )
        return int(result.rowcount)
