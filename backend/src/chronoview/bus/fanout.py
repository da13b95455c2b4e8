"""Fan-out: which sockets want which metric, and handing each its share of a batch of messages.

`deliver` runs once per batch (already in seq order per metric, see reorder.py) and never waits.
Each message becomes one WebSocket frame, built once, and those same bytes are written to every
socket subscribed to its metric, straight into its connection (no task wakes per socket, no socket
serialises or frames anything); a message waits in a socket's bounded queue only while that
connection's buffer is full. A socket whose queue overflows is cut loose at once — removed from the
registry and closed with 1013 after what it was sent — so a slow reader never slows ingest or the
other sockets.

A socket may instead ask for every metric (`metric=*`), and for the newest point of each metric at
most once a second (`mode=latest`, for the overview): one timer then sends, each second, one shared
batch holding the newest message of every metric that moved, so thousands of metrics cost one frame
per metric per second, built once for all such sockets.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Mapping, Sequence

from chronoview.bus.base import Message
from chronoview.bus.subscription import Batch, Closing, Outgoing, Sink, Subscription

log = logging.getLogger(__name__)

# `mode=latest`: the least time between two messages of one metric on one socket.
LATEST_PERIOD = 1.0


class Fanout:
    def __init__(self, max_queue: int) -> None:
        self.max_queue = max_queue
        self._by_metric: dict[str, set[Subscription]] = {}
        self._all: set[Subscription] = set()
        self._every: set[Subscription] = set()  # metric=*, every point
        self._latest: set[Subscription] = set()  # mode=latest (metric=* when `sub.metrics` is empty)
        self._newest: dict[str, Message] = {}  # metric -> its newest message, for mode=latest
        self._moved: set[str] = set()  # metrics with a newer message since the last latest tick
        self._latest_timer: asyncio.TimerHandle | None = None
        self.empty = asyncio.Event()
        self.empty.set()

    def subscribe(
        self, metrics: Collection[str] | None, sink: Sink, *, latest: bool = False,
        floors: Mapping[str, int] | None = None,
    ) -> Subscription:
        """Register a socket; from now on it is offered every message of these metrics (None: of
        every metric) with a seq above its floor, or with `latest` each metric's newest message at
        most once a second (queued until its `go_live`)."""
        sub = Subscription(frozenset(metrics or ()), self.max_queue, sink, floors)
        self._all.add(sub)
        self.empty.clear()
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
        if not self._all:
            self.empty.set()

    @property
    def sockets(self) -> int:
        return len(self._all)

    def wants(self, metric: str) -> bool:
        """Whether any socket takes this metric's points."""
        return metric in self._by_metric or bool(self._every or self._latest)

    def alone(self, sub: Subscription, metric: str) -> bool:
        """Whether `sub` is the only socket that takes this metric's points."""
        return self._by_metric.get(metric) == {sub} and not (self._every or self._latest)

    def evict(self, closing: Closing, metric: str | None = None) -> None:
        """Close the sockets of `metric` (None: every socket) with this code; also those of
        `metric=*`, which take every metric."""
        if metric is None:
            subs = set(self._all)
        else:
            subs = self._by_metric.get(metric, set()) | self._every | self._latest
        for sub in subs:
            sub.close(closing)
            self.unsubscribe(sub)

    def evict_everything_sockets(self, closing: Closing) -> None:
        """Close the `metric=*` sockets (they may have missed points of any metric)."""
        for sub in self._every | self._latest:
            sub.close(closing)
            self.unsubscribe(sub)

    def deliver(self, messages: Sequence[Message]) -> None:
        """Offer the messages to their metrics' sockets, each socket its share as one batch, in
        the order given; never waits."""
        by_metric, every, latest = self._by_metric, self._every, self._latest
        ordered: list[tuple[str, Outgoing]] = []
        per_metric: dict[str, list[Outgoing]] = {}
        for message in messages:
            metric = message.metric
            listened = metric in by_metric
            if metric.startswith("!"):  # a stream of its own (incident events): only by name
                if listened:
                    outgoing = Outgoing(message.data, metric, message.seq)
                    ordered.append((metric, outgoing))
                    per_metric.setdefault(metric, []).append(outgoing)
                continue
            if latest:
                self._keep_newest(message)
            if not (listened or every):
                continue
            outgoing = Outgoing(message.data, metric, message.seq)
            ordered.append((metric, outgoing))
            if listened:
                per_metric.setdefault(metric, []).append(outgoing)
        # Sockets on several metrics get theirs in the order given, offered with the first of them.
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

    def _keep_newest(self, message: Message) -> None:
        """Remember the metric's newest message (by ts: a late point never replaces a newer one)."""
        held = self._newest.get(message.metric)
        if held is None or message.ts >= held.ts:
            self._newest[message.metric] = message
            self._moved.add(message.metric)

    def _send_latest(self) -> None:
        """Once a second: the newest message of every metric that moved, one shared batch for the
        `metric=*` sockets, the matching part for the others."""
        self._latest_timer = None
        if not self._latest:
            return
        if self._moved:
            newest = self._newest
            moved = [(m, Outgoing(newest[m].data, m, newest[m].seq)) for m in self._moved]
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

    def close(self, closing: Closing) -> None:
        """Ask every socket to close with this code; stop the latest-mode timer."""
        for sub in list(self._all):
            sub.close(closing)
        if self._latest_timer is not None:
            self._latest_timer.cancel()
