"""Downsampling for charts: min and max per time bucket, plus every alert point and both ends.

Why min/max and not LTTB: a chart one bucket per pixel column draws the same envelope from each
bucket's minimum and maximum as from all of its points, so spikes (up or down) always survive and
the global extremes are guaranteed, not just likely. Alert points are kept whatever their value,
so every marked anomaly of the range is on the chart.

`downsample` is the definition, pure and O(n). The storage computes the same thing inside the
database (each bucket's extremes by an index range scan; see storage/series.py), so a long range never
crosses into Python point by point, and then calls `downsample` on those few candidates.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

MIN_POINTS = 4  # both ends, a minimum and a maximum


def bucket_count(max_points: int, alerts: int) -> int:
    """How many buckets fit: each adds up to two points once both ends and the alerts are paid for."""
    return max(1, (max_points - 2 - alerts) // 2)


def bucket_edges(first: float, last: float, buckets: int) -> list[float]:
    """Lower edges of equal-width buckets from the first point to the last (in the last bucket).

    Rounded to the microsecond, the precision timestamps are stored with, so that the database
    (see storage/series.py) and this module cut the series at exactly the same instants.
    """
    width = (last - first) / buckets
    return [round(first + width * b, 6) for b in range(buckets)]


def downsample(
    ts: Sequence[float], values: Sequence[float], alert: Sequence[bool], max_points: int
) -> list[int]:
    """Indices of the points to keep, ascending; `ts` must be ascending.

    All points when they fit in `max_points`; otherwise both ends, every alert point, and the
    minimum and maximum (the earliest, on ties) of each of the `bucket_count` buckets of
    `bucket_edges`. That is at most
    `max(max_points, 4)` points unless the alerts do not fit beside both ends and the extremes:
    alerts and extremes are never dropped, so then it is just those.
    """
    n = len(ts)
    if n <= max_points:
        return list(range(n))
    keep = {i for i, flagged in enumerate(alert) if flagged}
    buckets = bucket_count(max_points, len(keep))
    keep.add(0)
    keep.add(n - 1)
    edges = bucket_edges(ts[0], ts[-1], buckets)
    lo = 0
    for b in range(1, buckets + 1):
        hi = n if b == buckets else bisect_left(ts, edges[b], lo)
        if hi > lo:
            chunk = values[lo:hi]
            keep.add(lo + chunk.index(min(chunk)))
            keep.add(lo + chunk.index(max(chunk)))
        lo = hi
    return sorted(keep)
