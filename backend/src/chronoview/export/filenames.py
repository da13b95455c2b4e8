"""The file name of a CSV export (the Content-Disposition of GET /export/csv)."""

from __future__ import annotations

from collections.abc import Sequence

from chronoview.export.cells import Preset
from chronoview.points import to_datetime
from chronoview.timerange import TimeRange


def export_filename(metrics: Sequence[str], time_range: TimeRange, preset: Preset = "plain") -> str:
    """SPEC §5: `cpu_1h.csv`, `cpu_1h_excel.csv`, `cpu+traffic_0.5h.csv`,
    `cpu_20250927T000000Z_20250927T060000Z_excel-eu.csv` (from/to as compact UTC stamps)."""
    names = "+".join(metrics) if len(metrics) <= 3 else f"{metrics[0]}+{len(metrics) - 1}more"
    names = names.replace(":", "_")  # ':' is not allowed in Windows file names
    if time_range.hours is not None:
        span = f"{time_range.hours:g}h"
    else:
        span = f"{_compact(time_range.start)}_{_compact(time_range.end)}"
    suffix = "" if preset == "plain" else f"_{preset}"
    return f"{names}_{span}{suffix}.csv"


def _compact(ts: float) -> str:
    return to_datetime(ts).strftime("%Y%m%dT%H%M%SZ")
