"""Real WebSocket clients for the stream tests (servers come from tests/server.py).

A socket is a `websockets` client whose messages a background task collects, so a test can post
points and then look at what arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

T = TypeVar("T")


@dataclass
class Socket:
    """One WebSocket client; `messages` fills in the background until the server closes it."""

    ws: ClientConnection
    messages: list[dict[str, Any]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    @property
    def closed(self) -> bool:
        return self.task is not None and self.task.done()

    @property
    def close_code(self) -> int | None:
        return self.ws.close_code

    @property
    def close_reason(self) -> str | None:
        return self.ws.close_reason

    def of(self, metric: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["data"]["metric"] == metric]

    def values(self, metric: str) -> list[float]:
        return [m["data"]["value"] for m in self.of(metric)]

    async def _collect(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.ws:
                self.messages.append(json.loads(raw))

    async def wait_closed(self, within: float = 10) -> tuple[int | None, str | None]:
        assert self.task is not None
        await asyncio.wait_for(asyncio.shield(self.task), within)
        return self.close_code, self.close_reason

    async def close(self) -> None:
        await self.ws.close()
        if self.task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.task, 5)


async def open_socket(url: str, origin: str | None = None, **headers: str) -> Socket:
    ws = await connect(url, origin=origin, additional_headers=headers or None,  # type: ignore[arg-type]
                       open_timeout=10, close_timeout=5, max_queue=None)
    socket = Socket(ws)
    socket.task = asyncio.create_task(socket._collect())
    return socket


async def eventually(check: Callable[[], T | None], within: float, what: str, every: float = 0.02) -> T:
    """Poll `check` on the event loop until it returns something truthy."""
    deadline = time.monotonic() + within
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        await asyncio.sleep(every)
    raise AssertionError(f"timed out after {within}s waiting for {what} (last: {last!r})")


async def post(http: httpx.AsyncClient, points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """POST a batch; returns the scored points (each the same object as its WebSocket message)."""
    response = await http.post("/metrics", json=points)
    assert response.status_code == 201, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results
