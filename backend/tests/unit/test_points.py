"""Timestamp text on the hot path: the cached forms must equal what datetime itself would print."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

from chronoview.points import format_ts, sqlite_ts, to_datetime


def reference(ts: float) -> str:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def samples() -> list[float]:
    rnd = random.Random(2026)
    # Fractions at and around the microsecond rounding edges, where a second can carry over.
    edges = (0.0, 0.5, 0.0000005, 0.0000015, 0.9999985, 0.9999994999, 0.9999995, 0.9999996)
    found = [0.0, 1e-7, 0.9999996, 1.75e9, 253_402_300_799.0, 253_402_300_799.9994]
    for _ in range(20_000):
        found.append(rnd.uniform(0.0, 253_402_300_799.0))
        found.append(1.75e9 + rnd.random() * 3600)
        found.append(math.floor(rnd.uniform(0.0, 4e9)) + rnd.choice(edges))
    return found


def test_format_ts_matches_datetime_everywhere_including_rounding_edges() -> None:
    for ts in samples():
        assert format_ts(ts) == reference(ts), repr(ts)


def test_sqlite_ts_is_the_text_sqlalchemy_stores() -> None:
    for ts in samples():
        assert sqlite_ts(ts) == to_datetime(ts).strftime("%Y-%m-%d %H:%M:%S.%f"), repr(ts)


def test_format_ts_is_right_after_its_day_cache_filled_and_emptied() -> None:
    stamps = [k * 40_000.25 for k in range(10_000)]  # more distinct days than it keeps
    assert [format_ts(ts) for ts in stamps] == [reference(ts) for ts in stamps]
    assert format_ts(1.75e9) == "2025-06-15T15:06:40.000Z"
