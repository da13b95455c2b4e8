"""What waits for one consumer task, handed out a batch at a time (the ingest pipeline's requests,
the MQTT subscriber's messages).

Each item carries some points; `take` hands out the oldest items up to `limit` points (at least
one item, however large), in arrival order. `ready` is set while anything waits, and once the
backlog is closed, so the consumer wakes to finish.

Given `keys` (an item's distinct keys, e.g. the metrics of its points), the backlog also counts
the waiting items that hold each key (`held`), so a consumer can ask whether anything waiting
concerns some keys in the time of a few dictionary lookups, however many points wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from typing import Generic, TypeVar

T = TypeVar("T")


class Backlog(Generic[T]):
    __slots__ = ("_keys", "_limit", "_size", "closing", "held", "items", "ready")

    def __init__(
        self, size: Callable[[T], int], limit: int, keys: Callable[[T], Collection[str]] | None = None,
    ) -> None:
        self.items: list[T] = []
        self.ready = asyncio.Event()
        self.closing = False
        self._size = size
        self._limit = limit
        self._keys = keys
        # key → how many waiting items hold it (only keys held by at least one; empty without `keys`)
        self.held: dict[str, int] = {}

    def put(self, item: T) -> None:
        self.items.append(item)
        if self._keys is not None:
            held = self.held
            for key in self._keys(item):
                held[key] = held.get(key, 0) + 1
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
        if self._keys is not None:
            held = self.held
            for item in batch:
                for key in self._keys(item):
                    left = held[key] - 1
                    if left:
                        held[key] = left
                    else:
                        del held[key]
        if not self.items and not self.closing:
            self.ready.clear()
        return batch

    def close(self) -> None:
        """Tell the consumer to finish: `ready` stays set from now on."""
        self.closing = True
        self.ready.set()
