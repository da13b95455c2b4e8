"""The delivery log (SPEC §11): GET /notifications?channel=&state=, newest first."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from chronoview.api.auth import AdminDep
from chronoview.deps import NotificationsDep
from chronoview.notify.outbox import LogEntry

router = APIRouter(tags=["notifications"])

State = Literal["pending", "sending", "delivered", "failed", "silenced"]


@router.get("/notifications", response_model=list[LogEntry], responses={422: {}})
async def delivery_log(
    _admin: AdminDep,
    notifications: NotificationsDep,
    channel: Annotated[int | None, Query(ge=1, le=2**62, description="a channel id")] = None,
    state: State | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[LogEntry]:
    """Deliveries (one per incident event × channel) with their state, attempts and last error."""
    return await notifications.outbox.log(channel, state, limit)
