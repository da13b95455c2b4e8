"""WS /ws/stream (SPEC §6): every new point of the requested metrics, after an optional replay.

`since=` replays stored points after that timestamp and then continues live with no gap and no
duplicate: the socket subscribes first (live messages wait in its queue), replays from storage,
and then drops the queued messages the replay already sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from chronoview.bus.base import cancel_and_wait
from chronoview.bus.subscription import Closing, Subscription
from chronoview.config import METRIC_NAME
from chronoview.deps import HubDep, SettingsDep, StorageDep
from chronoview.schemas import parse_timestamp
from chronoview.storage.base import Storage

log = logging.getLogger(__name__)

router = APIRouter(tags=["stream"])

POLICY_VIOLATION = 1008
MAX_METRICS = 50
REPLAY_PAGE = 1000
# How long a socket asked to close may take to get its close frame out before it is abandoned.
CLOSE_GRACE = 10.0
REPLAY_FAILED = Closing(1013, "replay unavailable; try again later")


class Refused(Exception):
    """The request breaks the policy: the socket is closed with 1008 and this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class StreamRequest:
    metrics: tuple[str, ...]
    after: float | None  # replay stored points with ts > after


@router.websocket("/ws/stream")
async def stream(websocket: WebSocket, hub: HubDep, storage: StorageDep, settings: SettingsDep) -> None:
    """Live points of every `metric=` given (at least one), after a replay from `since=`."""
    await websocket.accept()
    try:
        request = parse_request(websocket, settings.cors_origins)
    except Refused as exc:
        await websocket.close(POLICY_VIOLATION, exc.reason)
        return
    sub = hub.subscribe(request.metrics)
    try:
        await _serve(websocket, sub, storage, request)
    finally:
        hub.unsubscribe(sub)


def parse_request(websocket: WebSocket, allowed_origins: list[str]) -> StreamRequest:
    origin = websocket.headers.get("origin")
    if not origin_allowed(origin, websocket.headers.get("host"), allowed_origins):
        raise Refused(f"origin not allowed: {(origin or '')[:80]}")
    metrics = tuple(dict.fromkeys(websocket.query_params.getlist("metric")))
    if not metrics:
        raise Refused("at least one metric= parameter is required")
    if len(metrics) > MAX_METRICS:
        raise Refused(f"at most {MAX_METRICS} metrics per socket")
    for metric in metrics:
        if not METRIC_NAME.match(metric):
            raise Refused(f"invalid metric name: {metric[:60]!r}")
    since = websocket.query_params.get("since")
    return StreamRequest(metrics, None if since is None else replay_after(since))


def replay_after(since: str) -> float:
    """The `since=` value (RFC 3339 or epoch seconds) as the bound of the replay.

    Messages carry milliseconds, so a `since` that is a whole millisecond means the client has seen
    that millisecond: its points are not sent again.
    """
    value: object = since
    with contextlib.suppress(ValueError):
        value = float(since)
    try:
        ts = parse_timestamp(value)
    except ValueError as exc:
        raise Refused(f"bad since: {str(exc)[:90]}") from None
    micros = round(ts * 1e6)
    return (micros + 999) / 1e6 if micros % 1000 == 0 else ts


def origin_allowed(origin: str | None, host: str | None, allowed: list[str]) -> bool:
    """No Origin (not a browser), an Origin listed in CORS_ORIGINS, or the same origin as Host."""
    if origin is None or "*" in allowed or origin.rstrip("/").lower() in {a.lower() for a in allowed}:
        return True
    if host is None:
        return False
    try:
        page = urlsplit(origin)
        server = urlsplit(f"//{host}")
        page_port, server_port = page.port, server.port
    except ValueError:
        return False
    if page.scheme not in ("http", "https") or not page.hostname:
        return False
    default = 443 if page.scheme == "https" else 80
    # A Host without a port means the default port of the scheme the browser used.
    return (page.hostname, page_port or default) == (server.hostname, server_port or default)


async def _serve(websocket: WebSocket, sub: Subscription, storage: Storage, request: StreamRequest) -> None:
    receiver = asyncio.create_task(_receive_until_closed(websocket))
    writer = asyncio.create_task(_write(websocket, sub, storage, request))
    asked = asyncio.create_task(sub.wait_closing())
    try:
        done, _ = await asyncio.wait({receiver, writer, asked}, return_when=asyncio.FIRST_COMPLETED)
        if receiver in done:  # the client left
            return
        if writer not in done:  # the hub asked to close: give the writer time to say so
            await asyncio.wait({writer}, timeout=CLOSE_GRACE)
        if writer.done():  # close frame sent: the client's reply ends the receiver
            await asyncio.wait({receiver}, timeout=CLOSE_GRACE)
    finally:
        for task in (receiver, writer, asked):
            await cancel_and_wait(task)
            error = None if task.cancelled() else task.exception()
            if isinstance(error, Exception) and not isinstance(error, WebSocketDisconnect):
                log.warning("WebSocket stream ended with %r", error)


async def _receive_until_closed(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends, so control frames flow, until it disconnects."""
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass


async def _write(websocket: WebSocket, sub: Subscription, storage: Storage, request: StreamRequest) -> None:
    if request.after is not None:
        try:
            await _replay(websocket, sub, storage, request.metrics, request.after)
        except WebSocketDisconnect:
            raise
        except Exception as exc:  # storage down: the client retries later
            log.warning("replay failed: %r", exc)
            sub.close(REPLAY_FAILED)
        sub.replayed()
    while True:
        item = await sub.get()
        if isinstance(item, Closing):
            await websocket.close(item.code, item.reason)
            return
        await websocket.send_text(item)


async def _replay(
    websocket: WebSocket, sub: Subscription, storage: Storage, metrics: tuple[str, ...], after: float
) -> None:
    """Send stored points after `after`, oldest first, metric by metric, page by page."""
    for metric in metrics:
        bound, previous = after, set[str]()
        while sub.closing is None:
            page = await storage.points_after(metric, bound, REPLAY_PAGE)
            encoded = [p.encode().decode() for p in page]
            texts = [text for text in encoded if text not in previous]
            for text in texts:
                await websocket.send_text(text)
                sub.remember(text)
            if len(page) < REPLAY_PAGE or not texts:
                break
            # The next page starts just before the last timestamp, so points sharing it are not
            # skipped; those already sent are in `previous`.
            bound, previous = page[-1].point.ts - 2e-6, set(encoded)
