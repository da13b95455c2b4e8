"""The bus moves encoded points between processes; the hub above it fans them out to sockets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Protocol

# (metric, the point's WebSocket message already encoded once)
Message = tuple[str, bytes]
Deliver = Callable[[Sequence[Message]], None]


class Listener(Protocol):
    """What a bus reports to (the hub): batches, and the health of its subscription."""

    def deliver(self, messages: Sequence[Message]) -> None:
        """A batch from any process, in publish order; must not block."""
        ...

    def lost(self) -> None:
        """The subscription broke: batches published from now on may never arrive."""
        ...

    async def resumed(self) -> None:
        """Subscribed again; fetch what was missed. The bus delivers nothing newer until it returns."""
        ...


class Bus(Protocol):
    async def start(self, listener: Listener) -> None:
        """Begin delivering every published batch, from any process, to `listener`."""
        ...

    async def publish(self, messages: Sequence[Message]) -> None: ...

    async def close(self) -> None: ...


async def cancel_and_wait(task: asyncio.Task[object]) -> None:
    """Cancel a task and wait until it is done, cancelling again if need be: on Python 3.11
    `asyncio.wait_for` can swallow a cancellation that races the awaited call's completion."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=1.0)
