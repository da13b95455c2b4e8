"""The dispatcher: every process runs one; it claims due deliveries and sends them.

Sending never blocks ingest: the outbox rows are written with the incident and this task picks
them up on its own (woken at once in the process that wrote them, polled every second in the
others). Up to `concurrency` sends run at once, each with a 10 s timeout, so a hanging receiver
holds one slot, not the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import Callable

import httpx

from chronoview.notify.crypto import SecretBox, SecretsUnreadable
from chronoview.notify.kinds import Attempt, SendContext, kind_module
from chronoview.notify.kinds.alertmanager import REPOST_SECONDS
from chronoview.notify.message import Message, build_message
from chronoview.notify.outbox import Claimed, Outbox
from chronoview.notify.retry import decide
from chronoview.notify.snapshot import freeze
from chronoview.storage.base import Storage, StorageUnavailable

log = logging.getLogger(__name__)

SEND_TIMEOUT = 10.0
POLL_SECONDS = 1.0
HOUSEKEEPING_SECONDS = 600.0
PURGE_BATCH = 5_000


def quiet_http_client_logs() -> None:
    """httpx logs every request URL at INFO, and a webhook URL is a secret (SPEC §11)."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


class Dispatcher:
    def __init__(
        self, outbox: Outbox, storage: Storage, box: SecretBox, *, base_url: str, secret_key: str,
        retention_seconds: float, clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random, timeout: float = SEND_TIMEOUT,
        poll: float = POLL_SECONDS, concurrency: int = 64,
    ) -> None:
        self._outbox = outbox
        self._storage = storage
        self._box = box
        self._base_url = base_url
        self._secret_key = secret_key
        self._retention = retention_seconds
        self._clock = clock
        self._rng = rng
        self._timeout = timeout
        self._poll = poll
        self._slots = asyncio.Semaphore(concurrency)
        self._concurrency = concurrency
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sends: dict[asyncio.Task[None], Claimed] = {}
        self._snapshot_locks: dict[int, asyncio.Lock] = {}
        self._frozen: dict[int, uuid.UUID] = {}  # event id → its snapshot, made by this process
        self._http: httpx.AsyncClient | None = None
        self._last_housekeeping = 0.0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notify-dispatcher")

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            quiet_http_client_logs()
            self._http = httpx.AsyncClient(follow_redirects=False, limits=httpx.Limits(max_connections=200))
        return self._http

    @property
    def timeout(self) -> float:
        return self._timeout

    def wake(self) -> None:
        """New rows were written here: look now instead of at the next poll."""
        self._wakeup.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        interrupted = list(self._sends.values())
        for task in list(self._sends):
            task.cancel()
        if self._sends:
            await asyncio.gather(*self._sends, return_exceptions=True)
        with contextlib.suppress(StorageUnavailable):
            await self._outbox.release(interrupted, self._clock())
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _run(self) -> None:
        while True:
            try:
                claimed = await self.dispatch_due()
                await self._housekeeping()
            except StorageUnavailable as exc:
                log.warning("notifications: database unavailable (%s); trying again", exc)
                claimed = 0
            except Exception:  # the task must survive whatever one round raised
                log.exception("notifications: dispatch round failed")
                claimed = 0
            if claimed == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self._poll)
                self._wakeup.clear()

    async def dispatch_due(self) -> int:
        """Claim what is due (up to the free send slots) and start sending it; returns how many."""
        free = self._concurrency - len(self._sends)
        if free <= 0:
            await asyncio.wait(list(self._sends), return_when=asyncio.FIRST_COMPLETED)
            return 1
        claimed = await self._outbox.claim(self._clock(), free)
        for item in claimed:
            task = asyncio.create_task(self._deliver(item), name=f"notify-{item.delivery_id}")
            self._sends[task] = item
            task.add_done_callback(self._sends.pop)
        return len(claimed)

    async def drain(self) -> None:
        """Wait for the sends in flight (tests, and the bench)."""
        while self._sends:
            await asyncio.gather(*list(self._sends), return_exceptions=True)

    async def _deliver(self, item: Claimed) -> None:
        try:
            attempt = await self._attempt(item)
        except StorageUnavailable:
            attempt = Attempt("retry", error="database unavailable while preparing the message")
        now = self._clock()
        decision = decide(attempt, item.attempts, item.created_at, now, self._rng)
        repost = (now + REPOST_SECONDS if item.channel.kind == "alertmanager"
                  and item.event in ("opened", "reminder") else None)
        if decision.state == "failed":
            log.warning("notification %s to channel %d failed: %s", item.delivery_id, item.channel.id,
                        decision.reason)
        try:
            await self._outbox.finish(item, decision, attempt.status, attempt.error, now, repost)
        except StorageUnavailable:
            # The lease runs out and the row is sent again: at least once, as promised.
            log.warning("notification %s: outcome not recorded (database unavailable)", item.delivery_id)

    async def _attempt(self, item: Claimed) -> Attempt:
        module = kind_module(item.channel.kind)
        try:
            secrets = self._box.open(item.channel.secrets)
        except SecretsUnreadable as exc:
            return Attempt("fail", error=str(exc))
        config = module.Config.model_validate({**item.channel.config, **secrets})
        message = await self.message(item)
        ctx = SendContext(self.http, item.delivery_id, item.channel.name, self._base_url,
                          self._clock(), self._timeout)
        return await module.send(config, message, ctx)

    async def message(self, item: Claimed) -> Message:
        return build_message(item.event, item.payload, self._base_url, await self._snapshot_url(item))

    async def _snapshot_url(self, item: Claimed) -> str | None:
        snapshot_id = item.snapshot_id or self._frozen.get(item.event_id)
        if snapshot_id is None:
            # One event goes to several channels at once: the first of them makes the snapshot.
            async with self._snapshot_locks.setdefault(item.event_id, asyncio.Lock()):
                snapshot_id = self._frozen.get(item.event_id) or await self._freeze(item)
        return None if snapshot_id is None else f"{self._base_url}/snapshot/{snapshot_id}"

    async def _freeze(self, item: Claimed) -> uuid.UUID | None:
        message = build_message(item.event, item.payload, self._base_url, None)
        try:
            made = await freeze(self._storage, self._secret_key, message.metric, message.incident_id,
                                message.started_at, message.resolved_at, self._clock(), self._retention)
        except StorageUnavailable:
            raise
        except Exception:  # the message still goes out, without the snapshot link
            log.exception("notifications: freezing the incident's snapshot failed")
            return None
        attached = await self._outbox.set_snapshot(item.event_id, made)
        self._frozen[item.event_id] = attached
        return attached

    async def _housekeeping(self) -> None:
        now = self._clock()
        if now - self._last_housekeeping < HOUSEKEEPING_SECONDS:
            return
        self._last_housekeeping = now
        self._frozen.clear()
        self._snapshot_locks.clear()
        deleted = PURGE_BATCH
        while deleted == PURGE_BATCH:  # in batches, so a backlog never holds long locks
            deleted = await self._outbox.purge(now - self._retention, PURGE_BATCH)
