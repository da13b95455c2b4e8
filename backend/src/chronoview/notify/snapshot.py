"""The frozen snapshot each incident's messages link to: its metric around the incident,
saved with its data (`include_data`), as a shared dashboard link would be."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from typing import Any

from chronoview.points import format_ts
from chronoview.series import SeriesSource, load_series
from chronoview.storage.base import SnapshotRecord
from chronoview.timerange import TimeRange

BEFORE_SECONDS = 30 * 60.0  # context before the incident started
AFTER_SECONDS = 5 * 60.0  # and after it resolved


def incident_range(started_at: float | None, resolved_at: float | None, now: float) -> TimeRange:
    start = (started_at if started_at is not None else now) - BEFORE_SECONDS
    end = now if resolved_at is None else min(now, resolved_at + AFTER_SECONDS)
    end = max(end, start + 60.0)
    return TimeRange(start, end, (end - start) / 3600.0)


async def build(storage: SeriesSource, secret_key: str, metric: str, incident_id: str,
                started_at: float | None, resolved_at: float | None, now: float,
                expires_in: float) -> SnapshotRecord:
    """A snapshot of `metric` around the incident, with its data (stored by the caller)."""
    time_range = incident_range(started_at, resolved_at, now)
    series = await load_series(storage, metric, time_range)
    hours = time_range.hours or 1.0
    state: dict[str, Any] = {"selectedMetric": metric, "timeRangeHours": hours,
                             "from": format_ts(time_range.start), "to": format_ts(time_range.end),
                             "incident": incident_id, "savedAt": format_ts(now)}
    snapshot_id = uuid.uuid4()
    # Nobody holds the delete key: the snapshot goes with the retention like the incident.
    unused_key = secrets.token_urlsafe(32)
    key_hash = hmac.new(secret_key.encode(), f"snapshot-delete:{snapshot_id}:{unused_key}".encode(),
                        hashlib.sha256).hexdigest()
    data = {"from": format_ts(time_range.start), "to": format_ts(time_range.end), "series": {metric: series}}
    return SnapshotRecord(snapshot_id, state, data, now, now + expires_in, key_hash)
