"""uvicorn's WebSocket protocol with a write path for the hub (part of the uvicorn seam, see __init__).

Subclasses uvicorn's sans-I/O WebSocket protocol and uses its private fields (`conn`, `transport`,
`queue`, `writable`, `close_sent`, `read_paused`, `close_timer`, `close_timeout`): it offers the app
a `Sink` that writes prepared frames straight into the transport, and keeps an idle socket small.
Only used with the uvicorn version it was written against (`TESTED_UVICORN`); any other version
serves with uvicorn's own protocol and the app's portable path (`AsgiSink`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

from uvicorn._types import ASGIReceiveEvent, ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.http11 import Request

from chronoview.bus.subscription import SINK_EXTENSION, Batch


class StreamProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol, offering the app a `Sink` (scope extension `SINK_EXTENSION`).

    Through the ASGI `send` every message to every socket costs a task wake-up and a frame built by
    the websockets library; the hub instead writes one prepared frame into each transport, with no
    task at all. Only for connections without extensions: with one (permessage-deflate) the frame
    differs per socket, and the app falls back to ASGI.
    """

    watcher: Callable[[], None] | None = None
    # Set by chronoview.serving.http on upgrade: the connection stops counting against its address.
    on_lost: Callable[[], None] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # An idle socket holds these for hours: asyncio's Queue and Event allocate four deques
        # (~3 KiB) up front; what uvicorn asks of them fits in two slots each.
        self.queue = _Inbox()  # type: ignore[assignment]
        self.writable = _Flag()  # type: ignore[assignment]

    async def send(self, message: ASGISendEvent) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept":
            # The handshake's request and response (~3 KiB of headers) are never looked at again.
            del self.request, self.response

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        if self.response.status_code == 101 and not self.conn.extensions:
            extensions = cast("dict[str, object]", self.scope["extensions"])
            extensions[SINK_EXTENSION] = _TransportSink(self)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self.on_lost is not None:
            self.on_lost()
            self.on_lost = None

    def resume_writing(self) -> None:
        super().resume_writing()
        if self.watcher is not None:
            self.watcher()


class _Inbox:
    """The one-consumer queue uvicorn's protocol needs for ASGI `receive`."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[ASGIReceiveEvent] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: ASGIReceiveEvent) -> None:
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    async def get(self) -> ASGIReceiveEvent:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)


class _Flag:
    """The subset of `asyncio.Event` uvicorn's protocol uses, allocating nothing until awaited."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = True
        self._waiters: list[asyncio.Future[None]] = []

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> None:
        while not self._set:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter


class _TransportSink:
    __slots__ = ("_protocol",)

    def __init__(self, protocol: StreamProtocol) -> None:
        self._protocol = protocol

    def write(self, batch: Batch) -> bool:
        protocol = self._protocol
        if not protocol.writable.is_set():
            return False
        if not (protocol.close_sent or protocol.transport.is_closing()):
            protocol.transport.write(batch.wire)
        return True  # a connection on its way out takes (and drops) everything

    def close(self, code: int, reason: str) -> None:
        """What uvicorn does for an ASGI `websocket.close`, without waiting for the buffer to drain:
        the close frame queues behind the data, and the app's `receive` returns the disconnect."""
        protocol = self._protocol
        if protocol.close_sent or protocol.transport.is_closing():
            return
        try:
            protocol.conn.send_close(code, reason)
        except InvalidState:
            return
        protocol.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        protocol.transport.write(b"".join(protocol.conn.data_to_send()))
        protocol.close_sent = True
        if protocol.read_paused:
            protocol.read_paused = False
            protocol.transport.resume_reading()
        protocol.close_timer = protocol.loop.call_later(protocol.close_timeout, protocol.transport.close)

    def watch(self, writable: Callable[[], None]) -> None:
        self._protocol.watcher = writable
