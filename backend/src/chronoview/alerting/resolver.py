"""The resolver (SPEC §10): incidents of metrics that stopped reporting resolve by the wall clock.

One process at a time does it (with Redis: the holder of a lease; embedded: the one process),
every CHECK_SECONDS. The decision itself is the window's (`Pipeline.expire`), atomic with scoring,
so a point racing the resolver can neither extend a resolved incident nor be resolved twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from typing import TYPE_CHECKING

from chronoview.ingest import Pipeline
from chronoview.simulator import Lease, LocalLease, RedisLease
from chronoview.storage.base import Storage

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0  # SPEC §10 asks for at least every 5 s
LEASE_NAME = "chronoview:resolver"


class Resolver:
    def __init__(
        self, pipeline: Pipeline, storage: Storage, redis: Redis | None, interval: float = CHECK_SECONDS,
    ) -> None:
        self._pipeline = pipeline
        self._storage = storage
        self._interval = interval
        token = f"{os.getpid()}/{uuid.uuid4().hex[:12]}"
        # The lease outlives two missed passes, so a dead holder is replaced within ~3 intervals.
        self._lease: Lease = LocalLease() if redis is None else RedisLease(
            redis, LEASE_NAME, 3 * interval, token, prefix="")
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="incident-resolver")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._lease.release(), 1.0)

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

    async def _run(self) -> None:
        held = False
        while True:
            try:
                held = await (self._lease.renew() if held else self._lease.acquire())
                if held:
                    await self.resolve_due(time.time())
            except Exception as exc:  # the database or Redis is down: the next pass tries again
                log.warning("incident resolver pass failed: %r", exc)
            await asyncio.sleep(self._interval)
