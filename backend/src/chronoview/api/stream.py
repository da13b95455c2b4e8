"""WS /ws/stream (SPEC §6): every new point of the requested metrics, after an optional replay;
with `incidents=1`, every incident opened or resolved on any metric as well (SPEC §10), and every
metric added to or removed from the catalog (catalog.py).

`since=<metric>:<seq>` (one per metric) replays the metric's stored points after that seq, in seq
order, late points included; `since=<ts>` those stored with a later timestamp. Either way the socket
then continues live with no gap and no duplicate: it subscribes first (live messages wait in its
bounded queue), replays from storage page by page, and then drops the queued messages at or below
the last seq it sent (see Subscription's floors); the live stream is in seq order (bus/reorder.py).

A socket costs one task, its ASGI session, which only reads from the client: live messages are
written by the hub itself into the connection's `Sink` (offered by our uvicorn protocol, see
`chronoview.serving.protocol`), so a point reaches a thousand sockets without waking a thousand tasks. On a
server that offers no sink, `AsgiSink` does the same job with a writer task per socket.

`stream` is a plain endpoint, routed by the app's WebSocket table (main.WebSocketRoutes), not by a
router: it is registered there and nowhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from fastapi import WebSocket, WebSocketDisconnect

from chronoview import selfmetrics
from chronoview.alerting.incidents import STREAM_KEY
from chronoview.bus.base import cancel_and_wait
from chronoview.bus.hub import Hub
from chronoview.bus.subscription import SINK_EXTENSION, Batch, Closing, Outgoing, Sink, Subscription
from chronoview.config import MAX_METRICS, is_metric_name
from chronoview.deps import get_services
from chronoview.points import ScoredPoint, to_datetime
from chronoview.schemas import parse_timestamp
from chronoview.storage.base import ReplayCursor, Storage

log = logging.getLogger(__name__)

STREAM_PATH = "/ws/stream"

POLICY_VIOLATION = 1008
REPLAY_PAGE = 1000
REPLAY_TURN = 50  # messages a replay sends before it lets other tasks run
REPLAY_FAILED = Closing(1013, "replay unavailable; try again later")


class Refused(Exception):
    """The request breaks the policy: the socket is closed with 1008 and this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


EVERY_METRIC = "*"
LATEST = "latest"


@dataclass(frozen=True, slots=True)
class StreamRequest:
    metrics: tuple[str, ...] | None  # None: every metric (`metric=*`)
    after: float | None  # replay stored points with ts > after (of the metrics without a cursor)
    latest: bool = False  # `mode=latest`: each metric's newest point, at most once a second
    incidents: bool = False  # `incidents=1`: incident events of every metric too (SPEC §10)
    cursors: dict[str, int] = field(default_factory=dict)  # metric -> the last seq the client has

    @property
    def keys(self) -> tuple[str, ...] | None:
        """What the socket subscribes to in the hub (None: every metric)."""
        if self.metrics is None:
            return None
        return (*self.metrics, STREAM_KEY) if self.incidents else self.metrics


async def stream(websocket: WebSocket) -> None:
    """Live points of every `metric=` given (at least one, or `*`), after a replay from `since=`."""
    services = await get_services(websocket)
    hub, storage = services.hub, services.storage
    await websocket.accept()
    try:
        request = parse_request(websocket, services.settings.cors_origins)
    except Refused as exc:
        await websocket.close(POLICY_VIOLATION, exc.reason)
        return
    if request.cursors:
        try:
            request = replace(request, cursors=await _bounded(storage, request.cursors))
        except Exception as exc:
            log.warning("replay failed: %r", exc)
            await websocket.close(REPLAY_FAILED.code, REPLAY_FAILED.reason)
            return
    sink: Sink | None = websocket.scope.get("extensions", {}).get(SINK_EXTENSION)
    writer: asyncio.Task[None] | None = None
    if sink is None:
        sink = AsgiSink(websocket)
        writer = asyncio.create_task(sink.run())
    sub = hub.subscribe(request.keys, sink, latest=request.latest, cursors=request.cursors)
    selfmetrics.WEBSOCKETS.inc()
    code = 1006  # the session ended without a close from either side
    try:
        code = await _serve(websocket, sub, hub, storage, request)
    finally:
        hub.unsubscribe(sub)
        selfmetrics.WEBSOCKETS.dec()
        # The server's close code when it closed the socket, else the client's.
        closed = sub.closing.code if sub.closing is not None else code
        selfmetrics.WEBSOCKETS_CLOSED.labels(str(closed)).inc()
        if writer is not None:
            await cancel_and_wait(writer)
            error = None if writer.cancelled() else writer.exception()
            if isinstance(error, Exception) and not isinstance(error, WebSocketDisconnect):
                log.warning("WebSocket writer ended with %r", error)


