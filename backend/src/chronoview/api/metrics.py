"""Ingest, the metric catalog and alert history (SPEC §5)."""

from __future__ import annotations

import time
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import Field, TypeAdapter, ValidationError

from chronoview.api.auth import check_token
from chronoview.api.ranges import EndParam, StartParam, range_of
from chronoview.deps import StorageDep, services_of
from chronoview.ingest import MAX_BATCH_POINTS
from chronoview.middleware import require_json
from chronoview.points import Point, format_ts
from chronoview.schemas import (
    AlertOut,
    BatchOut,
    CatalogOut,
    MetricName,
    PointIn,
    ScoredPointOut,
    json_request_body,
    parse_timestamp,
)
from chronoview.validation import MAX_ABS_VALUE, SAFE_TS_HIGH, SAFE_TS_LOW, InvalidPoint, KnownNames

router = APIRouter(tags=["metrics"])

# The body of POST /metrics: what `_parse` accepts, and its documentation. `_parse` reads it faster
# than the model would; tests/unit/test_parse.py proves it accepts and rejects exactly the same.
PointsIn = PointIn | Annotated[list[PointIn], Field(min_length=1, max_length=MAX_BATCH_POINTS)]

_point = TypeAdapter(PointIn)
_FIELDS = frozenset(("metric", "value", "ts"))
_EXACT_INT = 2**53  # beyond it, float(int) is not the number that was sent
_ALERT_DEFAULT_HOURS = 24.0
_ALERT_MAX_HOURS = 24 * 36500
_ABSENT = object()  # a point without "ts"



def _number(value: object) -> float | None:
    """A JSON number as pydantic's float takes it (never a bool); None for anything else."""
    if type(value) is float:
        return value  # orjson yields finite floats only
    if type(value) is int and -_EXACT_INT <= value <= _EXACT_INT:
        return float(value)
    return None


def _plain_points(document: list[Any], now: float, known: KnownNames) -> list[Point] | None:
    """The points of an ordinary, valid batch, checked without building a model per point.

    Accepts only what PointIn accepts, to the same values; anything unusual (or wrong) gives None,
    and pydantic then judges the whole body and names the error. Validating 10,000 models cost
    5 µs per point, a third of a batch's time.

    The usual point is judged inline: its keys by count (metric and value present, and ts or
    not: nothing else), its name by a lookup in the names already found valid, a float value and
    a float stamp inside the range where rounding cannot matter by two comparisons each; only the
    rest goes through `_number`, `KnownNames.check` and `parse_timestamp`. An unhashable name (a
    list, an object) raises TypeError at the lookup: that too gives None.
    """
    out: list[Point] = []
    append = out.append
    seen, check, number = known.seen, known.check, _number
    limit, low, high, absent = MAX_ABS_VALUE, SAFE_TS_LOW, SAFE_TS_HIGH, _ABSENT
    try:
        for item in document:
            if type(item) is not dict:
                return None
            metric, value, raw = item.get("metric"), item.get("value"), item.get("ts", absent)
            # metric and value must be there (None is refused below): then the count says
            # whether any key besides them and ts is.
            if len(item) != (2 if raw is absent else 3):
                return None
            if metric not in seen and check(metric) is None:
                return None
            if type(value) is not float:
                value = number(value)
                if value is None:
                    return None
            if not -limit <= value <= limit:
                return None
            if raw is absent or raw is None:
                ts = now
            elif type(raw) is float and low <= raw <= high:
                ts = raw  # what parse_timestamp returns for it
            else:
                ts_number = number(raw)
                try:
                    ts = parse_timestamp(raw if ts_number is None else ts_number)
                except ValueError:
                    return None
            append(Point(metric, ts, value))  # type: ignore[arg-type]  # a name of `seen`: a str
    except TypeError:  # an unhashable metric name
        return None
    return out


def _point_by_point(document: list[Any], now: float, known: KnownNames) -> list[Point]:
    """The points of a batch the fast check refused, stopping at the first invalid one.

    Judging the whole array at once named every bad point: 10,000 of them in a 5 MiB body cost a
    third of a second of event loop, and as much again to answer. The first one is enough (the
    batch is refused whole) and keeps the cost of a bad body to the points before it.
    """
    out: list[Point] = []
    for index, item in enumerate(document):
        plain = _plain_points([item], now, known)
        if plain is None:
            try:
                model = _point.validate_python(item)
            except ValidationError as exc:
                errors = exc.errors(include_url=False, include_context=False)
                raise RequestValidationError([{**e, "loc": (index, *e["loc"])} for e in errors]) from None
            plain = [Point(model.metric, now if model.ts is None else model.ts, model.value)]
        out.extend(plain)
    return out


