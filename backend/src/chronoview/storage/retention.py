"""Retention deletes in SQL, in bounded batches (see chronoview/retention.py): a mixin of SqlStorage."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from chronoview.points import to_datetime
from chronoview.storage.host import SqlHost
from chronoview.storage.seqs import exclude_writes
from chronoview.storage.tables import alerts, passed_seqs, points, snapshots


class RetentionQueries:
    """Deletes of what is older than the retention; mixed into SqlStorage."""

    async def purge_points(self: SqlHost, metric: str, before: float, limit: int) -> int:
        # Per metric, so every batch walks the (metric, ts) index instead of scanning the table.
        doomed = (sa.select(points.c.id)
                  .where(points.c.metric == metric, points.c.ts < to_datetime(before)).limit(limit))
        async with self.connect(write=True) as conn:
            result = await conn.execute(points.delete().where(points.c.id.in_(doomed.scalar_subquery()))
                                        .returning(points.c.seq))
            seqs = result.scalars().all()
            if seqs:
                await _pass_up_to(conn, self.dialect, metric, max(seqs))
        return len(seqs)

    async def purge_alerts(self: SqlHost, before: float, limit: int) -> int:
        doomed = sa.select(alerts.c.id).where(alerts.c.ts < to_datetime(before)).limit(limit)
        async with self.connect(write=True) as conn:
            result = await conn.execute(alerts.delete().where(alerts.c.id.in_(doomed.scalar_subquery())))
        return int(result.rowcount)

    async def purge_snapshots(self: SqlHost, now: float, limit: int) -> int:
        doomed = (sa.select(snapshots.c.id)
                  .where(snapshots.c.expires_at <= to_datetime(now)).limit(limit))
        async with self.connect(write=True) as conn:
            result = await conn.execute(
                snapshots.delete().where(snapshots.c.id.in_(doomed.scalar_subquery()))
            )
        return int(result.rowcount)

    async def purge_passed_seqs(self: SqlHost, before: float, limit: int) -> int:
        # Each metric's highest range stays whatever its age: last_seq() resumes the metric's
        # counter (and bounds its cursors) above it, so no passed seq is ever handed out again. So
        # does its lowest, which after retention is the floor (see `_pass_up_to`).
        older, other = passed_seqs.alias("older"), passed_seqs.alias("other")
        highest = (sa.select(sa.func.max(other.c.last_seq)).where(other.c.metric == older.c.metric)
                   .scalar_subquery())
        lowest = (sa.select(sa.func.min(other.c.first_seq)).where(other.c.metric == older.c.metric)
                  .scalar_subquery())
        doomed = (sa.select(older.c.metric, older.c.last_seq)
                  .where(older.c.passed_at < to_datetime(before), older.c.last_seq < highest,
                         older.c.first_seq > lowest).limit(limit))
        async with self.connect(write=True) as conn:
            result = await conn.execute(passed_seqs.delete().where(
                sa.tuple_(passed_seqs.c.metric, passed_seqs.c.last_seq).in_(doomed)))
        return int(result.rowcount)


async def _pass_up_to(conn: AsyncConnection, dialect: str, metric: str, last: int) -> None:
    """Record the metric's seqs 1..`last` as passed (its floor), once retention deleted the point
    of `last`: a reader then finds none of them missing and waits for none (SPEC §6), and a late
    write of one not stored fails (a seq that old is long settled). The ranges inside the floor
    merge into it, so it stays the metric's one lowest range, which `purge_passed_seqs` keeps."""
    await exclude_writes(conn, dialect, metric)
    floor = await conn.scalar(sa.select(sa.func.max(passed_seqs.c.last_seq))
                              .where(passed_seqs.c.metric == metric, passed_seqs.c.first_seq == 1))
    if floor is not None and floor >= last:
        return
    await conn.execute(passed_seqs.delete().where(passed_seqs.c.metric == metric,
                                                  passed_seqs.c.last_seq <= last))
    await conn.execute(passed_seqs.insert().values(metric=metric, first_seq=1, last_seq=last,
                                                   passed_at=datetime.now(UTC)))
