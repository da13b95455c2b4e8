"""SQL storage for SQLite and PostgreSQL through SQLAlchemy Core: connections, migrations, writes.

The reads live beside it as mixins of `SqlStorage`, one module per concern: series.py (charts),
bulk.py (export), snapshots.py, retention.py, alerting.py (rules and incidents).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Collection, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from chronoview.alerting.incidents import IncidentChange
from chronoview.points import Point, Score, ScoredPoint, sqlite_all, sqlite_ts, to_datetime
from chronoview.storage.alerting import AlertingQueries, store_incident_changes
from chronoview.storage.base import CatalogEntry, MetricMeta, ReplayCursor, SeqPassed, StorageUnavailable
from chronoview.storage.bulk import BulkReads
from chronoview.storage.engine import create_engine
from chronoview.storage.pgcopy import COLUMNS, CopyRows
from chronoview.storage.retention import RetentionQueries
from chronoview.storage.seqs import exclude_writes
from chronoview.storage.series import SeriesQueries
from chronoview.storage.snapshots import SnapshotQueries
from chronoview.storage.stamps import to_epoch
from chronoview.storage.tables import alerts, incidents, metrics, passed_seqs, points

_MIGRATIONS = Path(__file__).parent / "migrations"
# The most stored points a pass over a range of seqs hands back (see `pass_seqs`).
PASS_FETCH = 10_000
# Groups from this size on are written by binary COPY; smaller ones by one statement (_PG_WRITE),
# one round trip where the COPY's transaction takes four (BEGIN, statement, COPY, COMMIT).
COPY_MIN_POINTS = 1_000
# Room a full batch of 10,000 points needs in SQLite's write-ahead log, with a margin.
MIN_FREE_BYTES = 8 * 1024 * 1024
_MIGRATION_LOCK = 0x43_56_4D_49  # any constant: serialises migrations across processes
# Driver errors after which a connection is gone (the engine does not pre-ping: see engine.py).
_CONNECTION_LOST = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                    asyncpg.exceptions.OperatorInterventionError, OSError)


_PG_WRITE = """
WITH batch AS (
    SELECT * FROM unnest($1::text[], $2::float8[], $3::float8[], $4::float8[], $5::bool[],
                         $6::float8[], $7::float8[], $8::int4[], $10::int8[])
        WITH ORDINALITY AS b(metric, ts, value, zscore, alert, mean, std, n, seq, arrival)
), stored AS (
    INSERT INTO points (metric, ts, value, zscore, alert, mean, std, n, seq)
    SELECT metric, to_timestamp(ts), value, zscore, alert, mean, std, n, seq FROM batch
    WHERE (SELECT chronoview_claim_seqs($1::text[], $10::int8[]))
), alerted AS (
    INSERT INTO alerts (metric, ts, value, zscore, mean, std, n)
    SELECT metric, to_timestamp(ts), value, zscore, mean, std, n FROM batch WHERE alert
), cataloged AS (
    INSERT INTO metrics (metric, last_value, last_ts, simulated)
    SELECT DISTINCT ON (metric) metric, value, to_timestamp(ts), metric = ANY($9::text[])
    FROM batch ORDER BY metric, ts DESC, arrival DESC
    ON CONFLICT (metric) DO UPDATE SET
        last_value = CASE WHEN excluded.last_ts >= metrics.last_ts
                          THEN excluded.last_value ELSE metrics.last_value END,
        last_ts = GREATEST(excluded.last_ts, metrics.last_ts),
        simulated = metrics.simulated OR excluded.simulated
    -- xmax is 0 on a row this statement inserted, the updating transaction's id on one it updated
    RETURNING metric, xmax = 0 AS added
)
SELECT metric FROM cataloged WHERE added
"""


# A large write: the points go by binary COPY (pgcopy.py) before this statement, in its transaction.
# The claim takes the shared lock per metric before it checks the tombstones, as in _PG_WRITE; it is
# held until the commit, so the COPY's uncommitted rows before it are covered alike.
_PG_BESIDE_COPY = """
WITH claimed AS (
    SELECT chronoview_claim_seq_runs($1::text[], $2::int8[], $3::int8[]) AS ok
), alerted AS (
    INSERT INTO alerts (metric, ts, value, zscore, mean, std, n)
    SELECT metric, to_timestamp(ts), value, zscore, mean, std, n
    FROM unnest($4::text[], $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::float8[],
                $10::int4[]) AS a(metric, ts, value, zscore, mean, std, n)
), cataloged AS (
    INSERT INTO metrics (metric, last_value, last_ts, simulated)
    SELECT metric, value, to_timestamp(ts), metric = ANY($14::text[])
    FROM unnest($11::text[], $12::float8[], $13::float8[]) AS c(metric, ts, value)
    WHERE (SELECT ok FROM claimed)
    ON CONFLICT (metric) DO UPDATE SET
        last_value = CASE WHEN excluded.last_ts >= metrics.last_ts
                          THEN excluded.last_value ELSE metrics.last_value END,
        last_ts = GREATEST(excluded.last_ts, metrics.last_ts),
        simulated = metrics.simulated OR excluded.simulated
    RETURNING metric, xmax = 0 AS added
)
SELECT metric FROM cataloged WHERE added
"""


_SQLITE_POINTS = ("INSERT INTO points (metric, ts, value, zscore, alert, mean, std, n, seq) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
_SQLITE_CATALOGED = "SELECT metric FROM metrics WHERE metric IN ({})"
_SQLITE_ALERTS = "INSERT INTO alerts (metric, ts, value, zscore, mean, std, n) VALUES (?, ?, ?, ?, ?, ?, ?)"
# The newest point per metric wins, whatever order batches arrive in (as in _PG_WRITE).
_SQLITE_CATALOG = """
INSERT INTO metrics (metric, last_value, last_ts, simulated) VALUES (?, ?, ?, ?)
ON CONFLICT (metric) DO UPDATE SET
    last_value = CASE WHEN excluded.last_ts >= metrics.last_ts
                      THEN excluded.last_value ELSE metrics.last_value END,
    last_ts = max(excluded.last_ts, metrics.last_ts),
    simulated = metrics.simulated OR excluded.simulated
