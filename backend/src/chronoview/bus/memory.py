"""The embedded shape's bus: one process, so publishing is delivering."""

from __future__ import annotations

from collections.abc import Sequence

from chronoview.bus.base import Deliver, Message


class MemoryBus:
    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def publish(self, messages: Sequence[Message]) -> None:
        if self._deliver is not None:
            self._deliver(messages)

    async def close(self) -> None:
        self._deliver = None
