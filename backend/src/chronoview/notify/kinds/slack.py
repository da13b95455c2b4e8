"""Slack incoming webhook: `text` (the notification's fallback) plus Block Kit sections."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import AnyHttpUrl, BaseModel

from chronoview.notify.kinds import Attempt, SendContext, json_headers, post
from chronoview.notify.message import Message

SECRETS = ("url",)


class Config(BaseModel):
    model_config = {"extra": "forbid"}

    url: AnyHttpUrl


def body(message: Message) -> dict[str, Any]:
    facts = "\n".join(f"*{label}:* {value}" for label, value in message.facts)
    links = " · ".join(f"<{url}|{label}>" for label, url in message.links)
    return {
        "text": f"{message.title}: {message.summary()}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": facts}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": links}]},
        ],
    }


async def send(config: Config, message: Message, ctx: SendContext) -> Attempt:
    return await post(ctx, str(config.url), orjson.dumps(body(message)), json_headers())
