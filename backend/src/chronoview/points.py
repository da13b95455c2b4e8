"""The values that flow through the pipeline: a point, its score, and their wire form.

They are built once or more per point on the hot path, so they are slotted but not frozen: a
frozen dataclass sets each field through object.__setattr__, which tripled their cost. Nothing
mutates them once built.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
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

    def encode(self) -> bytes:
        """The object sent on the WebSocket and answered by POST /metrics (SPEC §6, §10), as
        schemas.ScoredPointOut defines it (tests/unit/test_wire.py holds them together); built
        without the model, which would cost more than the rest of a point's way. `encode_all` of
        many points at once is cheaper per point."""
        return encode_all((self,))[0]


# The message of one point (SPEC §6, §10), each value already JSON; `pending` only while counting.
_MESSAGE = (b'{"type":"metric","data":{"metric":%b,"value":%b,"ts":%b},"alert":%b,"zscore":%b,'
            b'"mean":%b,"std":%b,"n":%d,"state":%b,"seq":%d}')
_PENDING = _MESSAGE[:-1] + b',"pending":%d}'


def _column(values: list[Any]) -> list[bytes]:
    """The JSON of each value, from one orjson call: none of them (numbers, null, booleans,
    timestamps) holds a comma."""
    return orjson.dumps(values)[1:-1].split(b",")


def encode_all(scored: Sequence[ScoredPoint]) -> list[bytes]:
    """`ScoredPoint.encode` of each, in one pass over the group: byte for byte what orjson wrote
    for the message as a dict, one point at a time (tests/unit/test_wire.py).

    orjson turns each column of numbers into text in one call and a bytes template puts each
    message together: no dict per point, and no orjson call per point (whose 4 KiB working
    buffer came back as the bytes object, so each message needed a copy to keep only its own
    size in sockets' queues and replay memories). Measured side by side over 10,000 points
    (load ~1): 1.75 → 1.45 µs per point when they share seconds, 2.2 → 1.9 when each starts one.
    """
    if not scored:
        return []
    points = [item.point for item in scored]
    scores = [item.score for item in scored]
    texts: dict[str, bytes] = {}  # metric names and states, as JSON strings
    dumps = orjson.dumps
    out: list[bytes] = []
    append = out.append
    for point, score, value, stamp, alert, zscore, mean, std in zip(
        points, scores, _column([p.value for p in points]), _column(format_all([p.ts for p in points])),
        _column([s.alert for s in scores]), _column([s.zscore for s in scores]),
        _column([s.mean for s in scores]), _column([s.std for s in scores]), strict=True,
    ):
        metric, state = point.metric, score.state
        name = texts.get(metric) or texts.setdefault(metric, dumps(metric))
        said = texts.get(state) or texts.setdefault(state, dumps(state))
        if score.pending:
            append(_PENDING % (name, value, stamp, alert, zscore, mean, std, score.n, said, score.seq,
                               score.pending))
        else:
            append(_MESSAGE % (name, value, stamp, alert, zscore, mean, std, score.n, said, score.seq))
    return out


# "YYYY-MM-DDTHH:MM:SS" per whole second, "YYYY-MM-DDTHH:MM:" per minute and "YYYY-MM-DD" per day
# for those not yet seen. Each is dropped whole when full: live points share their seconds, and
# a backfill one point a second apart (10,000 new seconds in a batch) its minutes. With the tables
# of two- and three-digit numbers below, a point's stamp costs no number formatting at all
# (format_ts measured side by side, load 6: 0.53–0.75 µs per point when its second was seen and
# 2.5–2.7 µs when not, before the minutes and the tables; now 0.32–0.43 and 1.1 µs). A batch's
# 10,000 new seconds, cached as its SQLite rows are stamped, are all still there for its messages.
_SECONDS: dict[float, str] = {}
_MINUTES: dict[int, str] = {}
_DAYS: dict[int, str] = {}
_CACHE_MAX = 16_384
_TWO_DIGITS = [f"{i:02d}" for i in range(60)]
_MILLIS = [f".{i:03d}Z" for i in range(1000)]
_THREE_DIGITS = [f"{i:03d}" for i in range(1000)]
_SQLITE_SECONDS: dict[float, str] = {}  # "YYYY-MM-DD HH:MM:SS." per whole second


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


def format_all(stamps: Iterable[float]) -> list[str]:
    """`format_ts` of each, in one loop: a group's points skip three calls each.

    `stored_second` and `_second` are inlined for the usual cases, and the minute of the last
    new second is kept at hand: a batch one point a second apart (every second new) shares each
    minute among 60 points. 10,000 such stamps in-process, best of 15: 0.64 → 0.50 µs each."""
    seconds, millis, minutes, two = _SECONDS, _MILLIS, _MINUTES, _TWO_DIGITS
    modf = math.modf
    out: list[str] = []
    append = out.append
    last_minute, minute_text = -1, ""
    for ts in stamps:
        fraction, whole = modf(ts)
        micros = round(fraction * 1e6)
        if not 0 <= micros < 1_000_000:
            whole, micros = stored_second(ts)
        text = seconds.get(whole)
        if text is None:
            minute, second = divmod(int(whole), 60)
            if minute != last_minute:
                minute_text = minutes.get(minute) or _minute(minute)
                last_minute = minute
            if len(seconds) >= _CACHE_MAX:
                seconds.clear()
            text = seconds[whole] = minute_text + two[second]
        append(text + millis[micros // 1000])
    return out


def sqlite_ts(ts: float) -> str:
    """The text SQLAlchemy stores for `to_datetime(ts)` in SQLite: `YYYY-MM-DD HH:MM:SS.ffffff`."""
    return sqlite_all((ts,))[0]


def sqlite_all(stamps: Iterable[float]) -> list[str]:
    """`sqlite_ts` of each, in one loop, from a cache of whole seconds of its own.

    Inlined as `format_all` is (a new second also goes into `_SECONDS`, for the group's messages),
    with the SQLite text of the current minute kept at hand: 10,000 stamps one second apart, all
    new, in-process, old/new alternately: 1.19–1.40 → 0.94–1.17 µs each (inlining, load 4), then
    0.87–0.95 → 0.75–0.80 (the minute's text, load 1.5)."""
    seconds, plain, digits, minutes, two = _SQLITE_SECONDS, _SECONDS, _THREE_DIGITS, _MINUTES, _TWO_DIGITS
    modf = math.modf
    out: list[str] = []
    append = out.append
    last_minute, minute_text, sqlite_minute = -1, "", ""
    for ts in stamps:
        fraction, whole = modf(ts)
        micros = round(fraction * 1e6)
        if not 0 <= micros < 1_000_000:
            whole, micros = stored_second(ts)
        text = seconds.get(whole)
        if text is None:
            minute, second = divmod(int(whole), 60)
            if minute != last_minute:
                minute_text = minutes.get(minute) or _minute(minute)
                sqlite_minute = f"{minute_text[:10]} {minute_text[11:]}"
                last_minute = minute
            if whole not in plain:
                if len(plain) >= _CACHE_MAX:
                    plain.clear()
                plain[whole] = minute_text + two[second]
            if len(seconds) >= _CACHE_MAX:
                seconds.clear()
            text = seconds[whole] = sqlite_minute + two[second] + "."
        append(text + digits[micros // 1000] + digits[micros % 1000])
    return out


def to_datetime(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


# Epoch seconds in Python, `format_ts` text in JSON: a record can be an API answer as it is.
JsonTimestamp = Annotated[float, PlainSerializer(format_ts, return_type=str)]
