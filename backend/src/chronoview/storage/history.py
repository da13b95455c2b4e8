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
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from chronoview.downsample import bucket_count, bucket_width, downsample
from chronoview.points import to_datetime
from chronoview.storage.base import ExportRow, SeriesColumns, SnapshotRecord
from chronoview.storage.tables import alerts, points, snapshots

# Rows per fetch while exporting: big enough to amortise round trips, small enough to stay flat.
EXPORT_CHUNK_ROWS = 5_000


class _Sql(Protocol):
    dialect: str

    def connect(self, write: bool = False) -> AbstractAsyncContextManager[AsyncConnection]: ...


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _stamp(dialect: str, table: sa.Table = points) -> sa.ColumnElement[Any]:
    """The ts column as the driver gives it: on SQLite the stored text, left unparsed."""
    return table.c.ts if dialect == "postgresql" else sa.type_coerce(table.c.ts, sa.String)


def _epoch(dialect: str, stamp: Any) -> float:
    if dialect == "postgresql":
        return float(_utc(stamp).timestamp())
    # SQLAlchemy's SQLite datetime text, 'YYYY-MM-DD HH:MM:SS.ffffff', in UTC here.
    return datetime.fromisoformat(stamp).replace(tzinfo=UTC).timestamp()


def _columns(dialect: str, rows: Sequence[Any], total: int) -> SeriesColumns:
    if not rows:
        return SeriesColumns([], [], [], [], total)
    stamps, values, flags, zscores = zip(*rows, strict=True)
    return SeriesColumns([_epoch(dialect, s) for s in stamps], list(values),
                         [bool(f) for f in flags], list(zscores), total)


async def _bucket_extremes(
    conn: AsyncConnection, dialect: str, where: tuple[sa.ColumnElement[bool], ...],
    first: float, last: float, buckets: int,
) -> list[tuple[float, float]]:
    """(epoch, value) of the minimum and the maximum of each time bucket, computed in the database.

    The buckets are `downsample`'s: equal widths from the first point, the last one in the last.
    """
    width = bucket_width(first, last, buckets)
    if dialect == "postgresql":
        # date_part gives float8 directly; extract() goes through numeric, several times slower.
        epoch = sa.func.date_part("epoch", points.c.ts, type_=sa.Float(53))
        bucket = sa.func.least(sa.func.floor((epoch - first) / width), buckets - 1)
        # An array compares element by element: the min of [value, ts] is the lowest value, with
        # its timestamp, in one pass and without sorting.
        pair = postgresql.array([points.c.value, epoch])
        rows = (await conn.execute(
            sa.select(sa.func.min(pair), sa.func.max(pair)).where(*where).group_by(bucket)
        )).all()
        return [(float(p[1]), float(p[0])) for row in rows for p in row]
    # SQLite: julianday is in days; a bare column beside a lone min() or max() comes from the row
    # holding that minimum or maximum (a documented SQLite rule), hence two queries.
    day0 = first / 86_400.0 + 2_440_587.5
    per_day = 86_400.0 / width
    bucket = sa.func.min(
        sa.cast((sa.func.julianday(points.c.ts) - day0) * per_day, sa.Integer), buckets - 1
    )
    found: list[tuple[float, float]] = []
    for extreme in (sa.func.min, sa.func.max):
        rows = (await conn.execute(
            sa.select(extreme(points.c.value), _stamp(dialect)).where(*where).group_by(bucket)
        )).all()
        found.extend((_epoch(dialect, stamp), value) for value, stamp in rows)
    return found


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

    async def series(
        self: _Sql, metric: str, start: float, end: float, max_points: int
    ) -> SeriesColumns:
        where = (points.c.metric == metric, points.c.ts >= to_datetime(start),
                 points.c.ts <= to_datetime(end))
        columns = (_stamp(self.dialect), points.c.value, points.c.alert, points.c.zscore)
        async with self.connect() as conn:
            total = int(await conn.scalar(sa.select(sa.func.count()).where(*where)) or 0)
            if total <= max_points:
                rows = (await conn.execute(
                    sa.select(*columns).where(*where).order_by(points.c.ts, points.c.id)
                )).all()
                return _columns(self.dialect, rows, total)
            # Too many: only candidates cross over: both ends, every alert, each bucket's extremes.
            ends = [(await conn.execute(
                sa.select(*columns).where(*where).order_by(*order).limit(1))).one()
                for order in ((points.c.ts, points.c.id), (points.c.ts.desc(), points.c.id.desc()))]
            flagged = (await conn.execute(
                sa.select(_stamp(self.dialect, alerts), alerts.c.value, sa.true(), alerts.c.zscore)
                .where(alerts.c.metric == metric, alerts.c.ts >= to_datetime(start),
                       alerts.c.ts <= to_datetime(end))
            )).all()
            first, last = (_epoch(self.dialect, row[0]) for row in ends)
            buckets = bucket_count(max_points, len(flagged))
            extremes = await _bucket_extremes(conn, self.dialect, where, first, last, buckets)
        candidates: dict[tuple[float, float], tuple[float, float, bool, float | None]] = {}
        for stamp, value in extremes:
            candidates[stamp, value] = (stamp, value, False, None)
        for row in (*ends, *flagged):  # alerts last, so a point both extreme and alert is an alert
            stamp = _epoch(self.dialect, row[0])
            candidates[stamp, row[1]] = (stamp, row[1], bool(row[2]), row[3])
        ordered = sorted(candidates.values())
        ts, values, alert, zscore = (list(c) for c in zip(*ordered, strict=True))
        keep = downsample(ts, values, alert, max_points)
        return SeriesColumns([ts[i] for i in keep], [values[i] for i in keep],
                             [alert[i] for i in keep], [zscore[i] for i in keep], total)

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
