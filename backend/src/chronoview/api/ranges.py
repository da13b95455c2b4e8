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


async def _time_range(
    settings: SettingsDep,
    hours: Annotated[float | None, Query(
        gt=0, allow_inf_nan=False,
        description="The last H hours (fractions allowed), up to the retention. Default 1.",
    )] = None,
    start: Annotated[str | None, Query(
        alias="from", description="Start instant: RFC 3339 (no offset means UTC) or epoch seconds.",
    )] = None,
    end: Annotated[str | None, Query(
        alias="to", description="End instant (default now); with `hours`, the range ends here.",
    )] = None,
) -> TimeRange:
    try:
        return resolve_range(time.time(), settings.retention_days * 24, hours, start, end)
    except RangeError as exc:
        raise invalid(exc.param, str(exc)) from None


TimeRangeDep = Annotated[TimeRange, Depends(_time_range)]
