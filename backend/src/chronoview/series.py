"""A metric's history as the charts want it: the body of GET /metrics/{metric}/series.

Also what a snapshot freezes with `include_data`, so a shared link shows the very same thing.
"""

from __future__ import annotations

from typing import Any

from chronoview.downsample import downsample
from chronoview.points import format_ts
from chronoview.storage.base import Storage
from chronoview.timerange import TimeRange

DEFAULT_MAX_POINTS = 1_000
MIN_MAX_POINTS = 4  # both ends plus a minimum and a maximum
MAX_MAX_POINTS = 10_000


async def load_series(
    storage: Storage, metric: str, time_range: TimeRange, max_points: int = DEFAULT_MAX_POINTS
) -> dict[str, Any]:
    """`{"metric","from","to","points":[{ts,value}],"alerts":[{ts,value,zscore}],"downsampled"}`.

    `points` is every point when they fit in `max_points`, else a downsample that keeps each
    bucket's extremes and every alert point; `alerts` lists every alert point of the range.
    """
    columns = await storage.series(metric, time_range.start, time_range.end)
    ts, values, zscore = columns.ts, columns.values, columns.zscore
    keep = downsample(ts, values, columns.alert, max_points)
    return {
        "metric": metric,
        "from": format_ts(time_range.start),
        "to": format_ts(time_range.end),
        "points": [{"ts": format_ts(ts[i]), "value": values[i]} for i in keep],
        "alerts": [
            {"ts": format_ts(ts[i]), "value": values[i], "zscore": zscore[i]}
            for i, flagged in enumerate(columns.alert) if flagged
        ],
        "downsampled": len(keep) < len(ts),
    }
