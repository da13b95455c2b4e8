"""What waits for one consumer task, handed out a batch at a time (the ingest pipeline's requests,
the MQTT subscriber's messages).

Each item carries some points; `take` hands out the oldest items up to `limit` points (at least
one item, however large), in arrival order. `ready` is set while anything waits, and once the
backlog is closed, so the consumer wakes to finish.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Backlog(Generic[T]):
    __slots__ = ("_limit", "_size", "closing", "items", "ready")

    def __init__(self, size: Callable[[T], int], limit: int) -> None:
        self.items: list[T] = []
        self.ready = asyncio.Event()
        self.closing = False
        self._size = size
        self._limit = limit

    def put(self, item: T) -> None:
        self.items.append(item)
        self.ready.set()

    def take(self) -> list[T]:
        """The oldest waiting items, up to `limit` points (at least one item)."""
        size = taken = 0
        for item in self.items:
            weight = self._size(item)
            if taken and size + weight > self._limit:
                break
            size += weight
            taken += 1
        batch, self.items = self.items[:taken], self.items[taken:]
        if not self.items and not self.closing:
            self.ready.clear()
        return batch

    def close(self) -> None:
        """Tell the consumer to finish: `ready` stays set from now on."""
        self.closing = True
        self.ready.set()
