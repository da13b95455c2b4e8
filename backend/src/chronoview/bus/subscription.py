"""One socket's side of the hub: its metrics, where its frames go, and a bounded queue for when the
connection cannot take them yet.

Nothing here waits and no task runs per socket: the hub hands each batch of messages to `offer`,
which writes their frames straight into the connection (a `Sink`) while it takes data, and queues
them only while the connection's buffer is full; the sink calls back when it drains. Past the bound
(in messages) the socket is closed with 1013.

A socket that resumes (SPEC §6 `since=`) has, per metric, a floor: the last seq it already has
(its cursor, then each point its replay sent). Live messages at or below it are dropped; as each
metric's live messages come in seq order, the floor is forgotten at the first one above it, and
with no floor left a batch goes out untouched.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

# The ASGI scope extension under which a server offers a `Sink` for each WebSocket (see serving/protocol.py).
SINK_EXTENSION = "chronoview.sink"

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


class Outgoing:
    """One message as every socket sends it: the JSON text, and the whole WebSocket frame built
    once; with its metric and seq (0 for streams without one)."""

    __slots__ = ("data", "metric", "seq", "wire")

    def __init__(self, data: bytes, metric: str = "", seq: int = 0) -> None:
        self.data = data
        self.metric = metric
        self.seq = seq
        self.wire = text_frame(data)


class Batch:
    """Messages that go to a socket together, as one write: each is still its own WebSocket message,
    but a socket costs one system call per batch, not one per message. Built once per metric (or
    set of metrics) and shared by every socket that wants exactly those."""

    __slots__ = ("messages", "wire")

    def __init__(self, messages: Sequence[Outgoing]) -> None:
        self.messages = messages
        self.wire = messages[0].wire if len(messages) == 1 else b"".join(m.wire for m in messages)


def text_frame(payload: bytes) -> bytes:
    """An unfragmented, unmasked text frame (RFC 6455 §5.2): what a server sends, the same bytes on
    every connection that negotiated no extension."""
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


class Sink(Protocol):
    """A socket's connection as the hub writes to it: never waits."""

    def write(self, batch: Batch) -> bool:
        """Send the messages now; False (nothing sent) while the connection's buffer is full."""
        ...

    def close(self, code: int, reason: str) -> None:
        """Send a close frame after what was written, and end the socket's session."""
        ...

    def watch(self, writable: Callable[[], None]) -> None:
        """Call `writable` each time the connection takes data again after `write` said False."""
        ...


class Subscription:
    """One socket's interest: its metrics, its sink, and a bounded queue of messages waiting for it."""

    __slots__ = ("_floors", "_live", "_max", "_queue", "_sink", "closing", "max_queue", "metrics", "single")

    def __init__(
        self, metrics: frozenset[str], max_queue: int, sink: Sink, floors: Mapping[str, int] | None = None
    ) -> None:
        self.metrics = metrics
        self.single = len(metrics) == 1
        self.closing: Closing | None = None
        self._max = self.max_queue = max_queue
        self._queue: deque[Outgoing] | None = None  # only while something waits: ~600 bytes idle
        self._sink = sink
        self._live = False  # until `go_live`, messages wait in the queue (a replay is being sent)
        self._floors: dict[str, int] = dict(floors or {})
        sink.watch(self._flush)

    def offer(self, batch: Batch) -> bool:
        """Send or queue messages; False once, when the queue overflows and the socket must go."""
        if self._live and self._queue is None:
            unsent = self._above_floors(batch) if self._floors else batch
            if unsent is None or self._sink.write(unsent):
                return True
            batch = unsent
        if self.closing is not None:
            return True
        queue = self._queue
        if queue is None:
            queue = self._queue = deque()
        for message in batch.messages:
            if len(queue) >= self._max:
                self.close(SLOW)
                return False
            queue.append(message)
        return True

    def close(self, closing: Closing) -> None:
        """Drop whatever waits and close the socket with this code (the first reason wins)."""
        if self.closing is None:
            self.closing = closing
            self._live = False
            self._max = 0
            self._queue = None
            self._sink.close(closing.code, closing.reason)

    def sent(self, metric: str, seq: int) -> None:
        """The replay sent this point: live messages of the metric up to its seq are not sent."""
        if seq > self._floors.get(metric, 0):
            self._floors[metric] = seq

    def go_live(self) -> None:
        """The replay (if any) is over: send what queued meanwhile, then every message as it comes."""
        if self.closing is not None:
            return
        self._live = True
        self._flush()

    def _flush(self) -> None:
        """Everything that waits, in one write, once the connection takes data."""
        if not self._live or self._queue is None:
            return
        waiting = Batch(tuple(self._queue))
        unsent = self._above_floors(waiting) if self._floors else waiting
        if unsent is None or self._sink.write(unsent):
            self._queue = None

    def _above_floors(self, batch: Batch) -> Batch | None:
        """The batch without the messages the socket already has (None if nothing is left)."""
        floors = self._floors
        kept: list[Outgoing] = []
        for message in batch.messages:
            floor = floors.get(message.metric)
            if floor is None:
                kept.append(message)
            elif message.seq <= floor:
                continue
            else:
                if self._live:
                    del floors[message.metric]  # in seq order from here on: no more to drop
                kept.append(message)
        if len(kept) == len(batch.messages):
            return batch
        return Batch(kept) if kept else None
