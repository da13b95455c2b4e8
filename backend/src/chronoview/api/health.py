"""Liveness and readiness (SPEC §5)."""

from __future__ import annotations

import asyncio
from importlib.metadata import version

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from chronoview.deps import ServicesDep
from chronoview.schemas import HealthOut
from chronoview.services import Services

router = APIRouter(tags=["health"])

_PROBE_TIMEOUT = 2.0


async def _probe(services: Services) -> HealthOut:
    async def database() -> str:
        try:
            await asyncio.wait_for(services.storage.ping(), _PROBE_TIMEOUT)
        except Exception:  # any failure of the probe means down
            return "down"
        return "ok"

    async def redis() -> str:
        if services.redis is None:
            return "disabled"
        try:
            await asyncio.wait_for(services.redis.ping(), _PROBE_TIMEOUT)
        except Exception:  # any failure of the probe means down
            return "down"
        return "ok"

    db_state, redis_state = await asyncio.gather(database(), redis())
    state = HealthOut(status="ok", version=version("chronoview"), database=db_state, redis=redis_state)
    if services.mqtt is not None:
        state.mqtt = "ok" if services.mqtt.connected else "down"
        state.mqtt_rejected = services.mqtt.rejected
    return state


@router.get("/health", response_model=HealthOut)
async def health(services: ServicesDep) -> HealthOut:
    """The process is alive; says whether the database and Redis answer."""
    return await _probe(services)


@router.get("/ready", response_model=HealthOut, responses={503: {"model": HealthOut}})
async def ready(services: ServicesDep) -> JSONResponse:
    """200 when the database (and Redis, if configured) answer, else 503."""
    state = await _probe(services)
    healthy = state.database == "ok" and state.redis in ("ok", "disabled")
    return JSONResponse(state.model_dump(), status_code=200 if healthy else 503)
