"""The limits every point must meet before it is scored (SPEC §5), whatever source it came from.

`Pipeline.ingest` calls `check_points` on every request before it is queued, so a point no source
should have let through (HTTP, line protocol, MQTT, the simulator) is refused with `InvalidPoint`
and never reaches the window, the database or the formatting of its answer: one timestamp beyond
year 9999 used to raise inside a group's write and wedge every later request.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from chronoview.config import is_metric_name
from chronoview.points import Point, stored_second

# |x| ≤ 1e150: squares (Σd² of the window) stay far from overflow, so no value can poison a
# metric's statistics.
MAX_ABS_VALUE = 1e150
# 1970-01-01T00:00:00Z to the last second of 9999-12-31 (through 23:59:59.999999, as
# datetime.max), judged after rounding to the stored microsecond: the instant must stay in year 9999.
MIN_TS = 0.0
END_TS = 253_402_300_800.0  # 10000-01-01T00:00:00Z, excluded
TS_RANGE = "1970-01-01T00:00:00Z..9999-12-31T23:59:59.999999Z"
# Inside these, rounding to the microsecond cannot leave the range: no exact check needed.
SAFE_TS_LOW, SAFE_TS_HIGH = MIN_TS + 1.0, END_TS - 1.0


class KnownNames:
    """Metric names already found valid, so a batch pays the check once per metric, not per point
    (the pattern costs 0.4 µs a name, the lookup 0.03). One per app, built in its lifespan;
    emptied when full, so hostile names cannot grow it without bound.

    `seen` is the set of names found valid, for a hot loop to test membership inline (a call per
    point to `check` costs more than the lookup); only `check` adds to it."""

    __slots__ = ("_limit", "seen")

    def __init__(self, limit: int = 100_000) -> None:
        self.seen: set[str] = set()
        self._limit = limit

    def check(self, name: object) -> str | None:
        """`name` if it is a metric name (config.is_metric_name), else None."""
        if type(name) is not str:
            return None
        if name in self.seen:
            return name
        if not is_metric_name(name):
            return None
        if len(self.seen) >= self._limit:
            self.seen.clear()
        self.seen.add(name)
        return name

    def __len__(self) -> int:
        return len(self.seen)


class InvalidPoint(ValueError):
    """A point outside the limits: `index` in its request, `field` ("ts" or "value") and why."""

    def __init__(self, index: int, field: str, reason: str) -> None:
        super().__init__(f"point {index}: {field}: {reason}")
        self.index = index
        self.field = field
        self.reason = reason


def timestamp_problem(ts: float) -> str | None:
    """Why `ts` (epoch seconds) is not a storable timestamp, or None when it is."""
    if SAFE_TS_LOW <= ts <= SAFE_TS_HIGH:
        return None
    if not math.isfinite(ts):
        return "timestamp must be a finite number"
    whole, _ = stored_second(ts)
    if not MIN_TS <= whole < END_TS:
        return f"timestamp out of range: must be within {TS_RANGE} (UTC, to the microsecond)"
    return None


def value_problem(value: float) -> str | None:
    """Why `value` cannot be stored and scored, or None when it can."""
    if -MAX_ABS_VALUE <= value <= MAX_ABS_VALUE:  # NaN fails both comparisons
        return None
    if not math.isfinite(value):
        return "value must be a finite number"
    return f"value out of range: |value| must be at most {MAX_ABS_VALUE:g}"


def check_points(points: Sequence[Point]) -> None:
    """Raise `InvalidPoint` for the first point outside the limits; cheap for ordinary points."""
    low, high, limit = SAFE_TS_LOW, SAFE_TS_HIGH, MAX_ABS_VALUE
    for index, point in enumerate(points):
        ts, value = point.ts, point.value
        if low <= ts <= high and -limit <= value <= limit:
            continue
        problem = timestamp_problem(ts)
        if problem is not None:
            raise InvalidPoint(index, "ts", problem)
        problem = value_problem(value)
        if problem is not None:
            raise InvalidPoint(index, "value", problem)