def _parse(body: bytes, now: float, known: KnownNames) -> tuple[list[Point], bool]:
    """Strict JSON (no NaN/Infinity tokens, no overflow to infinity), then `PointsIn`; a point
    without `ts` is stamped `now`."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise HTTPException(422, f"body is not valid JSON: {exc}") from None
    try:
        if isinstance(document, list):
            if not document:
                raise HTTPException(422, "the array of points is empty")
            if len(document) > MAX_BATCH_POINTS:
                raise HTTPException(413, f"at most {MAX_BATCH_POINTS} points per request")
            fast = _plain_points(document, now, known)
            if fast is not None:
                return fast, True
            return _point_by_point(document, now, known), True
        if not isinstance(document, dict):
            raise HTTPException(422, "body must be a point object or an array of point objects")
        fast = _plain_points([document], now, known)
        if fast is not None:
            return fast, False
        item = _point.validate_python(document)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from None
    return [Point(item.metric, now if item.ts is None else item.ts, item.value)], False


@router.post(
    "/metrics",
    status_code=201,
    openapi_extra=json_request_body(PointsIn),
    response_model=ScoredPointOut | BatchOut,
    responses={401: {}, 413: {}, 415: {}, 422: {}, 503: {}},
)
async def post_metrics(request: Request) -> Response:
    """Ingest one point or an array of up to 10,000 (all-or-nothing)."""
    # The hottest route takes its services straight from the app: resolving dependencies cost
    # a tenth of a single-point request.
    services = services_of(request)
    check_token(request, services.settings.ingest_token)
    require_json(request)
    points, is_batch = _parse(await request.body(), time.time(), services.known_names)
    try:
        done = await services.pipeline.ingest(points)
    except InvalidPoint as exc:
        loc: list[str | int] = [exc.index, exc.field] if is_batch else [exc.field]
        raise RequestValidationError([{"loc": loc, "msg": exc.reason, "type": "value_error"}]) from None
    if "return=minimal" in request.headers.get("prefer", ""):
        body = orjson.dumps({"accepted": len(points), "alerts": done.alerts})
    elif is_batch:
        body = b'{"accepted":%d,"results":[%s]}' % (len(points), b",".join(done.encoded))
    else:
        body = done.encoded[0]
    return Response(body, status_code=201, media_type="application/json")


@router.get("/metrics", response_model=list[CatalogOut])
async def catalog(storage: StorageDep) -> list[CatalogOut]:
    """Every metric seen, with its newest value and its display metadata."""
    return [
        CatalogOut(metric=c.metric, last_value=c.last_value, last_ts=format_ts(c.last_ts),
                   simulated=c.simulated, unit=c.meta.unit, label=c.meta.label,
                   decimals=c.meta.decimals)
        for c in await storage.catalog()
    ]


@router.get("/alerts", response_model=list[AlertOut], responses={422: {}})
async def alert_history(
    storage: StorageDep,
    metric: MetricName | None = None,
    hours: Annotated[float | None, Query(
        gt=0, le=_ALERT_MAX_HOURS, allow_inf_nan=False,
        description="The last H hours (default 24); or give `from` (and `to`).",
    )] = None,
    start: StartParam = None,
    end: EndParam = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[AlertOut]:
    """Alert points of the last `hours` or of [`from`, `to`], newest first."""
    span = range_of(_ALERT_MAX_HOURS, hours, start, end, default_hours=_ALERT_DEFAULT_HOURS)
    # Without `to`, the range runs a day past now: a point stamped ahead of this clock still shows.
    until = span.end if end and end.strip() else span.end + 86400
    rows = await storage.alerts(metric, span.start, until, limit)
    return [
        AlertOut(metric=a.point.metric, value=a.point.value, ts=format_ts(a.point.ts),
                 zscore=a.score.zscore, mean=a.score.mean, std=a.score.std, n=a.score.n)
        for a in rows
    ]
