"""Generic webhook: the Prometheus Alertmanager webhook format (version 4) plus a `chronoview`
object, signed with `X-ChronoView-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson
from pydantic import AnyHttpUrl, BaseModel, Field, field_validator

from chronoview.notify.kinds import Attempt, SendContext, json_headers, post
from chronoview.notify.message import Message
from chronoview.points import format_ts

SECRETS = ("url", "secret", "headers")
SIGNATURE_HEADER = "X-ChronoView-Signature"
_ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's "not ended"
_RESERVED = {"content-type", "content-length", "host", "x-chronoview-signature", "x-chronoview-delivery"}


class Config(BaseModel):
    model_config = {"extra": "forbid"}

    url: AnyHttpUrl
    secret: str | None = Field(None, min_length=1, max_length=500)
    headers: dict[str, str] = Field(default_factory=dict, max_length=20)

    @field_validator("headers")
    @classmethod
    def _headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if not name or not all(c.isalnum() or c in "-_" for c in name) or name.lower() in _RESERVED:
                raise ValueError(f"{name[:40]!r} is not a header name that may be set")
            if not value.isascii() or "\n" in value or "\r" in value or len(value) > 1000:
                raise ValueError(f"the value of {name[:40]!r} must be one line of ASCII")
        return headers


def labels(message: Message) -> dict[str, str]:
    return {"alertname": "ChronoViewAnomaly", "metric": message.metric, "severity": "warning",
            "source": "chronoview"}


def alert_annotations(message: Message) -> dict[str, str]:
    notes = {"summary": message.title, "description": message.summary(),
             "dashboard": message.dashboard_url}
    if message.snapshot_url:
        notes["snapshot"] = message.snapshot_url
    return notes


def fingerprint(message: Message) -> str:
    pairs = [*sorted(labels(message).items()), ("incident", message.incident_id)]
    text = ",".join(f"{k}={v}" for k, v in pairs)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def body(message: Message, ctx: SendContext) -> dict[str, Any]:
    alert_labels = labels(message)
    started = format_ts(message.started_at) if message.started_at is not None else format_ts(ctx.now)
    ended = format_ts(message.resolved_at) if not message.firing and message.resolved_at else _ZERO_TIME
    alert = {"status": message.status, "labels": alert_labels, "annotations": alert_annotations(message),
             "startsAt": started, "endsAt": ended, "generatorURL": message.dashboard_url,
             "fingerprint": fingerprint(message)}
    return {
        "version": "4", "groupKey": f'{{}}:{{metric="{message.metric}"}}', "truncatedAlerts": 0,
        "status": message.status, "receiver": ctx.channel_name,
        "groupLabels": {"metric": message.metric}, "commonLabels": alert_labels,
        "commonAnnotations": alert["annotations"], "externalURL": ctx.base_url, "alerts": [alert],
        "chronoview": {"event": message.event, "metric": message.metric, "value": message.value,
                       "zscore": message.zscore, "mean": message.mean, "std": message.std,
                       "incident_id": message.incident_id, "incident": message.incident,
                       "dashboard_url": message.dashboard_url, "snapshot_url": message.snapshot_url},
    }


def signature(secret: str, timestamp: int, content: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + content, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


async def send(config: Config, message: Message, ctx: SendContext) -> Attempt:
    content = orjson.dumps(body(message, ctx))
    headers = {**config.headers, **json_headers()}
    if config.secret:
        headers[SIGNATURE_HEADER] = signature(config.secret, int(ctx.now), content)
    return await post(ctx, str(config.url), content, headers)