"""


def _scored(row: sa.Row[Any]) -> ScoredPoint:
    m = row._mapping
    return ScoredPoint(
        Point(m["metric"], to_epoch(m["ts"]), m["value"]),
        Score(m["zscore"], bool(m["alert"]), m["mean"], m["std"], m["n"], seq=m["seq"]),
    )


class SqlStorage(SeriesQueries, BulkReads, SnapshotQueries, RetentionQueries, AlertingQueries):
    """The one Storage implementation: the dialect decides the few statements that differ."""

    def __init__(self, url: str, pooler: str = "") -> None:
        self.engine: AsyncEngine = create_engine(url, pooler)
        self.dialect = self.engine.dialect.name
        # SQLite has one process (solo.py), so every pass over a seq range is made here: until this
        # process passes one, no write can meet a tombstone (seqs handed out since the start lie
        # above every range stored before it), and the write skips the check's query.
        self._passed_here = False

    @asynccontextmanager
    async def connect(self, write: bool = False) -> AsyncIterator[AsyncConnection]:
        """A connection (a transaction when writing); database failures become StorageUnavailable."""
        try:
            async with self.engine.connect() as conn:
                try:
                    if write:
                        async with conn.begin():
                            yield conn
                    else:
                        yield conn
                except _CONNECTION_LOST:
                    # Raised by the driver itself (the write and export paths use it directly),
                    # SQLAlchemy did not see it: drop this connection and, as SQLAlchemy does on
                    # a disconnect, every pooled one, which a restarted server left dead too.
                    await conn.invalidate()
                    await self.engine.dispose()
                    raise
        except (SQLAlchemyError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            raise StorageUnavailable(f"database error: {type(exc).__name__}") from exc

    async def migrate(self) -> None:
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))

        def upgrade(sync_conn: sa.Connection) -> None:
            config.attributes["connection"] = sync_conn
            command.upgrade(config, "head")

        async with self.connect(write=True) as conn:
            if self.dialect == "postgresql":
                await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
            await conn.run_sync(upgrade)

    async def ping(self) -> None:
        """The database answers and can take writes (else StorageUnavailable)."""
        async with self.connect() as conn:
            if self.dialect == "postgresql":
                # A read-only server (a standby, or default_transaction_read_only) refuses writes.
                writable = await conn.scalar(sa.text(
                    "SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'"))
                if not writable:
                    raise StorageUnavailable("database is read-only")
                return
            await conn.execute(sa.text("SELECT 1"))
        self._check_free_space()

    def _check_free_space(self) -> None:
        """SQLite on a full disk still answers reads; every commit then fails. Too little room for a
        batch's write-ahead log means not ready."""
        database = self.engine.url.database
        if not database or database == ":memory:":
            return
        stats = os.statvfs(Path(database).resolve().parent)
        if stats.f_bavail * stats.f_frsize < MIN_FREE_BYTES:
            raise StorageUnavailable("no space left for the database")

    async def write(
        self, scored: Sequence[ScoredPoint], simulated: Collection[str] = frozenset(),
        incidents: Sequence[IncidentChange] = (),
    ) -> list[str]:
        if not scored:
            if incidents:
                await self.write_incidents(incidents)
            return []
        if self.dialect == "postgresql":
            return await self._write_postgres(scored, simulated, incidents)
        return await self._write_sqlite(scored, simulated, incidents)

    async def _write_sqlite(
        self, scored: Sequence[ScoredPoint], simulated: Collection[str], incidents: Sequence[IncidentChange]
    ) -> list[str]:
        """Rows as plain tuples for the driver's executemany: SQLAlchemy's per-row parameter
        processing cost more than SQLite's insert. Timestamps are the text SQLAlchemy would store.

        `alert` is bound as the integer 0 or 1, what SQLite stores for a bool anyway: the sqlite3
        driver binds an exact int directly, but a bool (a subclass) only after a lookup in its
        adapter registry, per row (3.33 → 2.85 µs per row for the insert, measured in a loop)."""
        rows: list[tuple[Any, ...]] = []
        alert_rows: list[tuple[Any, ...]] = []
        latest: dict[str, Point] = {}
        for item, stamp in zip(scored, sqlite_all([item.point.ts for item in scored]), strict=True):
            p, s = item.point, item.score
            if s.alert:
                row = (p.metric, stamp, p.value, s.zscore, 1, s.mean, s.std, s.n, s.seq)
                alert_rows.append(row[:4] + row[5:8])
            else:
                row = (p.metric, stamp, p.value, s.zscore, 0, s.mean, s.std, s.n, s.seq)
            rows.append(row)
            newest = latest.get(p.metric)
            if newest is None or p.ts >= newest.ts:
                latest[p.metric] = p
        async with self.connect(write=True) as conn:
            await conn.exec_driver_sql(_SQLITE_POINTS, rows)
            # After the insert, which took the database's write lock: no pass can slip in between
            # (a pass sets the flag before its own transaction).
            if self._passed_here:
                await _check_unpassed(conn, scored)
            if alert_rows:
                await conn.exec_driver_sql(_SQLITE_ALERTS, alert_rows)
            names = list(latest)
            result = await conn.exec_driver_sql(
                _SQLITE_CATALOGED.format(", ".join("?" * len(names))), tuple(names))
            added = sorted(set(names).difference(row[0] for row in result))
            await conn.exec_driver_sql(_SQLITE_CATALOG, [
                (p.metric, p.value, sqlite_ts(p.ts), int(p.metric in simulated))
            for p in latest.values()])
            await store_incident_changes(conn, self.dialect, incidents, scored)
        return added

    async def _write_postgres(
        self, scored: Sequence[ScoredPoint], simulated: Collection[str], incidents: Sequence[IncidentChange]
    ) -> list[str]:
        """The hot path: one statement over column arrays, so one round trip whatever the batch size
        (large groups go by COPY: `_copy_postgres`).

        A batch that changed incidents is a transaction of that statement and their upserts."""
        if len(scored) >= COPY_MIN_POINTS:
            return await self._copy_postgres(scored, simulated, incidents)
        columns: tuple[list[Any], ...] = ([], [], [], [], [], [], [], [])
        metric, ts, value, zscore, alert, mean, std, n = columns
        seq: list[int] = []
        for item in scored:
            p, s = item.point, item.score
            metric.append(p.metric)
            ts.append(p.ts)
            value.append(p.value)
            zscore.append(s.zscore)
            alert.append(s.alert)
            mean.append(s.mean)
            std.append(s.std)
            n.append(s.n)
            seq.append(s.seq)
        async with self.connect(write=bool(incidents)) as conn:
            # Incidents (and their notification outbox rows) first: SQLAlchemy begins the
            # transaction lazily, at its first statement, and the driver's own execute below begins
            # none. In this order the points join the incidents' transaction; without incidents
            # the single statement is its own transaction, with no BEGIN/COMMIT round trips.
            await store_incident_changes(conn, self.dialect, incidents, scored)
            raw = await conn.get_raw_connection()
            with _seq_passed():
                added = await raw.driver_connection.fetch(  # type: ignore[union-attr]
                    _PG_WRITE, *columns, list(simulated), seq)
        return sorted(row[0] for row in added)

    async def _copy_postgres(
        self, scored: Sequence[ScoredPoint], simulated: Collection[str], incidents: Sequence[IncidentChange]
    ) -> list[str]:
        """A large group in one transaction: incidents, then the points by binary COPY (the stream
        built as it is sent), then the passed-seq claim, alerts and catalog in one statement (small
        arrays: one element per run of seqs, alert or metric, gathered while the stream was built).
        A failure anywhere rolls all of it back.

        The claim may follow the COPY: its lock is held to the commit either way, and a reader
        that passed a seq of the group before it is taken makes the claim fail, as it would first."""
        rows = CopyRows(scored)
        async with self.connect(write=True) as conn:
            await store_incident_changes(conn, self.dialect, incidents, scored)
            raw: asyncpg.Connection = (await conn.get_raw_connection()).driver_connection
            # Incidents began SQLAlchemy's transaction (it begins at its first statement): join it.
            async with contextlib.nullcontext() if raw.is_in_transaction() else raw.transaction():
                await raw.copy_to_table("points", source=rows.stream(), columns=COLUMNS, format="binary")
                rest = rows.finish()
                alerted = [(item.point, item.score) for item in rest.alerts]
                latest = sorted(rest.latest.items())  # one order of the catalog's row locks for all
                with _seq_passed():
                    added = await raw.fetch(
                        _PG_BESIDE_COPY, rest.run_metrics, rest.run_firsts, rest.run_lasts,
                        [p.metric for p, _ in alerted], [p.ts for p, _ in alerted],
                        [p.value for p, _ in alerted], [s.zscore for _, s in alerted],
                        [s.mean for _, s in alerted], [s.std for _, s in alerted],
                        [s.n for _, s in alerted],
                        [m for m, _ in latest], [p.ts for _, p in latest], [p.value for _, p in latest],
                        list(simulated))
        return sorted(row[0] for row in added)

    async def window_history(self, metric: str, seconds: float) -> list[tuple[float, float]]:
        async with self.connect() as conn:
            newest = await conn.scalar(
                sa.select(sa.func.max(points.c.ts)).where(points.c.metric == metric)
            )
            if newest is None:
                return []
            cutoff = to_datetime(to_epoch(newest) - seconds)
            result = await conn.execute(
                sa.select(points.c.ts, points.c.value)
                .where(points.c.metric == metric, points.c.ts > cutoff)
                .order_by(points.c.ts, points.c.id)
            )
            return [(to_epoch(ts), value) for ts, value in result]

    async def points_after_seq(self, metric: str, seq: int, limit: int) -> list[ScoredPoint]:
        async with self.connect() as conn:
            result = await conn.execute(
                sa.select(points).where(points.c.metric == metric, points.c.seq > seq)
                .order_by(points.c.seq).limit(limit)
            )
            return [_scored(row) for row in result]

    async def last_seq(self, metric: str) -> int:
        async with self.connect() as conn:
            stored = await conn.scalar(sa.select(sa.func.max(points.c.seq)).where(points.c.metric == metric))
            passed = await conn.scalar(
                sa.select(sa.func.max(passed_seqs.c.last_seq)).where(passed_seqs.c.metric == metric))
        return max(stored or 0, passed or 0)

    async def first_seq_later_than(self, metric: str, ts: float, seq: int) -> int | None:
        async with self.connect() as conn:
            found = await conn.scalar(sa.select(sa.func.min(points.c.seq)).where(
                points.c.metric == metric, points.c.ts > to_datetime(ts), points.c.seq > seq))
        return None if found is None else int(found)

    async def missing_seqs(self, metric: str, first: int, last: int) -> list[range]:
        span = sa.and_(points.c.metric == metric, points.c.seq.between(first, last))
        async with self.connect() as conn:
            # Usually every seq is stored: counting them (on the index) is cheaper than reading them.
            stored_count = await conn.scalar(sa.select(sa.func.count()).select_from(points).where(span))
            if stored_count == last - first + 1:
                return []
            stored = await conn.scalars(sa.select(points.c.seq).where(span))
            taken = [(seq, seq) for seq in stored]
            result = await conn.execute(
                sa.select(passed_seqs.c.first_seq, passed_seqs.c.last_seq)
                .where(passed_seqs.c.metric == metric, passed_seqs.c.last_seq >= first,
                       passed_seqs.c.first_seq <= last))
            taken += [(lo, hi) for lo, hi in result]
        runs: list[range] = []
        at = first
        for lo, hi in sorted(taken):
            if lo > at:
                runs.append(range(at, lo))
            at = max(at, hi + 1)
        if at <= last:
            runs.append(range(at, last + 1))
        return runs

    async def pass_seqs(self, metric: str, first: int, last: int) -> list[ScoredPoint]:
        """The range is recorded first, under a lock no write of this metric holds (PostgreSQL: an
        exclusive advisory lock, where writes take it shared; SQLite: the database's write lock),
        then the points of the range already stored are read: a write either committed before
        (its point is returned) or checks after and finds the range (`chronoview_claim_seqs`,
        `_check_unpassed`). A range may cover stored seqs: no write will ever carry them again; one
        that only covers stored seqs is not kept. Only the newest PASS_FETCH stored points are
        returned: a range that long starts at a stale cursor, and the sockets that want older
        points replay them themselves."""
        self._passed_here = True
        async with self.connect(write=True) as conn:
            await exclude_writes(conn, self.dialect, metric)
            insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
            await conn.execute(insert(passed_seqs).values(  # another process may pass it too
                metric=metric, first_seq=first, last_seq=last, passed_at=datetime.now(UTC)
            ).on_conflict_do_nothing())
            newest = max(first, last - PASS_FETCH + 1)
            result = await conn.execute(
                sa.select(points).where(points.c.metric == metric, points.c.seq.between(newest, last))
                .order_by(points.c.seq)
            )
            found = [_scored(row) for row in result]
            stored = len(found) if newest == first else await conn.scalar(
                sa.select(sa.func.count()).select_from(points)
                .where(points.c.metric == metric, points.c.seq.between(first, last)))
            if stored == last - first + 1:  # all stored (a socket resumed on a quiet process)
                await conn.execute(passed_seqs.delete().where(
                    passed_seqs.c.metric == metric, passed_seqs.c.last_seq == last,
                    passed_seqs.c.first_seq == first))
            return found

    async def replay_page(
        self, metric: str, cursor: ReplayCursor, limit: int
    ) -> tuple[list[ScoredPoint], ReplayCursor]:
        # Written as ts >= c.ts AND (...) rather than a row comparison, so that both databases
        # start the range scan of ix_points_metric_ts at the cursor's timestamp.
        after = sa.and_(
            points.c.metric == metric,
            points.c.ts >= cursor.ts,
            sa.or_(points.c.ts > cursor.ts, points.c.id > cursor.id),
        )
        async with self.connect() as conn:
            result = await conn.execute(
                sa.select(points).where(after).order_by(points.c.ts, points.c.id).limit(limit)
            )
            rows = result.all()
        if not rows:
            return [], cursor
        last = rows[-1]._mapping
        return [_scored(row) for row in rows], ReplayCursor(last["ts"], last["id"])

    async def catalog(self) -> list[CatalogEntry]:
        async with self.connect() as conn:
            result = await conn.execute(sa.select(metrics).order_by(metrics.c.metric))
            return [
                CatalogEntry(row.metric, row.last_value, to_epoch(row.last_ts), bool(row.simulated),
                             MetricMeta(row.unit, row.label, row.decimals))
                for row in result
            ]

    async def set_meta(self, metric: str, meta: MetricMeta) -> bool:
        async with self.connect(write=True) as conn:
            result = await conn.execute(
                metrics.update().where(metrics.c.metric == metric)
                .values(unit=meta.unit, label=meta.label, decimals=meta.decimals)
            )
        return bool(result.rowcount)

    async def delete_metric(self, metric: str) -> bool:
        async with self.connect(write=True) as conn:
            removed = 0
            for table in (points, alerts, incidents, metrics):
                result = await conn.execute(table.delete().where(table.c.metric == metric))
                removed += result.rowcount
        return removed > 0

    async def alerts(
        self, metric: str | None, start: float, end: float, limit: int
    ) -> list[ScoredPoint]:
        query = sa.select(alerts, sa.true().label("alert"), sa.literal(0).label("seq")).where(
            alerts.c.ts >= to_datetime(start), alerts.c.ts <= to_datetime(end)
        )
        if metric is not None:
            query = query.where(alerts.c.metric == metric)
        async with self.connect() as conn:
            result = await conn.execute(
                query.order_by(alerts.c.ts.desc(), alerts.c.id.desc()).limit(limit)
            )
            return [_scored(row) for row in result]

    async def close(self) -> None:
        await self.engine.dispose()


