"""The values that flow through the pipeline: a point, its score, and their wire form.

They are built once or more per point on the hot path, so they are slotted but not frozen: a
frozen dataclass sets each field through object.__setattr__, which tripled their cost. Nothing
mutates them once built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from pydantic import PlainSerializer


@dataclass(slots=True)
class Point:
    """One observation. `ts` is seconds since the epoch (UTC), kept as a float on the hot path."""

    metric: str
    ts: float
    value: float


@dataclass(slots=True)
class Score:
    """The verdict of the window on one point (SPEC §4); `mean`/`std` describe the baseline used.

    `state` is the metric's incident state after the point (SPEC §10): normal, pending (`pending`
    alerting points of for_points so far) or firing.
    """

    zscore: float | None
    alert: bool
    mean: float | None
    std: float | None
    n: int
    # Not part of equality: two scores are equal when the window's verdicts are (SPEC §4).
    state: str = field(default="normal", compare=False)
    pending: int = field(default=0, compare=False)
    # The point's place in its metric's stream (SPEC §6), given by the window in the same atomic
    # step as the score: 1, 2, 3, … per metric, one order across every process.
    seq: int = field(default=0, compare=False)


@dataclass(slots=True)
class ScoredPoint:
    point: Point
    score: Score

    def message(self) -> dict[str, Any]:
        """The object sent on the WebSocket and answered by POST /metrics (SPEC §6, §10), as
        schemas.ScoredPointOut defines it (tests/unit/test_wire.py holds them together); built
        without the model, which would cost more than the rest of a point's way."""
        message: dict[str, Any] = {
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
            "state": self.score.state,
            "seq": self.score.seq,
        }
        if self.score.pending:
            message["pending"] = self.score.pending
        return message

    def encode(self) -> bytes:
        # orjson hands back its 4 KiB working buffer as the bytes object (measured with orjson
        # 3.13: 10,000 messages of 175 bytes held 40 MiB). Messages wait in sockets' queues and
        # replay memories, so each keeps only its own size: a copy costs 0.2 µs.
        return bytes(memoryview(orjson.dumps(self.message())))


# "YYYY-MM-DDTHH:MM:SS" per whole second, "YYYY-MM-DDTHH:MM:" per minute and "YYYY-MM-DD" per day
# for those not yet seen. Each is dropped whole when full: live points share their seconds, and
# a backfill one point a second apart (10,000 new seconds in a batch) its minutes. With the tables
# of two- and three-digit numbers below, a point's stamp costs no number formatting at all
# (format_ts measured side by side, load 6: 0.53–0.75 µs per point when its second was seen and
# 2.5–2.7 µs when not, before the minutes and the tables; now 0.32–0.43 and 1.1 µs).
_SECONDS: dict[float, str] = {}
_MINUTES: dict[int, str] = {}
_DAYS: dict[int, str] = {}
_CACHE_MAX = 4096
_TWO_DIGITS = [f"{i:02d}" for i in range(60)]
_MILLIS = [f".{i:03d}Z" for i in range(1000)]


def _minute(minute: int) -> str:
    day, rest = divmod(minute, 1440)
    date = _DAYS.get(day)
    if date is None:
        if len(_DAYS) >= _CACHE_MAX:
            _DAYS.clear()
        date = _DAYS[day] = datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y-%m-%d")
    hour, rest = divmod(rest, 60)
    if len(_MINUTES) >= _CACHE_MAX:
        _MINUTES.clear()
    text = _MINUTES[minute] = f"{date}T{_TWO_DIGITS[hour]}:{_TWO_DIGITS[rest]}:"
    return text


def _second(whole: float) -> str:
    minute, second = divmod(int(whole), 60)
    if len(_SECONDS) >= _CACHE_MAX:
        _SECONDS.clear()
    text = _SECONDS[whole] = (_MINUTES.get(minute) or _minute(minute)) + _TWO_DIGITS[second]
    return text


def stored_second(ts: float) -> tuple[float, int]:
    """ts's whole second and its microseconds, rounded exactly as datetime.fromtimestamp rounds
    them: the moment the database stores."""
    fraction, whole = math.modf(ts)
    micros = round(fraction * 1e6)  # half to even, as CPython's _PyTime_ROUND_HALF_EVEN
    if micros >= 1_000_000:
        whole, micros = whole + 1.0, micros - 1_000_000
    elif micros < 0:
        whole, micros = whole - 1.0, micros + 1_000_000
    return whole, micros


def _split(ts: float) -> tuple[str, int]:
    """`YYYY-MM-DDTHH:MM:SS` of ts's whole second and its microseconds (see `stored_second`)."""
    whole, micros = stored_second(ts)
    return _SECONDS.get(whole) or _second(whole), micros


def format_ts(ts: float) -> str:
    """RFC 3339 in UTC with millisecond precision and a `Z` suffix (truncated, not rounded).

    Equal to formatting `to_datetime(ts)`; it runs once per point, so it avoids datetime.
    """
    second, micros = _split(ts)
    return second + _MILLIS[micros // 1000]


def sqlite_ts(ts: float) -> str:
    """The text SQLAlchemy stores for `to_datetime(ts)` in SQLite: `YYYY-MM-DD HH:MM:SS.ffffff`."""
    second, micros = _split(ts)
    return f"{second[:10]} {second[11:]}.{micros:06d}"


def to_datetime(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


# Epoch seconds in Python, `format_ts` text in JSON: a record can be an API answer as it is.
JsonTimestamp = Annotated[float, PlainSerializer(format_ts, return_type=str)]
