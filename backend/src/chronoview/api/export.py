"""CSV export: GET /export/csv (SPEC §5), streamed from the database chunk by chunk."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from chronoview.api.ranges import TimeRangeDep, invalid
from chronoview.config import MAX_METRICS
from chronoview.csvexport import (
    CsvFormatter,
    CsvOptions,
    Preset,
    export_filename,
    load_zone,
    parse_columns,
)
from chronoview.deps import StorageDep
from chronoview.schemas import MetricName

router = APIRouter(tags=["export"])
log = logging.getLogger(__name__)


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
    if tz:
        try:
            load_zone(tz)
        except ValueError as exc:
            raise invalid("tz", str(exc)) from None
    try:
        extra = parse_columns(columns)
    except ValueError as exc:
        raise invalid("columns", str(exc)) from None
    options = CsvOptions(preset, tz or None, extra)
    lines = storage.export_csv(metrics, time_range.start, time_range.end, options)
    # The first chunk is read before answering, so a database that is down gets a proper 503.
    first = await anext(lines, None)
    return StreamingResponse(
        _stream(CsvFormatter(options).header(), first, lines),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{export_filename(metrics, time_range, preset)}"',
            "Cache-Control": "no-store",
        },
    )


async def _stream(
    header: bytes, first: bytes | None, lines: AsyncGenerator[bytes, None]
) -> AsyncIterator[bytes]:
    async with contextlib.aclosing(lines):
        yield header
        if first is None:
            return
        yield first
        try:
            async for chunk in lines:
                yield chunk
        except Exception:
            # Headers are gone already: the client sees a cut-off transfer, not a short file.
            log.exception("CSV export failed midway")
            raise
