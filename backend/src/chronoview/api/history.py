"""History for charts: GET /metrics/{metric}/series (SPEC §5)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from chronoview.api.ranges import TimeRangeDep
from chronoview.deps import StorageDep
from chronoview.schemas import MetricName
from chronoview.series import DEFAULT_MAX_POINTS, MAX_MAX_POINTS, MIN_MAX_POINTS, load_series

router = APIRouter(tags=["history"])


class SeriesPoint(BaseModel):
    ts: str
    value: float
    zscore: float | None
    mean: float | None
    std: float | None


class SeriesAlert(BaseModel):
    ts: str
    value: float
    zscore: float | None


class SeriesOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    metric: str
    from_: str = Field(alias="from")
    to: str
    points: list[SeriesPoint]
    alerts: list[SeriesAlert]
    downsampled: bool


@router.get("/metrics/{metric}/series", response_model=SeriesOut, responses={422: {}, 503: {}})
async def series(
    storage: StorageDep,
    time_range: TimeRangeDep,
    metric: Annotated[MetricName, Path()],
    max_points: Annotated[int, Query(ge=MIN_MAX_POINTS, le=MAX_MAX_POINTS)] = DEFAULT_MAX_POINTS,
) -> Response:
    """Points of the range (downsampled to about `max_points`, keeping spikes) and its alert points.

    Every alert point of the range is in `alerts` and also in `points`. A metric with no points in
    the range, or never seen, answers 200 with empty lists: a dashboard can chart it as it fills.
    """
    body = await load_series(storage, metric, time_range, max_points)
    return Response(orjson.dumps(body), media_type="application/json")