def parse_request(websocket: WebSocket, allowed_origins: list[str]) -> StreamRequest:
    origin = websocket.headers.get("origin")
    if not origin_allowed(origin, websocket.headers.get("host"), allowed_origins):
        raise Refused(f"origin not allowed: {(origin or '')[:80]}")
    params = websocket.query_params
    names = tuple(dict.fromkeys(params.getlist("metric")))
    incidents = params.get("incidents") in ("1", "true")
    if not names and not incidents:
        raise Refused("at least one metric= parameter (or incidents=1) is required")
    mode = params.get("mode")
    if mode not in (None, LATEST):
        raise Refused(f"unknown mode: {mode[:40]!r} (only mode=latest)")
    since = params.getlist("since")
    metrics: tuple[str, ...] | None = names
    if EVERY_METRIC in names:
        metrics = None
    elif len(names) > MAX_METRICS:
        raise Refused(f"at most {MAX_METRICS} metrics per socket")
    for metric in names:
        if metric != EVERY_METRIC and not is_metric_name(metric):
            raise Refused(f"invalid metric name: {metric[:60]!r}")
    if since and (metrics is None or mode is not None):
        # No replay of every metric, nor of a sampled stream: such clients reload the catalog.
        raise Refused("since= needs named metrics and no mode")
    cursors, after = parse_since(since, names)
    return StreamRequest(metrics, after, mode == LATEST, incidents, cursors)


async def _bounded(storage: Storage, cursors: dict[str, int]) -> dict[str, int]:
    """Each cursor at most the metric's highest stored (or passed) seq. A client was never sent
    more, so a larger one is a broken or hostile client (or a database reset): taken as it is, it
    would start this process's reorder track for the metric there, and every point of the metric
    would be dropped as old for every socket of the process."""
    return {metric: min(seq, await storage.last_seq(metric)) for metric, seq in cursors.items()}


def parse_since(values: list[str], metrics: tuple[str, ...]) -> tuple[dict[str, int], float | None]:
    """The `since=` values: `<metric>:<seq>` cursors (a value is one only when the text before its
    last `:` is a subscribed metric), and at most one timestamp."""
    cursors: dict[str, int] = {}
    after: float | None = None
    for value in values:
        metric, colon, seq = value.rpartition(":")
        if colon and metric in metrics:
            if not (seq.isascii() and seq.isdigit()) or len(seq) > 18:  # not "²": int() refuses it
                raise Refused(f"bad since cursor: {value[:90]!r}")
            if metric in cursors:
                raise Refused(f"one since cursor per metric: {metric[:60]!r}")
            cursors[metric] = int(seq)
        elif after is not None:
            raise Refused("at most one since=<timestamp>")
        else:
            after = replay_after(value)
    return cursors, after


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


async def _serve(
    websocket: WebSocket, sub: Subscription, hub: Hub, storage: Storage, request: StreamRequest
) -> int:
    """Replay, then leave live messages to the hub and read (and ignore) what the client sends, so
    the socket's session ends when the client leaves or the hub closes it; returns the close code."""
    if request.after is not None or request.cursors:
        try:
            await _replay(websocket, sub, hub, storage, request)
        except WebSocketDisconnect as exc:
            return exc.code
        except Exception as exc:
            if sub.closing is None:  # else the hub closed the socket under the replay's feet
                log.warning("replay failed: %r", exc)
                sub.close(REPLAY_FAILED)
    sub.go_live()
    while (message := await websocket.receive())["type"] != "websocket.disconnect":
        pass
    return int(message.get("code", 1000))


