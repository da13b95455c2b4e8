"""The fan-out registry above the bus: which sockets want which metric, each with a bounded queue.

`deliver` runs once per batch and never waits. Each message becomes one WebSocket frame, built once,
and those same bytes are written to every socket subscribed to its metric, straight into its
connection (no task wakes per socket, no socket serialises or frames anything); a message waits in a
socket's bounded queue only while that connection's buffer is full. A socket whose queue overflows
is cut loose at once — removed from the registry and closed with 1013 after what it was sent — so a
slow reader never slows ingest or the other sockets.

A socket may instead ask for every metric (`metric=*`), and for the newest point of each metric at
most once a second (`mode=latest`, for the overview): one hub-wide timer then sends, each second, one
shared batch holding the newest message of every metric that moved, so thousands of metrics cost one
frame per metric per second, built once for all such sockets.

The hub also keeps, per subscribed metric, the newest timestamp it delivered, so that when the bus
reports a lost subscription and then its return, the points published in between are fetched from
the database and delivered in order, with no duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Collection, Sequence
from datetime import datetime

from chronoview.bus.base import Message
from chronoview.bus.subscription import (
    BUS_DOWN,
    MISSED,
    SHUTDOWN,
    Batch,
    Closing,
    Outgoing,
    Sink,
    Subscription,
)
from chronoview.storage.base import Storage

log = logging.getLogger(__name__)

# Two of the largest batches POST /metrics accepts: a burst is not a slow reader. The queues hold
# references to shared frames, so a full queue costs pointers, not copies.
DEFAULT_MAX_QUEUE = 20_000

# `mode=latest`: the least time between two messages of one metric on one socket.
LATEST_PERIOD = 1.0


class _Mark:
    """The newest timestamp delivered for a metric, and the messages that carried it."""

    __slots__ = ("seen", "ts")

    def __init__(self, ts: bytes, data: bytes) -> None:
        self.ts = ts
        self.seen = [data]


class Hub:
    def __init__(
        self,
        storage: Storage,
        max_queue: int | None = None,
        *,
        bus_grace: float = 15.0,
        catchup_limit: int = 10_000,
        catchup_timeout: float = 10.0,
        skip_seconds: float = 30.0,
    ) -> None:
        self._storage = storage
        self.max_queue = max_queue or DEFAULT_MAX_QUEUE
        self._bus_grace = bus_grace
        self._catchup_limit = catchup_limit
        self._catchup_timeout = catchup_timeout
        self._skip_seconds = skip_seconds
        self._by_metric: dict[str, set[Subscription]] = {}
        self._all: set[Subscription] = set()
        self._every: set[Subscription] = set()  # metric=*, every point
        self._latest: set[Subscription] = set()  # mode=latest (metric=* when `sub.metrics` is empty)
        self._newest: dict[str, tuple[bytes, bytes]] = {}  # metric -> (ts, message), for mode=latest
        self._moved: set[str] = set()  # metrics with a newer message since the last latest tick
        self._latest_timer: asyncio.TimerHandle | None = None
        self._empty = asyncio.Event()
        self._empty.set()
        self._marks: dict[str, _Mark] = {}
        self._skip: set[bytes] = set()
        self._skip_timer: asyncio.TimerHandle | None = None
        self._lost_at: float | None = None
        self._grace_timer: asyncio.TimerHandle | None = None
        self._bus_down = False
        self._shutdown: Closing | None = None

    # -- sockets

    def subscribe(self, metrics: Collection[str] | None, sink: Sink, *, latest: bool = False) -> Subscription:
        """Register a socket; from now on it is offered every message of these metrics (None: of
        every metric), or with `latest` each metric's newest message at most once a second (queued
        until its `go_live`)."""
        sub = Subscription(frozenset(metrics or ()), self.max_queue, sink)
        refusal = self._shutdown or (BUS_DOWN if self._bus_down else None)
        if refusal is not None:
            sub.close(refusal)
            return sub
        self._all.add(sub)
        self._empty.clear()
        if latest:
            self._latest.add(sub)
            if self._latest_timer is None:
                self._latest_timer = asyncio.get_running_loop().call_later(LATEST_PERIOD, self._send_latest)
        elif metrics is None:
            self._every.add(sub)
        else:
            for metric in sub.metrics:
                self._by_metric.setdefault(metric, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if sub not in self._all:
            return
        self._all.discard(sub)
        self._every.discard(sub)
        if sub in self._latest:
            self._latest.discard(sub)
            if not self._latest:
                self._newest.clear()
                self._moved.clear()
        else:
            for metric in sub.metrics:
                subs = self._by_metric.get(metric)
                if subs is not None:
                    subs.discard(sub)
                    if not subs:
                        del self._by_metric[metric]
                        self._marks.pop(metric, None)
        if not self._all:
            self._empty.set()

    @property
    def sockets(self) -> int:
        return len(self._all)

    def _evict(self, sub: Subscription, closing: Closing) -> None:
        sub.close(closing)
        self.unsubscribe(sub)

    # -- the bus listener

    def deliver(self, messages: Sequence[Message]) -> None:
        """Offer the messages to their metrics' sockets, each socket its share as one batch; never
        waits."""
        by_metric, skip, every, latest = self._by_metric, self._skip, self._every, self._latest
        ordered: list[tuple[str, Outgoing]] = []
        per_metric: dict[str, list[Outgoing]] = {}
        for metric, data in messages:
            listened = metric in by_metric
            if metric.startswith("!"):  # a stream of its own (incident events): only by name
                if listened:
                    message = Outgoing(data)
                    ordered.append((metric, message))
                    per_metric.setdefault(metric, []).append(message)
                continue
            if not (listened or every or latest):
                continue
            if skip and data in skip:  # already delivered by a catch-up
                skip.discard(data)
                continue
            if latest:
                self._keep_newest(metric, data)
            if not (listened or every):
                continue
            message = Outgoing(data)
            ordered.append((metric, message))
            if listened:
                self._note(metric, data)
                per_metric.setdefault(metric, []).append(message)
        # Sockets on several metrics get theirs in publish order, offered with the first of them.
        mixed: dict[frozenset[str], Batch] = {}
        offered: set[Subscription] = set()
        overflowed: list[Subscription] = []
        for metric, shared in per_metric.items():
            batch = Batch(shared)
            for sub in by_metric[metric]:
                if sub.single:
                    accepted = sub.offer(batch)
                elif sub in offered:
                    continue
                else:
                    offered.add(sub)
                    own = mixed.get(sub.metrics)
                    if own is None:
                        own = mixed[sub.metrics] = Batch([m for name, m in ordered if name in sub.metrics])
                    accepted = sub.offer(own)
                if not accepted:
                    overflowed.append(sub)
        if every and any(not name.startswith("!") for name, _ in ordered):
            everything = Batch([m for name, m in ordered if not name.startswith("!")])
            overflowed.extend(sub for sub in every if not sub.offer(everything))
        self._drop(overflowed)

    def _drop(self, overflowed: list[Subscription]) -> None:
        for sub in overflowed:
            log.info("closing a WebSocket that cannot keep up (%d messages queued)", self.max_queue)
            self.unsubscribe(sub)

    def _keep_newest(self, metric: str, data: bytes) -> None:
        """Remember the metric's newest message (by ts: a late point never replaces a newer one)."""
        ts = _ts_of(data)
        held = self._newest.get(metric)
        if held is None or ts >= held[0]:
            self._newest[metric] = (ts, data)
            self._moved.add(metric)

    def _send_latest(self) -> None:
        """Once a second: the newest message of every metric that moved, one shared batch for the
        `metric=*` sockets, the matching part for the others."""
        self._latest_timer = None
        if not self._latest:
            return
        if self._moved:
            newest = self._newest
            moved = [(metric, Outgoing(newest[metric][1])) for metric in self._moved]
            self._moved = set()
            everything = Batch([m for _, m in moved])
            overflowed: list[Subscription] = []
            for sub in self._latest:
                if sub.metrics:
                    own = [m for metric, m in moved if metric in sub.metrics]
                    if own and not sub.offer(Batch(own)):
                        overflowed.append(sub)
                elif not sub.offer(everything):
                    overflowed.append(sub)
            self._drop(overflowed)
        self._latest_timer = asyncio.get_running_loop().call_later(LATEST_PERIOD, self._send_latest)

    def _note(self, metric: str, data: bytes) -> None:
        ts = _ts_of(data)
        if not ts:
            return
        mark = self._marks.get(metric)
        if mark is None or ts > mark.ts:
            self._marks[metric] = _Mark(ts, data)
        elif ts == mark.ts:
            mark.seen.append(data)

    def lost(self) -> None:
        """The bus lost its subscription: remember since when; past a grace period, tell sockets."""
        if self._lost_at is not None:
            return
        self._lost_at = time.time()
        self._grace_timer = asyncio.get_running_loop().call_later(self._bus_grace, self._give_up)

    def _give_up(self) -> None:
        log.warning("live updates interrupted for %.0fs: closing %d sockets with 1013",
                    self._bus_grace, len(self._all))
        self._bus_down = True
        for sub in list(self._all):
            self._evict(sub, BUS_DOWN)

    async def resumed(self) -> None:
        """The bus is back: deliver from the database what was published while it was away."""
        lost_at = self._lost_at
        if lost_at is None:
            return
        if self._grace_timer is not None:
            self._grace_timer.cancel()
            self._grace_timer = None
        self._bus_down = False
        # A metric=* socket may have missed points of any metric: it reconnects and reloads.
        for sub in list(self._every | self._latest):
            self._evict(sub, MISSED)
        try:
            caught = 0
            for metric in list(self._by_metric):
                caught += await self._catch_up(metric, lost_at)
            log.info("live updates resumed; %d missed points delivered from the database", caught)
        finally:
            self._lost_at = None

    async def _catch_up(self, metric: str, lost_at: float) -> int:
        mark = self._marks.get(metric)
        # Points of the newest delivered millisecond count as missed unless they were delivered.
        after = _epoch(mark.ts) - 1e-6 if mark is not None else lost_at - 5.0
        seen = set(mark.seen) if mark is not None else set()
        try:
            points = await asyncio.wait_for(
                self._storage.points_after(metric, after, self._catchup_limit + 1), self._catchup_timeout
            )
        except Exception as exc:  # storage down or slow: the sockets backfill themselves
            log.warning("catch-up of %s failed (%r): closing its sockets with 1013", metric, exc)
            points = None
        if points is None or len(points) > self._catchup_limit:
            for sub in list(self._by_metric.get(metric, ())):
                self._evict(sub, MISSED)
            return 0
        messages = [(metric, data) for p in points if (data := p.encode()) not in seen]
        self.deliver(messages)
        if messages:
            self._skip.update(data for _, data in messages)
            if self._skip_timer is not None:
                self._skip_timer.cancel()
            self._skip_timer = asyncio.get_running_loop().call_later(self._skip_seconds, self._skip.clear)
        return len(messages)

    # -- shutdown

    async def close(self, wait: float = 5.0) -> None:
        """Ask every socket to close with 1001 and wait (a while) until they have."""
        if self._shutdown is None:
            self._shutdown = SHUTDOWN
            for sub in list(self._all):
                sub.close(SHUTDOWN)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._empty.wait(), wait)
        for timer in (self._grace_timer, self._skip_timer, self._latest_timer):
            if timer is not None:
                timer.cancel()


def _ts_of(data: bytes) -> bytes:
    """The message's RFC 3339 ts (fixed width: sorts as it reads), or b"" when it has none."""
    start = data.find(b'"ts":"') + 6
    return data[start:data.find(b'"', start)] if start >= 6 else b""


def _epoch(ts: bytes) -> float:
    return datetime.fromisoformat(ts.decode()).timestamp()
