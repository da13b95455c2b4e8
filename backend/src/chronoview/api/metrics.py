"""Ingest, the metric catalog and alert history (SPEC §5)."""

from __future__ import annotations

import hmac
import time
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from chronoview.deps import PipelineDep, SettingsDep, StorageDep
from chronoview.ingest import MAX_BATCH_POINTS
from chronoview.points import Point, format_ts
from chronoview.schemas import AlertOut, BatchOut, CatalogOut, MetricName, PointIn, ScoredPointOut

router = APIRouter(tags=["metrics"])

_points = TypeAdapter(list[PointIn])
_point = TypeAdapter(PointIn)

_POINT_SCHEMA = PointIn.model_json_schema()
_BODY_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        _POINT_SCHEMA,
                        {"type": "array", "items": _POINT_SCHEMA,
                         "minItems": 1, "maxItems": MAX_BATCH_POINTS},
                    ]
                }
            }
        },
    }
}


def _check_token(request: Request, token: str) -> None:
    if not token:
        return
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.encode(), token.encode()):
        raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})


def _parse(body: bytes) -> tuple[list[Point], bool]:
    """Strict JSON (no NaN/Infinity tokens, no overflow to infinity), then the point schema."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise HTTPException(422, f"body is not valid JSON: {exc}") from None
    now = time.time()
    try:
        if isinstance(document, list):
            if not document:
                raise HTTPException(422, "the array of points is empty")
            if len(document) > MAX_BATCH_POINTS:
                raise HTTPException(413, f"at most {MAX_BATCH_POINTS} points per request")
            items = _points.validate_python(document)
            return [Point(i.metric, now if i.ts is None else i.ts, i.value) for i in items], True
        if not isinstance(document, dict):
            raise HTTPException(422, "body must be a point object or an array of point objects")
        item = _point.validate_python(document)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from None
    return [Point(item.metric, now if item.ts is None else item.ts, item.value)], False


@router.post(
    "/metrics",
    status_code=201,
    openapi_extra=_BODY_SCHEMA,
    response_model=ScoredPointOut | BatchOut,
    responses={401: {}, 413: {}, 415: {}, 422: {}, 503: {}},
)
async def post_metrics(request: Request, pipeline: PipelineDep, settings: SettingsDep) -> Response:
    """Ingest one point or an array of up to 10,000 (all-or-nothing)."""
    _check_token(request, settings.ingest_token)
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise HTTPException(415, "Content-Type must be application/json")
    points, is_batch = _parse(await request.body())
    done = await pipeline.ingest(points)
    if "return=minimal" in request.headers.get("prefer", ""):
        body = orjson.dumps({"accepted": len(points), "alerts": done.alerts})
    elif is_batch:
        body = b'{"accepted":%d,"results":[%s]}' % (len(points), b",".join(done.encoded))
    else:
        body = done.encoded[0]
    return Response(body, status_code=201, media_type="application/json")


@router.get("/metrics", response_model=list[CatalogOut])
async def catalog(storage: StorageDep) -> list[CatalogOut]:
    """Every metric seen, with its newest value."""
    return [
        CatalogOut(metric=c.metric, last_value=c.last_value, last_ts=format_ts(c.last_ts),
                   simulated=c.simulated)
        for c in await storage.catalog()
    ]


@router.get("/alerts", response_model=list[AlertOut])
async def alert_history(
    storage: StorageDep,
    settings: SettingsDep,
    metric: MetricName | None = None,
    hours: Annotated[float, Query(gt=0, le=24 * 36500, allow_inf_nan=False)] = 24.0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[AlertOut]:
    """Alert points of the last `hours`, newest first."""
    now = time.time()
    rows = await storage.alerts(metric, now - hours * 3600, now + 86400, limit)
    return [
        AlertOut(metric=a.point.metric, value=a.point.value, ts=format_ts(a.point.ts),
                 zscore=a.score.zscore, mean=a.score.mean, std=a.score.std, n=a.score.n)
        for a in rows
    ]
