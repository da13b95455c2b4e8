"""History queries of SqlStorage: series for charts, CSV export rows, snapshots and retention.

Kept apart from sql.py (the ingest side) as a mixin; `SqlStorage` inherits it, so callers only
ever see the one `Storage`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from chronoview.downsample import bucket_count, bucket_edges, downsample
from chronoview.points import to_datetime
from chronoview.storage.base import ExportRow, SeriesColumns, SnapshotRecord
from chronoview.storage.tables import alerts, points, snapshots

_SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores datetimes in SQLite
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


def _columns(dialect: str, rows: Sequence[Any]) -> SeriesColumns:
    if not rows:
        return SeriesColumns([], [], [], [], False)
    stamps, values, flags, zscores = zip(*rows, strict=True)
    return SeriesColumns([_epoch(dialect, s) for s in stamps], list(values),
                         [bool(f) for f in flags], list(zscores), False)


# Per bucket, the lowest and the highest point (earliest first on ties) by an index range scan that
# keeps only the best row: no sort of the whole range, and SQLite has no hash aggregate to lean on.
_EXTREMES_POSTGRES = sa.text("""
SELECT lo.ts, lo.value, hi.ts, hi.value
FROM unnest(:starts, :stops) AS b(start, stop)
CROSS JOIN LATERAL (SELECT ts, value FROM points WHERE metric = :metric AND ts >= b.start
                    AND ts < b.stop ORDER BY value, ts, id LIMIT 1) AS lo
CROSS JOIN LATERAL (SELECT ts, value FROM points WHERE metric = :metric AND ts >= b.start
                    AND ts < b.stop ORDER BY value DESC, ts, id LIMIT 1) AS hi
""").bindparams(
    sa.bindparam("starts", type_=postgresql.ARRAY(sa.DateTime(timezone=True))),
    sa.bindparam("stops", type_=postgresql.ARRAY(sa.DateTime(timezone=True))),
)
# SQLite: beside a lone min() or max(), a bare column comes from the row holding it (a documented
# rule), so one scalar subquery gives value and ts; printf('%!.20e') carries the float exactly.
_EXTREMES_SQLITE = sa.text("""
SELECT (SELECT printf('%!.20e', min(value)) || ' ' || ts FROM points WHERE metric = :metric
          AND ts >= json_extract(b.value, '$[0]') AND ts < json_extract(b.value, '$[1]')),
       (SELECT printf('%!.20e', max(value)) || ' ' || ts FROM points WHERE metric = :metric
          AND ts >= json_extract(b.value, '$[0]') AND ts < json_extract(b.value, '$[1]'))
FROM json_each(:buckets) AS b
""")


async def _bucket_extremes(
    conn: AsyncConnection, dialect: str, metric: str, first: float, last: float, buckets: int
) -> list[tuple[float, float]]:
    """(epoch, value) of the minimum and the maximum of each time bucket, found by the database.

    The buckets are `downsample`'s: equal widths from the first point, the last point in the last.
    """
    edges = [to_datetime(edge) for edge in bucket_edges(first, last, buckets)]
    edges.append(to_datetime(last) + timedelta(microseconds=1))  # the last bucket holds the last point
    found: list[tuple[float, float]] = []
    if dialect == "postgresql":
        # The planner prices a thousand small index scans like a big query and would JIT-compile
        # it, which costs more than running it. SET LOCAL ends with this (read) transaction.
        await conn.execute(sa.text("SET LOCAL jit = off"))
        result = await conn.execute(
            _EXTREMES_POSTGRES, {"metric": metric, "starts": edges[:-1], "stops": edges[1:]})
        for lo_ts, lo_value, hi_ts, hi_value in result:
            found += [(_utc(lo_ts).timestamp(), lo_value), (_utc(hi_ts).timestamp(), hi_value)]
        return found
    text = [edge.astimezone(UTC).strftime(_SQLITE_FORMAT) for edge in edges]
    pairs = orjson.dumps([[text[i], text[i + 1]] for i in range(buckets)]).decode()
    result = await conn.execute(_EXTREMES_SQLITE, {"metric": metric, "buckets": pairs})
    for cells in result:
        for cell in cells:
            if cell is not None:  # an empty bucket
                value, _, stamp = cell.partition(" ")
                found.append((_epoch(dialect, stamp), float(value)))
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
            # Only "does it fit?" matters, so counting stops after max_points + 1 index entries.
            probe = sa.select(sa.literal(1)).where(*where).limit(max_points + 1).subquery()
            if int(await conn.scalar(sa.select(sa.func.count()).select_from(probe)) or 0) <= max_points:
                rows = (await conn.execute(
                    sa.select(*columns).where(*where).order_by(points.c.ts, points.c.id)
                )).all()
                return _columns(self.dialect, rows)
            # Too many: only candidates cross over: both ends, every alert, each bucket's extremes.
            # ORDER BY ts alone is the index's order, so it stops at the first entry whatever the
            # planner's statistics say (on a table not yet analyzed, min(ts) or ORDER BY ts, id
            # read the whole range); then the earliest/latest id among points of that instant.
            ends = [(await conn.execute(
                sa.select(*columns)
                .where(points.c.metric == metric, points.c.ts == sa.select(points.c.ts).where(*where)
                       .order_by(by_ts).limit(1).scalar_subquery())
                .order_by(by_id).limit(1))).one()
                for by_ts, by_id in ((points.c.ts, points.c.id), (points.c.ts.desc(), points.c.id.desc()))]
            flagged = (await conn.execute(
                sa.select(_stamp(self.dialect, alerts), alerts.c.value, sa.true(), alerts.c.zscore)
                .where(alerts.c.metric == metric, alerts.c.ts >= to_datetime(start),
                       alerts.c.ts <= to_datetime(end))
            )).all()
            buckets = bucket_count(max_points, len(flagged))
            first, last = (_epoch(self.dialect, row[0]) for row in ends)
            extremes = await _bucket_extremes(conn, self.dialect, metric, first, last, buckets)
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
                             [alert[i] for i in keep], [zscore[i] for i in keep], True)

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