async def _replay(
    websocket: WebSocket, sub: Subscription, hub: Hub, storage: Storage, request: StreamRequest
) -> None:
    """Send stored points, metric by metric, a page at a time: after the metric's cursor in seq
    order, else after `request.after` in (ts, id) order.

    A seq replay never jumps a missing seq the hub has not resolved yet (its point may be on its
    way, written by another process, and the live stream brings it in order); it stops there, and
    the live messages take over after the last seq it sent. A missing seq below where the hub's
    stream of the metric started will not come live here: the replay settles it (Hub.settle, which
    waits for it and else passes it over) and goes on.

    Memory stays bounded whatever the history holds: one page at a time, never more than the
    socket's queue bound (WS_QUEUE_MAX), each message sent (and its page dropped) only as fast as
    the connection takes it; live messages meanwhile wait in the socket's bounded queue, which
    closes it with 1013 past that bound, as for any slow reader.
    """
    page_size = min(REPLAY_PAGE, sub.max_queue)
    for metric in request.metrics or ():
        seq = request.cursors.get(metric)
        if seq is None and request.after is None:
            continue
        cursor = ReplayCursor.after(to_datetime(request.after or 0.0))
        while sub.closing is None:
            unsettled = None
            if seq is not None:
                # Read before the query: a missing seq in it is gone, not on its way.
                resolved = hub.resolved(metric) or range(seq + 1, seq + 1)
                page = await storage.points_after_seq(metric, seq, page_size)
                page, unsettled = _unbroken(page, seq, resolved, len(page) < page_size)
            else:
                page, cursor = await storage.replay_page(metric, cursor, page_size)
            if not await _send(websocket, sub, metric, page):
                return
            if seq is not None:
                seq = page[-1].score.seq if page else seq
            if unsettled is not None and seq is not None:
                if not await _send(websocket, sub, metric, await hub.settle(metric, unsettled)):
                    return
                seq = unsettled[-1]
                continue
            if len(page) < page_size:
                break
        if seq is not None and sub.closing is None:
            hub.replayed(sub, metric, seq)


async def _send(websocket: WebSocket, sub: Subscription, metric: str, points: list[ScoredPoint]) -> bool:
    """Send replayed points of a metric; False when the socket is closing."""
    for sent, point in enumerate(points, start=1):
        if sub.closing is not None:
            return False
        await websocket.send_text(point.encode().decode())
        sub.sent(metric, point.score.seq)
        if sent % REPLAY_TURN == 0:
            # A send into a connection that takes data never suspends: let other requests in
            # between, or twenty replays keep the loop for a page each.
            await asyncio.sleep(0)
    return True


def _unbroken(
    page: list[ScoredPoint], after: int, resolved: range, complete: bool
) -> tuple[list[ScoredPoint], range | None]:
    """The page (the points after seq `after`; `complete`: the last stored) up to its first
    missing seq that is not in `resolved` (there, a missing seq is gone); and when that seq is
    below the start of `resolved`, the missing seqs there, which the replay must settle itself."""
    expected = after + 1
    for i, point in enumerate(page):
        seq = point.score.seq
        if seq > expected:  # expected..seq-1 are missing
            if expected < resolved.start:
                return page[:i], range(expected, min(seq, resolved.start))
            if seq > resolved.stop:
                return page[:i], None
        expected = seq + 1
    if complete and expected < resolved.start:
        return page, range(expected, resolved.start)
    return page, None


class AsgiSink:
    """The portable way to a socket, for servers that offer no sink: a writer task per socket,
    sending through ASGI. Holds a few messages; the rest wait in the subscription's bounded queue."""

    HOLD = 64

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket
        self._pending: deque[Outgoing] = deque()
        self._wake = asyncio.Event()
        self._closing: Closing | None = None
        self._writable: Callable[[], None] | None = None

    def write(self, batch: Batch) -> bool:
        if len(self._pending) >= self.HOLD:
            return False
        self._pending.extend(batch.messages)
        self._wake.set()
        return True

    def close(self, code: int, reason: str) -> None:
        if self._closing is None:
            self._closing = Closing(code, reason)
            self._pending.clear()
            self._wake.set()

    def watch(self, writable: Callable[[], None]) -> None:
        self._writable = writable

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending and self._closing is None:
                await self._websocket.send_text(self._pending.popleft().data.decode())
            if self._closing is not None:
                await self._websocket.close(self._closing.code, self._closing.reason)
                return
            if self._writable is not None:
                self._writable()
