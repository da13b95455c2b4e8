"""Retention deletes in SQL, in bounded batches (see chronoview/retention.py): a mixin of SqlStorage."""

from __future__ import annotations

import sqlalchemy as sa

from chronoview.points import to_datetime
from chronoview.storage.host import SqlHost
from chronoview.storage.tables import alerts, points, snapshots


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
