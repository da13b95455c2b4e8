"""Prometheus Alertmanager's own API: `POST /api/v2/alerts`.

While firing, the alert is posted with `endsAt` a few minutes ahead and re-posted every
`REPOST_SECONDS` (the dispatcher does it), so Alertmanager keeps it active exactly as long as
ChronoView does; the resolve posts `endsAt` = the incident's `resolved_at`.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import AnyHttpUrl, BaseModel

from chronoview.notify.kinds import Attempt, SendContext, json_headers, post
from chronoview.notify.kinds.webhook import alert_annotations, labels
from chronoview.notify.message import Message
from chronoview.points import format_ts

SECRETS = ("url",)
REPOST_SECONDS = 60.0
FIRING_HORIZON_SECONDS = 5 * REPOST_SECONDS  # a lost ChronoView stops firing after this long


class Config(BaseModel):
    model_config = {"extra": "forbid"}

    url: AnyHttpUrl  # Alertmanager's base address, e.g. http://alertmanager:9093


def body(message: Message, now: float) -> list[dict[str, Any]]:
    alert_labels = {**labels(message), "incident": message.incident_id}
    if message.event == "test":
        alert_labels["test"] = "true"
    starts = message.started_at if message.started_at is not None else now
    if message.firing:
        ends = now + (REPOST_SECONDS if message.event == "test" else FIRING_HORIZON_SECONDS)
    else:
        ends = message.resolved_at if message.resolved_at is not None else now
    return [{"labels": alert_labels, "annotations": alert_annotations(message), "startsAt": format_ts(starts),
             "endsAt": format_ts(ends), "generatorURL": message.dashboard_url}]


async def send(config: Config, message: Message, ctx: SendContext) -> Attempt:
    url = str(config.url).rstrip("/") + "/api/v2/alerts"
    return await post(ctx, url, orjson.dumps(body(message, ctx.now)), json_headers())
