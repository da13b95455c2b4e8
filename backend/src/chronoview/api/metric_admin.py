"""Managing metrics (SPEC §8): their display metadata, and removing one altogether.

Both are management endpoints, guarded by AdminDep (SPEC §11).
"""

from __future__ import annotations

import logging
from typing import Annotated

from annotated_types import Ge, Le
from fastapi import APIRouter, HTTPException, Path, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from chronoview.api.auth import AdminDep
from chronoview.catalog import catalog_message
from chronoview.deps import ServicesDep, StorageDep
from chronoview.schemas import MetricName
from chronoview.storage.base import MetricMeta

log = logging.getLogger(__name__)

router = APIRouter(tags=["metrics"])

PathMetric = Annotated[MetricName, Path()]
# Printable text only: a unit or label is drawn on axes and tooltips and written into exports.
_Text = Annotated[str, StringConstraints(min_length=1, pattern=r"^[^\x00-\x1f\x7f]*$")]


def _whole_number(value: object) -> object:
    """A JSON integer, 9.0 included (JSON Schema's integer), but never a boolean or a string."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("decimals must be a whole number from 0 to 10")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("decimals must be a whole number from 0 to 10")
    return int(value)


_Decimals = Annotated[int, Ge(0), Le(10), BeforeValidator(_whole_number), Field(description="Digits shown")]
_ADMIN_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "ADMIN_TOKEN is set and the bearer token is missing or wrong"},
    403: {"description": "no ADMIN_TOKEN set and the client is not local"},
    404: {"description": "no such metric"},
    503: {"description": "database unavailable"},
}


class MetaIn(BaseModel):
    """How the dashboard shows a metric; a missing or null field falls back to the default."""

    model_config = ConfigDict(extra="forbid")

    unit: Annotated[_Text, Field(max_length=32, description="e.g. °C, ms, req/s")] | None = None
    label: Annotated[_Text, Field(max_length=100, description="e.g. Boiler temperature")] | None = None
    decimals: _Decimals | None = None


class MetaOut(MetaIn):
    metric: str


@router.put("/metrics/{metric}/meta", response_model=MetaOut,
            responses={**_ADMIN_RESPONSES, 400: {}, 422: {}})  # 400: a body that is not JSON text
async def put_meta(_: AdminDep, storage: StorageDep, metric: PathMetric, meta: MetaIn) -> MetaOut:
    """Set a metric's unit, label and decimals (replacing all three)."""
    if not await storage.set_meta(metric, MetricMeta(meta.unit, meta.label, meta.decimals)):
        raise HTTPException(404, f"no metric named {metric!r}")
    return MetaOut(metric=metric, unit=meta.unit, label=meta.label, decimals=meta.decimals)


@router.delete("/metrics/{metric}", status_code=204, responses={**_ADMIN_RESPONSES, 422: {}})
async def delete_metric(_: AdminDep, services: ServicesDep, metric: PathMetric) -> Response:
    """Remove a metric: its points, alerts, catalog entry with its meta, and its alert window;
    sockets with `incidents=1` are told (`{"type":"catalog","event":"removed",…}`)."""
    if not await services.storage.delete_metric(metric):
        raise HTTPException(404, f"no metric named {metric!r}")
    # The window is derived from the points just removed: a point sent later starts afresh.
    await services.window.forget([metric])
    try:  # the metric is gone whether or not the announcement goes out (the catalog poll catches up)
        await services.bus.publish([catalog_message("removed", metric)])
    except Exception:
        log.exception("announcing the removal of %r failed", metric)
    return Response(status_code=204)