@contextlib.contextmanager
def _seq_passed() -> Iterator[None]:
    """A passed seq met by the claim (`chronoview_claim_seqs`, SQLSTATE CV001) is SeqPassed."""
    try:
        yield
    except asyncpg.PostgresError as exc:
        if exc.sqlstate == "CV001":
            raise SeqPassed(str(exc)) from exc
        raise


async def _check_unpassed(conn: AsyncConnection, scored: Sequence[ScoredPoint]) -> None:
    """Raise SeqPassed when a point's seq lies in a range a reader passed over (SQLite)."""
    spans: dict[str, tuple[int, int]] = {}
    for item in scored:
        seq = item.score.seq
        lo, hi = spans.get(item.point.metric, (seq, seq))
        spans[item.point.metric] = (min(lo, seq), max(hi, seq))
    for metric, (lo, hi) in spans.items():
        result = await conn.execute(
            sa.select(passed_seqs.c.first_seq, passed_seqs.c.last_seq)
            .where(passed_seqs.c.metric == metric, passed_seqs.c.last_seq >= lo,
                   passed_seqs.c.first_seq <= hi))
        ranges = [(first, last) for first, last in result]
        if ranges and any(first <= item.score.seq <= last for item in scored if item.point.metric == metric
                          for first, last in ranges):
            raise SeqPassed(f"a seq of {metric} was passed over by a reader; retry")
