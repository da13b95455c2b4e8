"""Retention: points, alerts and incidents (resolved) older than RETENTION_DAYS, expired
snapshots, and the ranges of passed seqs (SPEC §6) passed more than a day ago, are deleted.

The seqs of deleted points become passed, as one range from the metric's first seq (its floor), so
a reader never waits for them as if their writes were under way. A passed seq's range must outlive
any write that may still carry the seq — a request and its retries, seconds — so a day is ample;
each metric's highest range stays, as its seq counter resumes above it, and so does its lowest, the
floor. A replay that later finds a seq of a deleted range missing passes it over again.

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

from chronoview.periodic import Periodic
from chronoview.storage.base import Storage

log = logging.getLogger(__name__)

BATCH_ROWS = 5_000
BATCH_PAUSE_SECONDS = 0.05
INTERVAL_SECONDS = 600.0
FIRST_RUN_DELAY_SECONDS = 30.0
PASSED_SEQS_KEPT_SECONDS = 86_400.0


async def purge(
    storage: Storage, cutoff: float, now: float | None = None,
    batch: int = BATCH_ROWS, pause: float = BATCH_PAUSE_SECONDS,
) -> dict[str, int]:
    """Delete points and alerts with ts < cutoff, incidents resolved before it, snapshots expired
    at `now` and ranges of seqs passed over more than a day before `now` (each metric's highest and
    lowest excepted), batch by batch; returns how many rows of each went."""
    now = time.time() if now is None else now
    steps: list[tuple[str, Callable[[], Awaitable[int]]]] = [
        ("points", functools.partial(storage.purge_points, entry.metric, cutoff, batch))
        for entry in await storage.catalog()
    ]
    steps += [("alerts", lambda: storage.purge_alerts(cutoff, batch)),
              ("snapshots", lambda: storage.purge_snapshots(now, batch)),
              ("incidents", lambda: storage.purge_incidents(cutoff, batch)),
              ("passed_seqs", lambda: storage.purge_passed_seqs(now - PASSED_SEQS_KEPT_SECONDS, batch))]
    deleted = dict.fromkeys(("points", "alerts", "incidents", "snapshots", "passed_seqs"), 0)
    for kind, step in steps:
        while True:
            rows = await step()
            deleted[kind] += rows
            if rows < batch:
                break
            await asyncio.sleep(pause)
    return deleted


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
        deleted = await purge(self._storage, now - self._retention, now)
        if any(deleted.values()):
            log.info("retention: deleted %s", ", ".join(f"{rows} {kind}" for kind, rows in deleted.items()))
