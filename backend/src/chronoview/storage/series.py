"""Series queries of SqlStorage: a metric's points for the charts, downsampled in the database.

A mixin, like the other query modules here; `SqlStorage` inherits it, so callers only ever see the
one `Storage`. The buckets are `chronoview.downsample`'s, so a long range never crosses over whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, timedelta
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from chronoview.downsample import bucket_count, bucket_edges, downsample
from chronoview.points import to_datetime
from chronoview.storage.base import SeriesColumns
from chronoview.storage.host import SqlHost
from chronoview.storage.stamps import SQLITE_FORMAT, epoch, stamp_column, utc
from chronoview.storage.tables import alerts, points

# ts, value, alert, zscore, mean, std: one point that may survive downsampling.
_Candidate = tuple[float, float, bool, float | None, float | None, float | None]


def _columns(dialect: str, rows: Sequence[Any]) -> SeriesColumns:
    if not rows:
        return SeriesColumns([], [], [], [], [], [], False)
    stamps, values, flags, zscores, means, stds = zip(*rows, strict=True)
    return SeriesColumns([epoch(dialect, s) for s in stamps], list(values),
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
            sa.select(stamp_column(dialect), points.c.value, points.c.zscore, points.c.mean, points.c.std)
            .where(points.c.metric == metric, points.c.ts.in_(chunk)))
        for stamp, value, zscore, mean, std in result:
            found[epoch(dialect, stamp), value] = (zscore, mean, std)
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
            found += [(utc(lo_ts).timestamp(), lo_value), (utc(hi_ts).timestamp(), hi_value)]
        return found
    text = [edge.astimezone(UTC).strftime(SQLITE_FORMAT) for edge in edges]
    pairs = orjson.dumps([[text[i], text[i + 1]] for i in range(buckets)]).decode()
    result = await conn.execute(_EXTREMES_SQLITE, {"metric": metric, "buckets": pairs})
    for cells in result:
        for cell in cells:
            if cell is not None:  # an empty bucket
                value, _, stamp = cell.partition(" ")
                found.append((epoch(dialect, stamp), float(value)))
    return found


class SeriesQueries:
    """Chart series; mixed into SqlStorage."""

    async def series(
        self: SqlHost, metric: str, start: float, end: float, max_points: int
    ) -> SeriesColumns:
        where = (points.c.metric == metric, points.c.ts >= to_datetime(start),
                 points.c.ts <= to_datetime(end))
        columns = (stamp_column(self.dialect), points.c.value, points.c.alert, points.c.zscore,
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
                sa.select(stamp_column(self.dialect, alerts), alerts.c.value, sa.true(), alerts.c.zscore,
                          alerts.c.mean, alerts.c.std)
                .where(alerts.c.metric == metric, alerts.c.ts >= to_datetime(start),
                       alerts.c.ts <= to_datetime(end))
            )).all()
            buckets = bucket_count(max_points, len(flagged))
            first, last = (epoch(self.dialect, row[0]) for row in ends)
            extremes = await _bucket_extremes(conn, self.dialect, metric, first, last, buckets)
            candidates: dict[tuple[float, float], _Candidate] = {}
            unscored: set[tuple[float, float]] = set()
            for stamp, value in extremes:
                candidates[stamp, value] = (stamp, value, False, None, None, None)
                unscored.add((stamp, value))
            for row in (*ends, *flagged):  # alerts last, so a point both extreme and alert is an alert
                stamp = epoch(self.dialect, row[0])
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
