"""The delivery log (SPEC §11): GET /notifications?channel=&state=, newest first."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from chronoview.api.auth import AdminDep
from chronoview.deps import NotificationsDep
from chronoview.points import format_ts

router = APIRouter(tags=["notifications"])

State = Literal["pending", "sending", "delivered", "failed", "silenced"]


class DeliveryOut(BaseModel):
    id: str
    channel_id: int
    channel: str | None
    kind: str | None
    event: str
    metric: str
    incident_id: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    reason: str | None
    created_at: str
    updated_at: str
    next_attempt_at: str | None
    delivered_at: str | None


def _ts(value: float | None) -> str | None:
    return None if value is None else format_ts(value)


@router.get("/notifications", response_model=list[DeliveryOut], responses={422: {}})
async def delivery_log(
    _admin: AdminDep,
    notifications: NotificationsDep,
    channel: Annotated[int | None, Query(ge=1, le=2**62, description="a channel id")] = None,
    state: State | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeliveryOut]:
    """Deliveries (one per incident event × channel) with their state, attempts and last error."""
    entries = await notifications.outbox.log(channel, state, limit)
    return [DeliveryOut(id=e.id, channel_id=e.channel_id, channel=e.channel, kind=e.kind, event=e.event,
                        metric=e.metric, incident_id=e.incident_id, state=e.state, attempts=e.attempts,
                        last_status=e.last_status, last_error=e.last_error, reason=e.reason,
                        created_at=format_ts(e.created_at), updated_at=format_ts(e.updated_at),
                        next_attempt_at=_ts(e.next_attempt_at), delivered_at=_ts(e.delivered_at))
            for e in entries]
