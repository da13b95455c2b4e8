"""History for charts: GET /metrics/{metric}/series (SPEC §5)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from chronoview.api.ranges import TimeRangeDep
from chronoview.bus.hub import Hub
from chronoview.deps import HubDep, StorageDep
from chronoview.schemas import MetricName
from chronoview.series import DEFAULT_MAX_POINTS, MAX_MAX_POINTS, MIN_MAX_POINTS, load_series
from chronoview.storage.base import Storage

router = APIRouter(tags=["history"])

# How far below a metric's last seq a write may still be under way when a live series is read (a
# few groups per process, each written within seconds): the answer's `seq` waits for those.
IN_FLIGHT_SEQS = 10_000


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
    seq: int | None = Field(
        None, description="Live ranges only (no `to`): the stream resumes after it "
                          "(`since=<metric>:<seq>`, SPEC §6) with no point missing from the answer.")


@router.get("/metrics/{metric}/series", response_model=SeriesOut, responses={422: {}, 503: {}})
async def series(
    storage: StorageDep,
    hub: HubDep,
    time_range: TimeRangeDep,
    metric: Annotated[MetricName, Path()],
    max_points: Annotated[int, Query(ge=MIN_MAX_POINTS, le=MAX_MAX_POINTS)] = DEFAULT_MAX_POINTS,
) -> Response:
    """Points of the range (downsampled to about `max_points`, keeping spikes) and its alert points.

    Every alert point of the range is in `alerts` and also in `points`. A metric with no points in
    the range, or never seen, answers 200 with empty lists: a dashboard can chart it as it fills.
    A live range (no `to`) carries `seq`, where the dashboard's stream goes on.
    """
    seq = await accounted_seq(storage, hub, metric) if time_range.live else None
    body = await load_series(storage, metric, time_range, max_points)
    if seq is not None:
        body["seq"] = await resume_seq(storage, metric, seq, time_range.end)
    return Response(orjson.dumps(body), media_type="application/json")


async def accounted_seq(storage: Storage, hub: Hub, metric: str) -> int:
    """The metric's last seq, once every seq up to it is stored or passed over: a series read
    after this holds every point up to it whose timestamp is in its range."""
    last = await storage.last_seq(metric)
    if last:
        await hub.account_for(metric, range(max(1, last - IN_FLIGHT_SEQS + 1), last + 1))
    return last


async def resume_seq(storage: Storage, metric: str, seq: int, end: float) -> int:
    """`seq`, or below the first point up to it stored with a timestamp after the range (a client's
    clock ahead of ours): the stream replays that one, which the answer does not hold."""
    later = await storage.first_seq_later_than(metric, end, seq - IN_FLIGHT_SEQS)
    return seq if later is None or later > seq else later - 1
