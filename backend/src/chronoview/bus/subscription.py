"""One socket's side of the hub: its metrics and a bounded queue of messages waiting to be written."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass

# Replayed messages remembered per socket, to drop them if they also arrive live just after.
REPLAY_MEMORY = 10_000

GOING_AWAY = 1001
TRY_AGAIN_LATER = 1013


@dataclass(frozen=True, slots=True)
class Closing:
    """The hub asks a socket to close with this code and reason."""

    code: int
    reason: str


SLOW = Closing(TRY_AGAIN_LATER, "too slow: message queue full; reconnect with since=")
MISSED = Closing(TRY_AGAIN_LATER, "missed live updates; reconnect with since=")
BUS_DOWN = Closing(TRY_AGAIN_LATER, "live updates unavailable; try again later")
SHUTDOWN = Closing(GOING_AWAY, "server shutting down")


class Subscription:
    """One socket's interest: its metrics and a bounded queue of messages waiting to be written."""

    __slots__ = ("_closed", "_max", "_queue", "_ready", "_skip", "_skip_until", "closing", "metrics")

    def __init__(self, metrics: frozenset[str], max_queue: int) -> None:
        self.metrics = metrics
        self.closing: Closing | None = None
        self._max = max_queue
        self._queue: deque[str] = deque()
        self._ready = asyncio.Event()
        self._closed = asyncio.Event()
        self._skip: dict[str, None] = {}
        self._skip_until = float("inf")

    def offer(self, text: str) -> bool:
        """Queue a message; False once, when the queue overflows and the socket must go."""
        if len(self._queue) < self._max:
            self._queue.append(text)
            self._ready.set()
            return True
        if self.closing is not None:
            return True
        self.close(SLOW)
        return False

    def close(self, closing: Closing) -> None:
        """Drop whatever waits and ask the writer to close the socket (the first reason wins)."""
        if self.closing is None:
            self.closing = closing
            self._max = 0
            self._queue.clear()
            self._ready.set()
            self._closed.set()

    async def wait_closing(self) -> None:
        await self._closed.wait()

    def remember(self, text: str) -> None:
        """A message replayed from storage: if it also arrives live, `get` drops that copy."""
        skip = self._skip
        skip[text] = None
        if len(skip) > REPLAY_MEMORY:
            del skip[next(iter(skip))]

    def replayed(self, grace: float = 10.0) -> None:
        """The replay is over; a live copy of a replayed message can only arrive shortly after."""
        self._skip_until = time.monotonic() + grace

    async def get(self) -> str | Closing:
        """The next message to write, or the request to close."""
        while True:
            if self.closing is not None:
                return self.closing
            if self._queue:
                text = self._queue.popleft()
                if self._skip:
                    if time.monotonic() > self._skip_until:
                        self._skip.clear()
                    elif text in self._skip:
                        del self._skip[text]
                        continue
                return text
            self._ready.clear()
            await self._ready.wait()
