"""A metric's history as the charts want it: the body of GET /metrics/{metric}/series.

Also what a snapshot freezes with `include_data`, so a shared link shows the very same thing.
"""

from __future__ import annotations

from typing import Any, Protocol

from chronoview.downsample import MIN_POINTS
from chronoview.points import format_ts
from chronoview.storage.base import SeriesColumns
from chronoview.timerange import TimeRange

DEFAULT_MAX_POINTS = 1_000
MIN_MAX_POINTS = MIN_POINTS
MAX_MAX_POINTS = 10_000


class SeriesSource(Protocol):
    """Where a series is read from: the storage (`Storage.series`), or in the dispatcher process on
    SQLite its blocking connection (notify/blocking.py)."""

    async def series(self, metric: str, start: float, end: float, max_points: int) -> SeriesColumns: ...


async def load_series(
    storage: SeriesSource, metric: str, time_range: TimeRange, max_points: int = DEFAULT_MAX_POINTS
) -> dict[str, Any]:
    """`{"metric","from","to","points":[{ts,value,zscore,mean,std}],"alerts":[{ts,value,zscore}],
    "downsampled"}`.

    `points` is every point when they fit in `max_points`, else a downsample that keeps each
    bucket's extremes and every alert point; `alerts` lists every alert point of the range. Each
    point carries its stored score: `mean` and `std` are the baseline it was scored against, so
    the μ ± kσ band drawn from them is the same on every load and in a frozen snapshot.
    """
    columns = await storage.series(metric, time_range.start, time_range.end, max_points)
    stamps = [format_ts(ts) for ts in columns.ts]
    values, alert, zscore, mean, std = (columns.values, columns.alert, columns.zscore,
                                        columns.mean, columns.std)
    return {
        "metric": metric,
        "from": format_ts(time_range.start),
        "to": format_ts(time_range.end),
        "points": [
            {"ts": stamps[i], "value": values[i], "zscore": zscore[i], "mean": mean[i], "std": std[i]}
            for i in range(len(stamps))
        ],
        "alerts": [
            {"ts": stamps[i], "value": values[i], "zscore": zscore[i]}
            for i, flagged in enumerate(alert) if flagged
        ],
        "downsampled": columns.downsampled,
    }
