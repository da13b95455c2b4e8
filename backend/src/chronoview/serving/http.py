"""uvicorn's HTTP protocol (httptools), with the guards uvicorn leaves out: read timeouts and a cap on
connections per client address.

uvicorn waits forever for a request's head and body: 1,100 connections that each sent half a
request held every file descriptor, and /health was unreachable until they left. Here a request's
head must arrive within `HEADER_TIMEOUT` seconds of the connection (or of the previous response), a
body may pause at most `BODY_IDLE_TIMEOUT` seconds between chunks, and one address holds at most
`MAX_CONNECTIONS_PER_CLIENT` connections (WebSockets included) at once (the setting of that name,
default 128). Refusals are JSON, like
every other error, and so is the 400 for a request httptools cannot parse.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from typing import Any, ClassVar

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from chronoview.config import MAX_CONNECTIONS_PER_CLIENT

HEADER_TIMEOUT = 10.0
BODY_IDLE_TIMEOUT = 30.0


def _json_response(status: int, reason: str, detail: str) -> bytes:
    body = orjson.dumps({"detail": detail})
    return (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body


class GuardedHttpProtocol(HttpToolsProtocol):
    """See the module docstring; `guarded_protocol` sets its limits."""

    max_per_client: ClassVar[int] = MAX_CONNECTIONS_PER_CLIENT
    exempt: ClassVar[frozenset[str]] = frozenset()
    open_per_client: ClassVar[dict[str, int]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._address: str | None = None  # set while this connection counts against its address

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        address = self.client[0] if self.client else None
        if address is not None and address not in self.exempt:
            if self.open_per_client.get(address, 0) >= self.max_per_client:
                detail = f"more than {self.max_per_client} connections from one address"
                transport.write(_json_response(429, "Too Many Requests", detail))
                transport.close()
                return
            self.open_per_client[address] = self.open_per_client.get(address, 0) + 1
            self._address = address
        self._arm(HEADER_TIMEOUT, self._head_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._release()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # a keep-alive connection's next request
            self._arm(HEADER_TIMEOUT, self._head_too_slow)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()
        if not self.transport.is_closing():
            self._arm(BODY_IDLE_TIMEOUT, self._body_too_slow)

    def on_body(self, body: bytes) -> None:
        self._arm(BODY_IDLE_TIMEOUT, self._body_too_slow)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()
        super().handle_websocket_upgrade()
        # The socket stays open under the WebSocket protocol, and counts until that one closes.
        upgraded = self.transport.get_protocol()
        if self._address is not None and hasattr(upgraded, "on_lost"):
            upgraded.on_lost = self._release
        else:
            self._release()

    def send_400_response(self, msg: str) -> None:
        self.transport.write(_json_response(400, "Bad Request", "invalid HTTP request"))
        self.transport.close()

    def _release(self) -> None:
        address, self._address = self._address, None
        if address is not None:
            left = self.open_per_client.get(address, 1) - 1
            if left > 0:
                self.open_per_client[address] = left
            else:
                self.open_per_client.pop(address, None)

    def _arm(self, seconds: float, then: Callable[[], None]) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, then)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _head_too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.write(_json_response(408, "Request Timeout", "request head not received in time"))
            self.transport.close()

    def _body_too_slow(self) -> None:
        self._deadline = None
        if self.flow.read_paused:  # the app is not reading yet: the client is not the slow one
            self._arm(BODY_IDLE_TIMEOUT, self._body_too_slow)
        elif not self.transport.is_closing():
            self.transport.close()  # the app sees a disconnect; a response may already be under way


def guarded_protocol(
    max_per_client: int = MAX_CONNECTIONS_PER_CLIENT, exempt: Collection[str] = ()
) -> type[GuardedHttpProtocol]:
    """The protocol class of this process's server, with its limits.

    `exempt`: addresses whose connections are not capped (a trusted proxy carries many clients).
    The class is the module's own, not one made per call, so that uvicorn can hand it to worker
    processes (by reference: a worker imports it afresh, and `trust_proxies` sets its `exempt`
    there); a process runs one server.
    """
    GuardedHttpProtocol.max_per_client = max_per_client
    GuardedHttpProtocol.exempt = frozenset(exempt)
    return GuardedHttpProtocol
