"""History queries of SqlStorage: series for charts, CSV export rows, snapshots and retention.

Kept apart from sql.py (the ingest side) as a mixin; `SqlStorage` inherits it, so callers only
ever see the one `Storage`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from itertools import starmap
from typing import Any, Protocol
from uuid import UUID

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from chronoview.csvexport import CsvFormatter, CsvOptions
from chronoview.downsample import bucket_count, bucket_edges, downsample
from chronoview.points import sqlite_ts, to_datetime
from chronoview.storage.base import SeriesColumns, SnapshotRecord
from chronoview.storage.tables import alerts, points, snapshots

_SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores datetimes in SQLite
# Rows per SQLite export page: big enough to amortise queries, small enough to stay flat.
EXPORT_CHUNK_ROWS = 5_000


# ts, value, alert, zscore, mean, std: one point that may survive downsampling.
_Candidate = tuple[float, float, bool, float | None, float | None, float | None]


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
        return SeriesColumns([], [], [], [], [], [], False)
    stamps, values, flags, zscores, means, stds = zip(*rows, strict=True)
    return SeriesColumns([_epoch(dialect, s) for s in stamps], list(values),
                         [bool(f) for f in flags], list(zscores), list(means), list(stds), False)


async def _scores_at(
    conn: AsyncConnection, dialect: str, metric: str, instants: Sequence[float]
) -> dict[tuple[float, float], tuple[float | None, float | None, float | None]]:
    """(zscore, mean, std) of the metric's points at these instants, by (epoch, value).

    The bucket extremes come from the database as (ts, value) only; their scores are looked up
    afterwards for the few that survive downsampling, by the (metric, ts) index.
    """
    found: dict[tuple[float, float], tuple[float | None, float | None, float | None]] = {}
    wanted = sorted(set(instants))
    for offset in range(0, len(wanted), 500):  # SQLite binds at most 999 parameters by default
        chunk = [to_datetime(ts) for ts in wanted[offset:offset + 500]]
        result = await conn.execute(
            sa.select(_stamp(dialect), points.c.value, points.c.zscore, points.c.mean, points.c.std)
            .where(points.c.metric == metric, points.c.ts.in_(chunk)))
        for stamp, value, zscore, mean, std in result:
            found[_epoch(dialect, stamp), value] = (zscore, mean, std)
    return found


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


# Python's repr of a float8 column, in SQL. PostgreSQL 12+ already prints the shortest text that
# reads back exactly, in repr's notation, except that (1) a whole number has no ".0"; (2) from 1e15 to
# 1e16 it writes an exponent where repr does not; (3) from 2^53 up (where every float is whole and the
# points halfway between floats are integers) it never takes a decimal lying exactly halfway, which
# reading back (round half to even) would turn into this float, so it may print a 17th digit where
# repr needs 16. Case 3 is rebuilt from the exact integer: the first of 15, 16 and 17 significant
# digits that reads back. Above 1e40 a halfway point has more than 17 digits, so the text is repr's.
_PG_REPR = """CASE
 WHEN abs({c}) < 1e15 THEN CASE WHEN {c} = trunc({c}) THEN {c}::text || '.0' ELSE {c}::text END
 WHEN abs({c}) >= 9007199254740992 AND abs({c}) < 1e40 THEN (
  SELECT CASE WHEN abs({c}) < 1e16 THEN s::text || '.0'
         ELSE CASE WHEN s < 0 THEN '-' ELSE '' END || left(m, 1)
              || CASE WHEN length(m) > 1 THEN '.' || substr(m, 2) ELSE '' END
              || 'e+' || lpad((length(abs(s)::text) - 1)::text, 2, '0') END
  FROM (SELECT s, rtrim(abs(s)::text, '0') AS m FROM (SELECT CASE
         WHEN round(e, 15 - d)::float8 = {c} THEN round(e, 15 - d)
         WHEN round(e, 16 - d)::float8 = {c} THEN round(e, 16 - d)
         ELSE round(e, 17 - d) END AS s
       FROM (SELECT e, length(abs(e)::text) AS d FROM (SELECT round(
         ({c} / power(2::float8, greatest(0, ceil(ln(abs({c})) / ln(2::float8))::int - 62)))::int8::numeric
         * power(2::numeric, greatest(0, ceil(ln(abs({c})) / ln(2::float8))::int - 62))) AS e
       ) AS exact) AS counted) AS shortest) AS digits)
 WHEN abs({c}) < 1e16 THEN (SELECT CASE WHEN strpos(t, '.') = 0 THEN t || '.0' ELSE t END
                            FROM (SELECT {c}::text::numeric::text AS t) AS fixed)
 ELSE {c}::text END"""
# Chunks of COPY output (one socket read's worth each) held between the database and a slow client.
EXPORT_QUEUE_CHUNKS = 8
# asyncpg's COPY timeout covers the whole transfer, client included: a day is beyond any honest
# download but still frees, some day, a connection held by a client that stopped reading.
EXPORT_TIMEOUT = 24 * 3600.0


def _pg_number(column: str, decimal_comma: bool) -> str:
    text = _PG_REPR.format(c=column)
    return f"replace({text}, '.', ',')" if decimal_comma else text


def _copy_query(options: CsvOptions) -> str:
    """The SELECT whose CSV is `CsvFormatter.rows`'s, byte for byte, once lines end in CRLF.

    No cell needs quoting or formula neutralising: metric names (config.METRIC_NAME) start with a
    letter or digit and hold no separator, quote or line break; the rest are numbers and constants.
    """
    stamp = "YYYY-MM-DD HH24:MI:SS" if options.whole_seconds else "YYYY-MM-DD HH24:MI:SS.MS"
    false, true = options.booleans
    cells = ["metric", _pg_number("value", options.decimal_comma),
             f"to_char(ts AT TIME ZONE $4::text, '{stamp}')"]  # to_char truncates, as isoformat does
    for column in options.columns:
        cells.append(f"CASE WHEN alert THEN '{true}' ELSE '{false}' END" if column == "alert"
                     else column if column == "n" else _pg_number(column, options.decimal_comma))
    # Only names from csvexport.EXTRA_COLUMNS and constants of ours are spliced in; values are bound.
    return (f"SELECT {', '.join(cells)} FROM points WHERE metric = ANY($1::text[]) "  # noqa: S608
            "AND ts >= $2 AND ts <= $3 ORDER BY ts, id")


async def _copy_out(raw: Any, query: str, args: list[Any], delimiter: str) -> AsyncGenerator[bytes, None]:
    """`COPY (query) TO STDOUT` as CSV with CRLF line ends, chunk by chunk, memory bounded.

    asyncpg hands each batch of COPY data to `output` and reads no further until it returns, so the
    bounded hand-over below makes a slow client slow the COPY down rather than fill memory. Closing
    this generator (a client that left) cancels the COPY: asyncpg asks the server to stop it.
    """
    chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
    room = asyncio.Semaphore(EXPORT_QUEUE_CHUNKS)

    async def output(data: bytearray) -> None:
        await room.acquire()
        # No field holds a line break (see _copy_query), so each "\n" ends a row.
        chunks.put_nowait(bytes(data.replace(b"\n", b"\r\n")))

    copy = asyncio.create_task(raw.copy_from_query(
        query, *args, output=output, format="csv", delimiter=delimiter, timeout=EXPORT_TIMEOUT))
    copy.add_done_callback(lambda _: chunks.put_nowait(None))
    try:
        while (chunk := await chunks.get()) is not None:
            room.release()
            yield chunk
        await copy  # raises what stopped it early, if anything did
    finally:
        if not copy.done():
            copy.cancel()
            await asyncio.wait([copy])
        if not copy.cancelled():
            copy.exception()  # retrieved: it was raised above, or nobody is left to hear of it


# Stands for "." in metric names while a decimal-comma chunk turns every "." into ",".
_DOT = "\x01"


def _sqlite_pages(metrics: int, options: CsvOptions) -> tuple[str, str]:
    """The first-page and next-page queries of an SQLite export (rows as `_SqliteLines` wants them).

    A next page starts its index range at the last timestamp seen (`ts >= ?`): a bound inside the
    OR alone would leave SQLite scanning from the start of the range on every page.
    """
    false, true = options.booleans
    cells = [f"replace(metric, '.', '{_DOT}')" if options.decimal_comma else "metric", "value", "ts"]
    for column in options.columns:
        cells.append(f"CASE WHEN alert THEN '{true}' ELSE '{false}' END" if column == "alert"
                     else column if column == "n" else f"coalesce({column}, '')")
    head = (f"SELECT {', '.join(cells)}, id FROM points "  # noqa: S608 - as in _copy_query
            f"WHERE metric IN ({', '.join('?' * metrics)}) AND ts >= ? AND ts <= ?")
    tail = f" ORDER BY ts, id LIMIT {EXPORT_CHUNK_ROWS}"
    return head + tail, head + " AND (ts > ? OR id > ?)" + tail


class _SqliteLines:
    """CSV of SQLite export rows: one `str.format` per row, run by `starmap` (no Python frame).

    `str.format` writes a float as repr does; the stamp's format spec cuts the stored
    `YYYY-MM-DD HH:MM:SS.ffffff` UTC text to the millisecond or the second (truncating, as
    isoformat does); NULL arrives as "" and booleans spelled (see _sqlite_pages); the trailing id
    is left out. A decimal comma is one replace over the chunk: only numbers hold a "." once the
    metric names' dots are masked (the Excel stamps have none). No cell needs quoting (see
    _copy_query). With a zone, each stamp is converted in Python, row by row.
    """

    def __init__(self, options: CsvOptions) -> None:
        stamp = "{}" if options.zone_name else "{:.19}" if options.whole_seconds else "{:.23}"
        cells = ["{}", "{}", stamp, *["{}"] * len(options.columns)]
        self._template = options.delimiter.join(cells) + "\r\n"
        self._decimal_comma = options.decimal_comma
        # The formatter's own wall-clock conversion, so both paths agree on every zone rule.
        self._moment = CsvFormatter(options).moment if options.zone_name else None

    def encode(self, rows: Sequence[Sequence[Any]]) -> bytes:
        if (moment := self._moment) is not None:
            rows = [(row[0], row[1], moment(datetime.fromisoformat(row[2]).replace(tzinfo=UTC)), *row[3:])
                    for row in rows]
        text = "".join(starmap(self._template.format, rows))
        if self._decimal_comma:
            text = text.replace(".", ",").replace(_DOT, ".")
        return text.encode()


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
        columns = (_stamp(self.dialect), points.c.value, points.c.alert, points.c.zscore,
                   points.c.mean, points.c.std)
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
                sa.select(_stamp(self.dialect, alerts), alerts.c.value, sa.true(), alerts.c.zscore,
                          alerts.c.mean, alerts.c.std)
                .where(alerts.c.metric == metric, alerts.c.ts >= to_datetime(start),
                       alerts.c.ts <= to_datetime(end))
            )).all()
            buckets = bucket_count(max_points, len(flagged))
            first, last = (_epoch(self.dialect, row[0]) for row in ends)
            extremes = await _bucket_extremes(conn, self.dialect, metric, first, last, buckets)
            candidates: dict[tuple[float, float], _Candidate] = {}
            unscored: set[tuple[float, float]] = set()
            for stamp, value in extremes:
                candidates[stamp, value] = (stamp, value, False, None, None, None)
                unscored.add((stamp, value))
            for row in (*ends, *flagged):  # alerts last, so a point both extreme and alert is an alert
                stamp = _epoch(self.dialect, row[0])
                candidates[stamp, row[1]] = (stamp, row[1], bool(row[2]), row[3], row[4], row[5])
                unscored.discard((stamp, row[1]))
            ordered = sorted(candidates.values())
            keep = downsample([c[0] for c in ordered], [c[1] for c in ordered],
                              [c[2] for c in ordered], max_points)
            kept = [ordered[i] for i in keep]
            missing = [c[0] for c in kept if (c[0], c[1]) in unscored]
            scores = await _scores_at(conn, self.dialect, metric, missing) if missing else {}
        chosen = [c if (c[0], c[1]) not in scores else (c[0], c[1], c[2], *scores[c[0], c[1]])
                  for c in kept]
        ts, values, alert, zscore, mean, std = (list(c) for c in zip(*chosen, strict=True))
        return SeriesColumns(ts, values, alert, zscore, mean, std, True)

    async def export_csv(
        self: _Sql, metrics: Sequence[str], start: float, end: float, options: CsvOptions
    ) -> AsyncGenerator[bytes, None]:
        if self.dialect == "postgresql":
            async with self.connect() as conn:
                # JIT compiling these CASEs costs seconds, and the float text must be the shortest
                # exact one (PostgreSQL 12+ with extra_float_digits > 0, whatever the server's
                # configuration says); both end with this (read) transaction.
                await conn.execute(sa.text(
                    "SELECT set_config('jit', 'off', true), set_config('extra_float_digits', '1', true)"))
                raw = (await conn.get_raw_connection()).driver_connection
                args = [list(metrics), to_datetime(start), to_datetime(end), options.zone_name or "UTC"]
                try:
                    async with contextlib.aclosing(
                            _copy_out(raw, _copy_query(options), args, options.delimiter)) as chunks:
                        async for chunk in chunks:
                            yield chunk
                except (GeneratorExit, asyncio.CancelledError):
                    # A reader that left mid-COPY: asyncpg takes the cancelled COPY's next data for
                    # the cancel's acknowledgement and would hand the pool a connection still busy
                    # with it. This one connection is closed instead.
                    await conn.invalidate()
                    raise
            return
        # SQLite: keyset pages, each in its own short read so the writer is never held back.
        query = _sqlite_pages(len(metrics), options)
        lines = _SqliteLines(options)
        lower, upper = sqlite_ts(start), sqlite_ts(end)
        after: list[Any] = []
        while True:
            async with self.connect() as conn:
                raw = (await conn.get_raw_connection()).driver_connection
                async with raw.execute(  # type: ignore[union-attr]
                        query[bool(after)], [*metrics, lower, upper, *after]) as cursor:
                    rows = await cursor.fetchall()
            if rows:
                yield lines.encode(rows)
            if len(rows) < EXPORT_CHUNK_ROWS:
                return
            lower, last_id = rows[-1][2], rows[-1][-1]
            after = [lower, last_id]

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
