"""The bus moves encoded points between processes; the hub above it fans them out to sockets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol

from chronoview.points import ScoredPoint, encode_all


class Message(NamedTuple):
    """One point on its way to sockets: what the hub needs to order and route it, beside its
    WebSocket message encoded once (`data`), which nothing parses again.

    `data` empty is a release: the point with this seq was not stored (its write failed), so
    nobody waits for it. Streams of their own (incident events and catalog announcements, `!…`
    keys) carry seq 0.
    """

    metric: str
    seq: int
    data: bytes
    ts: float  # seconds since the epoch: `mode=latest` keeps the newest by ts

    @property
    def released(self) -> bool:
        return not self.data


Deliver = Callable[[Sequence[Message]], None]


def messages_of(points: Sequence[ScoredPoint]) -> list[Message]:
    """Stored points as the messages their publication carried."""
    return [Message(p.point.metric, p.score.seq, data, p.point.ts)
            for p, data in zip(points, encode_all(points), strict=True)]


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
