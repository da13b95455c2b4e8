"""Downsampling for charts: min/max per time bucket, plus every alert point and both ends.

Why min/max and not LTTB: a chart that is a bucket wide per pixel column draws exactly the same
line from each bucket's minimum and maximum as from all of its points, so spikes (up or down)
always survive and the global extremes are guaranteed, not just likely. Alert points are kept
whatever their value, so every marked anomaly in the range is on the chart.

Cost: O(n). Bucket edges are found by bisection over the (sorted) timestamps and each bucket's
extremes with the built-in min/max/index over a slice, so the per-point work runs in C.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence


def downsample(
    ts: Sequence[float], values: Sequence[float], alert: Sequence[bool], max_points: int
) -> list[int]:
    """Indices of the points to keep, ascending.

    All points when they fit in `max_points`; otherwise the first and last points, every alert
    point, and the minimum and maximum of each of equal-width time buckets, as many buckets as the
    budget left allows. The result has at most `max(max_points, 4)` indices unless the alerts
    do not fit beside both ends and the extremes: alerts and extremes are never dropped, so then it
    is those. `ts` must be ascending.
    """
    n = len(ts)
    if n <= max_points:
        return list(range(n))
    alerts = [i for i, flagged in enumerate(alert) if flagged]
    # Each bucket may add two points; both ends and the alerts are paid for first.
    buckets = max(1, (max_points - 2 - len(alerts)) // 2)
    keep = set(alerts)
    keep.add(0)
    keep.add(n - 1)
    first, span = ts[0], ts[-1] - ts[0]
    lo = 0
    for b in range(1, buckets + 1):
        hi = n if b == buckets else bisect_left(ts, first + span * b / buckets, lo)
        if hi > lo:
            chunk = values[lo:hi]
            keep.add(lo + chunk.index(min(chunk)))
            keep.add(lo + chunk.index(max(chunk)))
        lo = hi
    return sorted(keep)
