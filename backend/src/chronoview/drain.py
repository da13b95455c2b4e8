"""Stopping without a client-visible error: on SIGTERM (or SIGINT), drain first, then stop.

1. `/ready` answers 503 at once, so a load balancer with active checks takes the process out;
2. for `SHUTDOWN_DRAIN_SECONDS` the process keeps serving, but every answer carries
   `Connection: close`, so a proxy stops reusing its kept-alive connections to it (nginx has no
   active checks: it learns from this, and from the refused connections once the port closes);
3. the port stops accepting (a proxy's next connection is refused, which it retries elsewhere),
   and connections accepted just before get `ACCEPTED_GRACE` to deliver their request;
4. open WebSockets are closed with 1001 (uvicorn would close them with 1012 before the lifespan
   shutdown runs), then the server's own handler stops it: requests in flight finish.
A second signal skips what is left of the wait.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chronoview import serving
from chronoview.bus.hub import Hub

ACCEPTED_GRACE = 0.5
SignalHandler = Callable[[int, FrameType | None], object]


class Drain:
    """Whether this process is on its way out (shared by /ready and the middleware)."""

    __slots__ = ("draining",)

    def __init__(self) -> None:
        self.draining = False


class CloseWhileDraining:
    """Adds `Connection: close` to every answer while draining; costs one check otherwise."""

    def __init__(self, app: ASGIApp, drain: Drain) -> None:
        self.app = app
        self.drain = drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.drain.draining:
            await self.app(scope, receive, send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (b"connection", b"close")]
            await send(message)

        await self.app(scope, receive, closing)


def drain_on_exit(drain: Drain, hub: Hub, seconds: float, wait: float = 2.0) -> Callable[[], None]:
    """Install the SIGINT/SIGTERM handlers described above, ahead of the server's; returns an undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()
    fired: list[int] = []
    installed: dict[int, tuple[SignalHandler, SignalHandler]] = {}

    async def drain_then(signum: int, frame: FrameType | None, previous: SignalHandler) -> None:
        try:
            drain.draining = True
            if seconds > 0:
                await asyncio.sleep(seconds)
            if serving.stop_accepting(previous):
                await asyncio.sleep(ACCEPTED_GRACE)
            await hub.close(wait)
        finally:
            previous(signum, frame)

    def start(signum: int, frame: FrameType | None, previous: SignalHandler) -> None:
        task = loop.create_task(drain_then(signum, frame, previous))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(sig)
        if not callable(previous):  # no server handler to defer to: leave the default alone
            continue

        def handler(signum: int, frame: FrameType | None, previous: SignalHandler = previous) -> None:
            if fired or loop.is_closed():  # a second signal: no more waiting
                for task in tasks:
                    loop.call_soon_threadsafe(task.cancel)
                previous(signum, frame)
            else:
                fired.append(signum)
                loop.call_soon_threadsafe(start, signum, frame, previous)

        signal.signal(sig, handler)
        installed[sig] = (handler, previous)

    def undo() -> None:
        for sig, (handler, previous) in installed.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, previous)

    return undo
