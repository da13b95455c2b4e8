"""The values that flow through the pipeline: a point, its score, and their wire form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class Point:
    """One observation. `ts` is seconds since the epoch (UTC), kept as a float on the hot path."""

    metric: str
    ts: float
    value: float


@dataclass(frozen=True, slots=True)
class Score:
    """The verdict of the window on one point (SPEC §4); `mean`/`std` describe the baseline used."""

    zscore: float | None
    alert: bool
    mean: float | None
    std: float | None
    n: int


@dataclass(frozen=True, slots=True)
class ScoredPoint:
    point: Point
    score: Score

    def message(self) -> dict[str, Any]:
        """The object sent on the WebSocket and answered by POST /metrics (SPEC §6)."""
        return {
            "type": "metric",
            "data": {
                "metric": self.point.metric,
                "value": self.point.value,
                "ts": format_ts(self.point.ts),
            },
            "alert": self.score.alert,
            "zscore": self.score.zscore,
            "mean": self.score.mean,
            "std": self.score.std,
            "n": self.score.n,
        }

    def encode(self) -> bytes:
        return orjson.dumps(self.message())


def format_ts(ts: float) -> str:
    """RFC 3339 in UTC with millisecond precision and a `Z` suffix."""
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def to_datetime(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
