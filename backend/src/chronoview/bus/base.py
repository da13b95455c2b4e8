"""The bus moves encoded points between processes; the hub above it fans them out to sockets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

# (metric, the point's WebSocket message already encoded once)
Message = tuple[str, bytes]
Deliver = Callable[[Sequence[Message]], None]


class Bus(Protocol):
    async def start(self, deliver: Deliver) -> None:
        """Begin delivering every published batch, from any process, to `deliver`."""
        ...

    async def publish(self, messages: Sequence[Message]) -> None: ...

    async def close(self) -> None: ...
