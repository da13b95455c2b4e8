"""Retention: points, alerts and incidents (resolved) older than RETENTION_DAYS, and expired
snapshots, are deleted.

In small batches with a pause between them, so a large backlog (the first run after lowering the
setting, say) never holds long locks or starves ingest, least of all on SQLite's single writer.
Deleting is idempotent, so several API processes may run it side by side.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chronoview.periodic import Periodic
from chronoview.storage.base import Storage

log = logging.getLogger(__name__)

BATCH_ROWS = 5_000
BATCH_PAUSE_SECONDS = 0.05
INTERVAL_SECONDS = 600.0
FIRST_RUN_DELAY_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Purged:
    points: int
    alerts: int
    snapshots: int
    incidents: int = 0


async def purge(
    storage: Storage, cutoff: float, now: float | None = None,
    batch: int = BATCH_ROWS, pause: float = BATCH_PAUSE_SECONDS,
) -> Purged:
    """Delete points and alerts with ts < cutoff, incidents resolved before it and snapshots expired
    at `now`, batch by batch."""
    now = time.time() if now is None else now

    async def drain(step: Callable[[], Awaitable[int]]) -> int:
        total = 0
        while True:
            deleted = await step()
            total += deleted
            if deleted < batch:
                return total
            await asyncio.sleep(pause)

    points = 0
    for entry in await storage.catalog():
        points += await drain(functools.partial(storage.purge_points, entry.metric, cutoff, batch))
    alerts = await drain(lambda: storage.purge_alerts(cutoff, batch))
    snapshots = await drain(lambda: storage.purge_snapshots(now, batch))
    incidents = await drain(lambda: storage.purge_incidents(cutoff, batch))
    return Purged(points, alerts, snapshots, incidents)


class RetentionTask(Periodic):
    """Runs `purge` for `retention_days` now and then, in the background of the app."""

    def __init__(
        self, storage: Storage, retention_days: float,
        interval: float = INTERVAL_SECONDS, first_delay: float = FIRST_RUN_DELAY_SECONDS,
    ) -> None:
        # Jitter, so processes started together do not purge in lockstep.
        super().__init__("retention", self._purge, interval,
                         first_delay=first_delay * (0.5 + random.random()))  # noqa: S311
        self._storage = storage
        self._retention = retention_days * 86_400.0

    async def _purge(self) -> None:
        now = time.time()
        done = await purge(self._storage, now - self._retention, now)
        if done.points or done.alerts or done.snapshots or done.incidents:
            log.info("retention: deleted %d points, %d alerts, %d incidents, %d expired snapshots",
                     done.points, done.alerts, done.incidents, done.snapshots)
