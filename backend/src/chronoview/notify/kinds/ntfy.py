"""ntfy: the text as the body, with `Title`, `Priority`, `Tags` and `Click` headers."""

from __future__ import annotations

from pydantic import AnyHttpUrl, BaseModel, Field

from chronoview.notify.kinds import Attempt, SendContext, post
from chronoview.notify.message import Message

SECRETS = ("url", "token")


class Config(BaseModel):
    model_config = {"extra": "forbid"}

    url: AnyHttpUrl  # the topic's URL, e.g. https://ntfy.sh/my-alerts
    token: str | None = Field(None, min_length=1, max_length=500)


def headers(config: Config, message: Message) -> dict[str, str]:
    # Header values stay ASCII: metric names are, and the title is built from them.
    values = {
        "Title": message.title.encode("ascii", "replace").decode(),
        "Priority": "high" if message.event == "opened" else "default",
        "Tags": "white_check_mark" if not message.firing else "rotating_light",
        "Click": message.dashboard_url,
        "Content-Type": "text/plain; charset=utf-8",
    }
    if message.snapshot_url:
        values["Actions"] = f"view, Snapshot, {message.snapshot_url}"
    if config.token:
        values["Authorization"] = f"Bearer {config.token}"
    return values


async def send(config: Config, message: Message, ctx: SendContext) -> Attempt:
    return await post(ctx, str(config.url), message.text().encode(), headers(config, message))
