"""The time range query parameters shared by the history routes: `hours`, or `from` and `to`."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError

from chronoview.deps import SettingsDep
from chronoview.timerange import RangeError, TimeRange, resolve_range


def invalid(param: str, message: str, where: str = "query") -> RequestValidationError:
    """A 422 naming the parameter, shaped like FastAPI's own validation errors."""
    return RequestValidationError([{"loc": (where, param), "msg": message, "type": "value_error"}])


StartParam = Annotated[str | None, Query(
    alias="from", description="Start instant: RFC 3339 (no offset means UTC) or epoch seconds.",
)]
EndParam = Annotated[str | None, Query(
    alias="to", description="End instant (default now); with `hours`, the range ends here.",
)]


def range_of(
    max_hours: float, hours: float | None, start: str | None, end: str | None,
    default_hours: float | None = None,
) -> TimeRange:
    """The range the parameters name (`default_hours` when none is given); a 422 naming the bad one."""
    if hours is None and not (start and start.strip()):
        hours = default_hours
    try:
        return resolve_range(time.time(), max_hours, hours, start, end)
    except RangeError as exc:
        raise invalid(exc.param, str(exc)) from None


async def _time_range(
    settings: SettingsDep,
    hours: Annotated[float | None, Query(
        gt=0, allow_inf_nan=False,
        description="The last H hours (fractions allowed), up to the retention. Default 1.",
    )] = None,
    start: StartParam = None,
    end: EndParam = None,
) -> TimeRange:
    return range_of(settings.retention_days * 24, hours, start, end)


TimeRangeDep = Annotated[TimeRange, Depends(_time_range)]
