"""The embedded shape's bus: one process, so publishing is delivering and nothing is ever lost."""

from __future__ import annotations

from collections.abc import Sequence

from chronoview.bus.base import Listener, Message


class MemoryBus:
    def __init__(self) -> None:
        self._listener: Listener | None = None

    async def start(self, listener: Listener) -> None:
        self._listener = listener

    async def publish(self, messages: Sequence[Message]) -> None:
        if self._listener is not None:
            self._listener.deliver(messages)

    async def close(self) -> None:
        self._listener = None
