"""CSV export: GET /export/csv (SPEC §5), streamed from the database chunk by chunk (see export/)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from chronoview.api.ranges import TimeRangeDep, invalid
from chronoview.config import MAX_METRICS
from chronoview.deps import StorageDep
from chronoview.export.cells import Preset
from chronoview.export.filenames import export_filename
from chronoview.export.stream import InvalidOption, csv_body, csv_options
from chronoview.schemas import MetricName

router = APIRouter(tags=["export"])


_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}},
          "description": "CSV `metric,value,ts`, ordered by time"},
    422: {},
    503: {},
}


@router.get("/export/csv", response_class=StreamingResponse, responses=_CSV_RESPONSE)
async def export_csv(
    storage: StorageDep,
    time_range: TimeRangeDep,
    metric: Annotated[list[MetricName], Query(min_length=1, max_length=MAX_METRICS,
                                                description="Metric name; repeat for several.")],
    preset: Annotated[Preset, Query(alias="format")] = "plain",
    tz: Annotated[str | None, Query(description="IANA zone for timestamps (default UTC)")] = None,
    columns: Annotated[str | None, Query(description="Extra columns: zscore,alert,mean,std,n")] = None,
) -> StreamingResponse:
    """The points of the metrics in the range by ascending time, as CSV for spreadsheets."""
    metrics = list(dict.fromkeys(metric))
    try:
        options = csv_options(preset, tz, columns)
    except InvalidOption as exc:
        raise invalid(exc.field, str(exc)) from None
    return StreamingResponse(
        await csv_body(storage, metrics, time_range.start, time_range.end, options),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{export_filename(metrics, time_range, preset)}"',
            "Cache-Control": "no-store",
        },
    )
