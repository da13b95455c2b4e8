"""Catching up from the database after the bus lost its subscription (SPEC §6: no gap).

While the bus is away, batches published by any process may never arrive. When it is back, the
points stored after each metric's next owed seq (reorder.py) are read from the database and fed
to the reorder step like late arrivals: it sends those missing, in order, and drops the rest.
`metric=*` sockets may have missed any metric: they are closed (1013) and reload. Past a grace
period without the bus, every socket is closed and new ones are refused until it returns.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from chronoview.bus.base import messages_of
from chronoview.bus.fanout import Fanout
from chronoview.bus.reorder import Reorder
from chronoview.bus.subscription import BUS_DOWN, MISSED
from chronoview.storage.base import Storage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CatchUpLimits:
    grace: float = 15.0  # seconds the bus may stay lost before every socket is told to reconnect
    limit: int = 10_000  # points per metric read back; over it, that metric's sockets resume themselves
    timeout: float = 10.0  # seconds the read back may take


DEFAULT_LIMITS = CatchUpLimits()

class CatchUp:
    def __init__(self, storage: Storage, fanout: Fanout, reorder: Reorder,
                 limits: CatchUpLimits = DEFAULT_LIMITS) -> None:
        self._storage = storage
        self._fanout = fanout
        self._reorder = reorder
        self._limits = limits
        self._lost_at: float | None = None
        self._grace_timer: asyncio.TimerHandle | None = None
        self.bus_down = False

    def lost(self) -> None:
        """The bus lost its subscription: remember since when; past the grace period, tell sockets."""
        if self._lost_at is not None:
            return
        self._lost_at = time.time()
        self._grace_timer = asyncio.get_running_loop().call_later(self._limits.grace, self._give_up)

    def _give_up(self) -> None:
        log.warning("live updates interrupted for %.0fs: closing %d sockets with 1013",
                    self._limits.grace, self._fanout.sockets)
        self.bus_down = True
        self._fanout.evict(BUS_DOWN)

    async def resumed(self) -> None:
        """The bus is back: deliver from the database what was published while it was away."""
        if self._lost_at is None:
            return
        self.cancel()
        self.bus_down = False
        self._fanout.evict_everything_sockets(MISSED)
        try:
            caught = 0
            for metric, next_seq in self._reorder.next_seqs().items():
                caught += await self._catch_up(metric, next_seq)
            log.info("live updates resumed; %d stored points read back", caught)
        finally:
            self._lost_at = None

    async def _catch_up(self, metric: str, next_seq: int) -> int:
        try:
            points = await asyncio.wait_for(
                self._storage.points_after_seq(metric, next_seq - 1, self._limits.limit + 1),
                self._limits.timeout)
        except Exception as exc:  # storage down or slow: the sockets resume themselves
            log.warning("catch-up of %s failed (%r): closing its sockets with 1013", metric, exc)
            points = None
        if points is None or len(points) > self._limits.limit:
            self._reorder.drop(metric)
            self._fanout.evict(MISSED, metric)
            return 0
        self._reorder.push(messages_of(points))
        return len(points)

    def cancel(self) -> None:
        if self._grace_timer is not None:
            self._grace_timer.cancel()
            self._grace_timer = None
