"""Real servers and real WebSocket clients for the stream tests.

A server is `python -m chronoview serve` in a subprocess on a free loopback port (or `uvicorn --factory
chronoview.main:create_app`, the other supported start, which serves with uvicorn's own WebSocket
protocol and so the stream's portable path); a
socket is a `websockets` client whose messages a background task collects, so a test can post points
and then look at what arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.services import free_port

T = TypeVar("T")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, metrics: Iterable[str], since: str | None = None) -> str:
        query = [("metric", m) for m in metrics] + ([("since", since)] if since is not None else [])
        return f"ws://127.0.0.1:{self.port}/ws/stream?{urlencode(query)}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def wait_ready(self, within: float = 30) -> Server:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            time.sleep(0.05)
        self.stop(signal.SIGKILL)
        raise TimeoutError(f"server did not answer /health in {within}s: {self.tail()}")


def launch(workdir: Path, *, queue: int | None = None, asgi: bool = False, **env: str) -> Server:
    """Start a server with these settings (embedded, no simulator unless told) and wait for /health.

    `asgi`: sockets written through ASGI (`AsgiSink`) rather than straight into the connection."""
    return spawn(workdir, env, queue=queue, asgi=asgi).wait_ready()


def spawn(workdir: Path, env: Mapping[str, str], *, queue: int | None = None, asgi: bool = False,
          args: Sequence[str] = ()) -> Server:
    """Start a server process without waiting for it (start several, then `wait_ready` each);
    `args` go after `chronoview serve` (e.g. `--workers 2`), or after uvicorn's options (`asgi`)."""
    port = free_port()
    settings = {"APP_HOST": "127.0.0.1", "APP_PORT": str(port), "SIMULATED_METRICS": "", "REDIS_URL": "",
                "CORS_ORIGINS": "", "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'cv.db'}"}
    settings.update(env)
    if queue is not None:
        settings["WS_QUEUE_MAX"] = str(queue)
    command = [sys.executable, "-m", "chronoview", "serve", *args]
    if asgi:
        command = [sys.executable, "-m", "uvicorn", "--factory", "chronoview.main:create_app",
                   "--host", "127.0.0.1", "--port", str(port), *args]
    log = workdir / f"server-{port}.log"
    process = subprocess.Popen(command, cwd=workdir, env={**os.environ, **settings},
                               stdout=log.open("wb"), stderr=subprocess.STDOUT)
    return Server(process, port, log)


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
