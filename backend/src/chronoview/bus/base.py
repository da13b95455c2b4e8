"""The bus moves encoded points between processes; the hub above it fans them out to sockets."""

from __future__ import annotations

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
