"""Notification channels (SPEC §11): GET/POST /channels, GET/PUT/DELETE /channels/{id},
POST /channels/{id}/test. Management endpoints: AdminDep guards every one."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, field_validator

from chronoview.api.auth import AdminDep
from chronoview.deps import NotificationsDep
from chronoview.notify.channels import ConfigError, masked, validate
from chronoview.notify.crypto import SecretsUnreadable
from chronoview.notify.kinds import KINDS
from chronoview.notify.service import Notifications
from chronoview.notify.store import ChannelRecord, NameTaken
from chronoview.points import format_ts

router = APIRouter(tags=["notifications"])

Kind = Literal["webhook", "slack", "discord", "ntfy", "email", "alertmanager"]
assert set(Kind.__args__) == set(KINDS)  # type: ignore[attr-defined]
ChannelId = Annotated[int, Path(ge=1, le=2**62)]


class ChannelIn(BaseModel):
    model_config = {"extra": "forbid"}

    name: str = Field(min_length=1, max_length=100)
    kind: Kind
    config: dict[str, Any] = Field(description="Per kind (SPEC §11); secret fields may be sent back "
                                               "masked to keep the stored value.")
    default: bool = Field(False, description="Serves metrics whose rule names no channels.")
    enabled: bool = Field(True, description="False stops sending (a 410 answer sets it false).")


    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("name must not be blank")
        return value


class ChannelOut(BaseModel):
    id: int
    name: str
    kind: str
    config: dict[str, Any]
    default: bool
    enabled: bool
    disabled_reason: str | None
    secrets_unreadable: bool = False
    created_at: str
    updated_at: str


class ChannelTestOut(BaseModel):
    ok: bool
    status: int | None
    detail: str
    delivery_id: str


def _out(record: ChannelRecord, notify: Notifications) -> ChannelOut:
    try:
        config = masked(record.kind, record.config, notify.box.open(record.secrets))
        unreadable = False
    except SecretsUnreadable:
        config, unreadable = dict(record.config), True
    return ChannelOut(id=record.id, name=record.name, kind=record.kind, config=config,
                      default=record.is_default, enabled=record.enabled,
                      disabled_reason=record.disabled_reason, secrets_unreadable=unreadable,
                      created_at=format_ts(record.created_at), updated_at=format_ts(record.updated_at))


def _checked(body: ChannelIn, stored: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        return validate(body.kind, body.config, stored)
    except ConfigError as exc:
        raise RequestValidationError(
            [{**error, "loc": ["body", "config", *error["loc"]]} for error in exc.errors]
        ) from None


def _taken(name: str) -> HTTPException:
    return HTTPException(409, f"a channel named {name!r} already exists")


async def _record(notify: Notifications, channel_id: int) -> ChannelRecord:
    record = await notify.store.channel(channel_id)
    if record is None:
        raise HTTPException(404, f"no channel with id {channel_id}")
    return record


@router.get("/channels", response_model=list[ChannelOut])
async def list_channels(_admin: AdminDep, notify: NotificationsDep) -> list[ChannelOut]:
    """Every channel, secrets masked."""
    return [_out(record, notify) for record in await notify.store.channels()]


# 400: a body that is not even text (FastAPI's "There was an error parsing the body").
@router.post("/channels", status_code=201, response_model=ChannelOut, responses={400: {}, 409: {}, 422: {}})
async def create_channel(body: ChannelIn, _admin: AdminDep, notify: NotificationsDep) -> ChannelOut:
    """Add a channel; its secrets are stored encrypted and never answered whole."""
    plain, secrets = _checked(body, None)
    try:
        record = await notify.store.create_channel(
            body.name, body.kind, plain, notify.box.seal(secrets), body.default, time.time())
    except NameTaken:
        raise _taken(body.name) from None
    return _out(record, notify)


@router.get("/channels/{channel_id}", response_model=ChannelOut, responses={404: {}})
async def read_channel(channel_id: ChannelId, _admin: AdminDep, notify: NotificationsDep) -> ChannelOut:
    return _out(await _record(notify, channel_id), notify)


@router.put("/channels/{channel_id}", response_model=ChannelOut,
            responses={400: {}, 404: {}, 409: {}, 422: {}})
async def update_channel(
    channel_id: ChannelId, body: ChannelIn, _admin: AdminDep, notify: NotificationsDep
) -> ChannelOut:
    """Replace a channel. A secret sent back masked (as GET answers it) keeps the stored one."""
    current = await _record(notify, channel_id)
    stored: dict[str, Any] | None = None
    if body.kind == current.kind:
        try:
            stored = notify.box.open(current.secrets)
        except SecretsUnreadable:
            stored = None  # the new config must then carry its secrets in full
    plain, secrets = _checked(body, stored)
    try:
        record = await notify.store.update_channel(
            channel_id, body.name, body.kind, plain, notify.box.seal(secrets), body.default,
            body.enabled, time.time())
    except NameTaken:
        raise _taken(body.name) from None
    if record is None:
        raise HTTPException(404, f"no channel with id {channel_id}")
    return _out(record, notify)


@router.delete("/channels/{channel_id}", status_code=204, responses={404: {}})
async def delete_channel(channel_id: ChannelId, _admin: AdminDep, notify: NotificationsDep) -> Response:
    """Remove a channel and its deliveries (pending ones are not sent)."""
    if not await notify.store.delete_channel(channel_id):
        raise HTTPException(404, f"no channel with id {channel_id}")
    return Response(status_code=204)


@router.post("/channels/{channel_id}/test", response_model=ChannelTestOut, responses={404: {}})
async def send_test_notification(
    channel_id: ChannelId, _admin: AdminDep, notify: NotificationsDep
) -> ChannelTestOut:
    """Send a test notification now and answer with what the receiver said."""
    record = await _record(notify, channel_id)
    delivery_id, attempt = await notify.send_test(record)
    ok = attempt.outcome == "ok"
    detail = "delivered" if ok else attempt.error or attempt.outcome
    return ChannelTestOut(ok=ok, status=attempt.status, detail=detail, delivery_id=delivery_id)
