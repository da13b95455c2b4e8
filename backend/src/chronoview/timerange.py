"""The time range of a history request: `hours` back from now (or from `to`), or `from`/`to`."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from chronoview.schemas import parse_timestamp

DEFAULT_HOURS = 1.0
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class RangeError(ValueError):
    """A bad range parameter; `param` is the query parameter to blame."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: float
    end: float
    hours: float | None  # set when the range was asked for in hours (names export files)
    live: bool = False  # it ends now (no `to` given): a live chart goes on from it


def parse_instant(param: str, raw: str) -> float:
    """A query-string instant: epoch seconds or RFC 3339 (no offset means UTC)."""
    text = raw.strip()
    try:
        return parse_timestamp(float(text) if _NUMBER.match(text) else text)
    except ValueError as exc:
        raise RangeError(param, str(exc)) from None


def resolve_range(
    now: float, max_hours: float, hours: float | None = None,
    start: str | None = None, end: str | None = None,
) -> TimeRange:
    """The last `hours` up to `to` (default now), or [`from`, `to`]; one hour when nothing is given.

    An empty `from` or `to` (an HTML form's blank field) counts as not given.
    """
    start = start if start and start.strip() else None
    end = end if end and end.strip() else None
    if hours is not None and start is not None:
        raise RangeError("hours", "give either hours or from (with an optional to), not both")
    if hours is not None and (not math.isfinite(hours) or hours <= 0):
        raise RangeError("hours", "hours must be a positive number")
    if hours is not None and hours > max_hours:
        raise RangeError("hours", f"hours must be at most {max_hours:g} (the retention)")
    stop = now if end is None else parse_instant("to", end)
    if start is None:
        span = DEFAULT_HOURS if hours is None else hours
        return TimeRange(stop - span * 3600.0, stop, span, end is None)
    begin = parse_instant("from", start)
    if begin >= stop:
        raise RangeError("from", "from must be before to (or before now when to is not given)")
    return TimeRange(begin, stop, None, end is None)
