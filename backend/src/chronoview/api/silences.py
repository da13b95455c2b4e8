"""Silences (SPEC §11): POST/GET /silences, DELETE /silences/{id}.

A silence mutes a metric (or a glob of them) until a time: incidents are still recorded, their
deliveries are written as `silenced` with the reason, and nothing is sent. Deleting one ends it.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from chronoview.api.auth import AdminDep
from chronoview.deps import NotificationsDep
from chronoview.notify.store import SilenceRecord
from chronoview.points import format_ts
from chronoview.schemas import Timestamp

router = APIRouter(tags=["notifications"])

MATCH = r"^[A-Za-z0-9*][A-Za-z0-9_.:*-]{0,99}$"


class SilenceIn(BaseModel):
    model_config = {"extra": "forbid"}

    match: str = Field(pattern=MATCH, description="A metric name, or a glob where * is any run of "
                                                  "characters (temp.*).")
    until: Timestamp
    comment: str = Field("", max_length=1000)


class SilenceOut(BaseModel):
    id: int
    match: str
    until: str
    comment: str
    active: bool
    created_at: str


def _out(record: SilenceRecord, now: float) -> SilenceOut:
    return SilenceOut(id=record.id, match=record.match, until=format_ts(record.until), comment=record.comment,
                      active=record.until > now, created_at=format_ts(record.created_at))


@router.post("/silences", status_code=201, response_model=SilenceOut, responses={400: {}, 422: {}})
async def create_silence(body: SilenceIn, _admin: AdminDep, notifications: NotificationsDep) -> SilenceOut:
    now = time.time()
    if body.until <= now:
        raise RequestValidationError([{"loc": ["body", "until"], "msg": "until must be in the future",
                                       "type": "value_error"}])
    record = await notifications.store.create_silence(body.match, body.until, body.comment, now)
    return _out(record, now)


@router.get("/silences", response_model=list[SilenceOut])
async def list_silences(_admin: AdminDep, notifications: NotificationsDep) -> list[SilenceOut]:
    """Every silence still stored (expired ones too, until the retention removes them)."""
    now = time.time()
    return [_out(record, now) for record in await notifications.store.silences()]


@router.delete("/silences/{silence_id}", status_code=204, responses={404: {}})
async def delete_silence(
    silence_id: Annotated[int, Path(ge=1, le=2**62)], _admin: AdminDep, notifications: NotificationsDep
) -> Response:
    if not await notifications.store.delete_silence(silence_id):
        raise HTTPException(404, f"no silence with id {silence_id}")
    return Response(status_code=204)
