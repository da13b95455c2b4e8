"""GET /-/metrics: self-metrics for Prometheus (SPEC §13), guarded like the management endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Response

from chronoview import selfmetrics
from chronoview.api.auth import AdminDep

router = APIRouter(tags=["health"])


@router.get("/-/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(_admin: AdminDep) -> Response:
    """Every self-metric in the Prometheus text format, summed over the workers of this start."""
    return Response(selfmetrics.exposition(), media_type=selfmetrics.CONTENT_TYPE)
