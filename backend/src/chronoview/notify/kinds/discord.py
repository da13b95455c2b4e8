"""Discord webhook: `content` plus one embed with the facts as fields."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import AnyHttpUrl, BaseModel

from chronoview.notify.kinds import Attempt, SendContext, json_headers, post
from chronoview.notify.message import Message
from chronoview.points import format_ts

SECRETS = ("url",)
_RED, _GREEN, _BLUE = 0xD93025, 0x188038, 0x1A73E8


class Config(BaseModel):
    model_config = {"extra": "forbid"}

    url: AnyHttpUrl


def body(message: Message, now: float) -> dict[str, Any]:
    color = _BLUE if message.event == "test" else _RED if message.firing else _GREEN
    links = " · ".join(f"[{label}]({url})" for label, url in message.links)
    return {
        "content": message.title[:2000],
        "embeds": [{
            "title": f"{message.metric}"[:256],
            "url": message.dashboard_url,
            "description": f"{message.summary()}\n{links}"[:4096],
            "color": color,
            "fields": [{"name": label, "value": value, "inline": True} for label, value in message.facts],
            "timestamp": format_ts(now),
        }],
        "allowed_mentions": {"parse": []},
    }


async def send(config: Config, message: Message, ctx: SendContext) -> Attempt:
    return await post(ctx, str(config.url), orjson.dumps(body(message, ctx.now)), json_headers())
