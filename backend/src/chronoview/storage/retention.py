"""Retention deletes in SQL, in bounded batches (see chronoview/retention.py): a mixin of SqlStorage."""

from __future__ import annotations

import sqlalchemy as sa

from chronoview.points import to_datetime
from chronoview.storage.host import SqlHost
from chronoview.storage.tables import alerts, passed_seqs, points, snapshots


class RetentionQueries:
    """Deletes of what is older than the retention; mixed into SqlStorage."""

    async def purge_points(self: SqlHost, metric: str, before: float, limit: int) -> int:
        # Per metric, so every batch walks the (metric, ts) index instead of scanning the table.
        doomed = (sa.select(points.c.id)
                  .where(points.c.metric == metric, points.c.ts < to_datetime(before)).limit(limit))
        async with self.connect(write=True) as conn:
            result = await conn.execute(points.delete().where(points.c.id.in_(doomed.scalar_subquery())))
        return int(result.rowcount)

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
        # counter (and bounds its cursors) above it, so no passed seq is ever handed out again.
        older, newest = passed_seqs.alias("older"), passed_seqs.alias("newest")
        highest = (sa.select(sa.func.max(newest.c.last_seq)).where(newest.c.metric == older.c.metric)
                   .scalar_subquery())
        doomed = (sa.select(older.c.metric, older.c.last_seq)
                  .where(older.c.passed_at < to_datetime(before), older.c.last_seq < highest).limit(limit))
        async with self.connect(write=True) as conn:
            result = await conn.execute(passed_seqs.delete().where(
                sa.tuple_(passed_seqs.c.metric, passed_seqs.c.last_seq).in_(doomed)))
        return int(result.rowcount)
