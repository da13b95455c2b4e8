"""Channel kinds, one module each (the broadcaster pattern): imported lazily by `kind_module`.

Every module has a pydantic `Config` (validated on the API; 422 names the field), `SECRETS` (the
config fields stored encrypted and masked in answers) and `async send(config, message, ctx)`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Literal, Protocol, cast

import httpx
from pydantic import BaseModel

from chronoview.notify.message import Message

KINDS = ("webhook", "slack", "discord", "ntfy", "email", "alertmanager")
DELIVERY_HEADER = "X-ChronoView-Delivery"
USER_AGENT = "ChronoView-Notifications/1"
MAX_RETRY_AFTER = 3600.0  # a receiver asking for more than an hour waits an hour, then is asked again

Outcome = Literal["ok", "retry", "fail", "gone"]


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one send went: delivered, worth retrying, failed for good, or the channel is gone (410)."""

    outcome: Outcome
    status: int | None = None
    retry_after: float | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SendContext:
    http: httpx.AsyncClient
    delivery_id: str
    channel_name: str
    base_url: str
    now: float
    timeout: float


class ChannelKind(Protocol):
    SECRETS: tuple[str, ...]

    @property
    def Config(self) -> type[BaseModel]: ...

    async def send(self, config: Any, message: Message, ctx: SendContext) -> Attempt: ...


def kind_module(kind: str) -> ChannelKind:
    if kind not in KINDS:
        raise ValueError(f"unknown channel kind {kind!r}")
    return cast(ChannelKind, importlib.import_module(f"chronoview.notify.kinds.{kind}"))


def _retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(moment.timestamp() - now, 0.0), MAX_RETRY_AFTER)


def classify(response: httpx.Response, now: float) -> Attempt:
    """SPEC §11: 2xx delivered; 410 disables the channel; 408, 429 and 5xx retry (honouring
    Retry-After); any other 4xx, or a redirect (not followed), fails at once."""
    status = response.status_code
    if 200 <= status < 300:
        return Attempt("ok", status)
    detail = f"HTTP {status}"
    body = response.text.strip()[:200]
    if body:
        detail += f": {body}"
    if status == 410:
        return Attempt("gone", status, error=detail)
    if status in (408, 429) or status >= 500:
        return Attempt("retry", status, _retry_after(response.headers.get("retry-after"), now), detail)
    return Attempt("fail", status, error=detail)


async def post(ctx: SendContext, url: str, content: bytes, headers: Mapping[str, str]) -> Attempt:
    """POST with the delivery id; transport failures are retried. Errors never name the URL,
    which is a secret for most kinds."""
    try:
        response = await ctx.http.post(
            url, content=content, timeout=ctx.timeout,
            headers={"User-Agent": USER_AGENT, DELIVERY_HEADER: ctx.delivery_id, **headers},
        )
    except httpx.TimeoutException:
        return Attempt("retry", error=f"no answer within {ctx.timeout:g} s")
    except httpx.HTTPError as exc:
        return Attempt("retry", error=f"could not reach the receiver ({type(exc).__name__})")
    return classify(response, ctx.now)


def json_headers() -> dict[str, str]:
    return {"Content-Type": "application/json"}
