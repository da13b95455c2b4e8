"""The resolver (SPEC §10): incidents of metrics that stopped reporting resolve by the wall clock.

One process at a time does it (with Redis: the holder of a lease; embedded: the one process),
every CHECK_SECONDS. The decision itself is the window's (`Pipeline.expire`), atomic with scoring,
so a point racing the resolver can neither extend a resolved incident nor be resolved twice.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from chronoview.ingest import Pipeline
from chronoview.lease import LocalLease, RedisLease, lease_token
from chronoview.periodic import Periodic
from chronoview.storage.base import Storage

if TYPE_CHECKING:
    from redis.asyncio import Redis

CHECK_SECONDS = 2.0  # SPEC §10 asks for at least every 5 s
LEASE_NAME = "chronoview:resolver"


class Resolver(Periodic):
    def __init__(
        self, pipeline: Pipeline, storage: Storage, redis: Redis | None, interval: float = CHECK_SECONDS,
    ) -> None:
        # The lease outlives two missed passes, so a dead holder is replaced within ~3 intervals.
        lease = LocalLease() if redis is None else RedisLease(redis, LEASE_NAME, 3 * interval, lease_token())
        super().__init__("incident-resolver", self._resolve_now, interval, lease=lease)
        self._pipeline = pipeline
        self._storage = storage

    async def _resolve_now(self) -> int:
        return await self.resolve_due(time.time())

    async def resolve_due(self, now: float) -> int:
        """Resolve every open incident whose resolve time `now` has passed; returns how many."""
        resolved = 0
        for incident in await self._storage.open_incidents():
            params = self._pipeline.rules.params(incident.metric)
            # The database may lag the window (writes in flight): the window decides, this only
            # skips the incidents that cannot be due yet.
            if now < incident.last_alert_at + params.resolve_after:
                continue
            if await self._pipeline.expire(incident.metric, now) is not None:
                resolved += 1
        return resolved
