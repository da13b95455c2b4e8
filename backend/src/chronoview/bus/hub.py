"""The hub: what the bus delivers to this process's sockets, in seq order, with no gap.

It is the bus's listener and the sockets' registry, and only wires three parts together:
reorder.py puts each metric's messages in seq order (passing over a seq that never comes),
fanout.py hands them to the sockets, catchup.py reads back from the database what a lost bus
subscription missed; `settle` accounts, for a replay, for the seqs below where this process's
stream of a metric started. Shutdown asks every socket to go away with 1001.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection, Mapping, Sequence

from chronoview.bus.base import Message, messages_of
from chronoview.bus.catchup import DEFAULT_LIMITS, CatchUp, CatchUpLimits
from chronoview.bus.fanout import Fanout
from chronoview.bus.reorder import PASS_AFTER, Reorder
from chronoview.bus.subscription import BUS_DOWN, MISSED, SHUTDOWN, Closing, Sink, Subscription
from chronoview.points import ScoredPoint
from chronoview.storage.base import Storage

log = logging.getLogger(__name__)

# Two of the largest batches POST /metrics accepts: a burst is not a slow reader. The queues hold
# references to shared frames, so a full queue costs pointers, not copies.
DEFAULT_MAX_QUEUE = 20_000
# How often `settle` looks again for the points it waits for.
SETTLE_POLL = 0.05


class Hub:
    def __init__(
        self,
        storage: Storage,
        max_queue: int | None = None,
        *,
        catchup: CatchUpLimits = DEFAULT_LIMITS,
        pass_after: float = PASS_AFTER,
    ) -> None:
        self._storage = storage
        self.max_queue = max_queue or DEFAULT_MAX_QUEUE
        self._fanout = Fanout(self.max_queue)
        self._reorder = Reorder(self._fanout.deliver, self._pass_over, self._fanout.wants, self._failed,
                                pass_after)
        self._catchup = CatchUp(storage, self._fanout, self._reorder, catchup)
        self._pass_after = pass_after
        self._shutdown: Closing | None = None

    # -- sockets

    def subscribe(
        self, metrics: Collection[str] | None, sink: Sink, *, latest: bool = False,
        cursors: Mapping[str, int] | None = None,
    ) -> Subscription:
        """Register a socket for these metrics (None: every metric); with `latest`, each metric's
        newest point at most once a second. `cursors`: per metric, the last seq the socket has
        (SPEC §6 `since=<metric>:<seq>`); it is sent nothing at or below it."""
        sub = self._fanout.subscribe(metrics, sink, latest=latest, floors=cursors)
        refusal = self._shutdown or (BUS_DOWN if self._catchup.bus_down else None)
        if refusal is not None:
            sub.close(refusal)
            self._fanout.unsubscribe(sub)
            return sub
        for metric, seq in (cursors or {}).items():
            self._reorder.start(metric, seq)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._fanout.unsubscribe(sub)
        if not sub.metrics:
            self._reorder.prune()
        for metric in sub.metrics:
            if not self._fanout.wants(metric):
                self._reorder.drop(metric)

    def resolved(self, metric: str) -> range | None:
        """See Reorder.resolved: a replay may skip a missing seq in this range, never beyond it;
        one below it the replay settles (`settle`)."""
        return self._reorder.resolved(metric)

    async def settle(self, metric: str, seqs: range) -> list[ScoredPoint]:
        """The stored points of `seqs`, which a replay found missing below the start of the
        metric's stream here (so nobody here accounts for them), once `account_for` them."""
        await self.account_for(metric, seqs)
        stored = await self._storage.points_after_seq(metric, seqs[0] - 1, len(seqs))
        return [point for point in stored if point.score.seq < seqs.stop]

    async def account_for(self, metric: str, seqs: range) -> None:
        """Make each of `seqs` stored or passed over: one still missing is waited for as the reorder
        step would (its write may be under way at another process), then passed over, so that it
        is stored by now or never will be."""
        storage, loop = self._storage, asyncio.get_running_loop()
        deadline = loop.time() + self._pass_after
        missing = await storage.missing_seqs(metric, seqs[0], seqs[-1])
        while missing and loop.time() < deadline:
            await asyncio.sleep(SETTLE_POLL)
            missing = await storage.missing_seqs(metric, missing[0].start, missing[-1][-1])
        if missing:
            first, last = missing[0].start, missing[-1][-1]
            await storage.pass_seqs(metric, first, last)
            log.info("passed over %s seqs %d..%d that a reader waited for", metric, first, last)

    def replayed(self, sub: Subscription, metric: str, seq: int) -> None:
        """A socket's replay sent the metric's stored points up to `seq`, with no seq missing
        beyond `resolved`. When no other socket takes the metric, the order goes on after `seq`
        (else it would wait for those seqs to come live, which they did before the socket came)."""
        if self._fanout.alone(sub, metric):
            self._reorder.skip_to(metric, seq)

    @property
    def sockets(self) -> int:
        return self._fanout.sockets

    # -- the bus listener

    def deliver(self, messages: Sequence[Message]) -> None:
        """A batch from any process: in seq order to the sockets; never waits."""
        self._reorder.push(messages)

    def lost(self) -> None:
        self._catchup.lost()

    async def resumed(self) -> None:
        await self._catchup.resumed()

    async def _pass_over(self, metric: str, first: int, last: int) -> list[Message]:
        return messages_of(await self._storage.pass_seqs(metric, first, last))

    def _failed(self, metric: str) -> None:
        self._fanout.evict(MISSED, metric)

    # -- shutdown

    async def close(self, wait: float = 5.0) -> None:
        """Ask every socket to close with 1001 and wait (a while) until they have."""
        if self._shutdown is None:
            self._shutdown = SHUTDOWN
            self._fanout.close(SHUTDOWN)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._fanout.empty.wait(), wait)
        self._catchup.cancel()
        self._reorder.close()
