"""A background job run every so often, by one process at a time if it has a lease.

The incident resolver and retention are such jobs: each pass is a coroutine, and a pass that fails
(the database or Redis is down) is logged, never fatal: the next pass tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from chronoview.bus.base import cancel_and_wait
from chronoview.lease import Lease, LocalLease, attempt
from chronoview.storage.base import StorageUnavailable

log = logging.getLogger(__name__)


class Periodic:
    """Runs `run_pass` every `interval` seconds (the first after `first_delay`) in a task of its
    own, while this process holds `lease`; `stop` cancels it and hands the lease back."""

    def __init__(self, name: str, run_pass: Callable[[], Awaitable[object]], interval: float, *,
                 lease: Lease | None = None, first_delay: float = 0.0) -> None:
        self.name = name
        self._run_pass = run_pass
        self._interval = interval
        self._lease = lease or LocalLease()
        self._first_delay = first_delay
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        await cancel_and_wait(task)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._lease.release(), 1.0)

    async def _run(self) -> None:
        await asyncio.sleep(self._first_delay)
        held = False
        while True:
            held = bool(await attempt(self._lease.renew if held else self._lease.acquire, self._interval))
            if held:
                try:
                    await self._run_pass()
                except StorageUnavailable as exc:
                    log.warning("%s: pass skipped: %s", self.name, exc)
                except Exception:  # the next pass tries again; the app must not lose this task
                    log.exception("%s: pass failed", self.name)
            await asyncio.sleep(self._interval)
