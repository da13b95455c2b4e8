"""The dispatcher: every process runs one; it claims due deliveries and sends them.

Sending never blocks ingest: the outbox rows are written with the incident and this task picks
them up on its own (woken at once in the process that wrote them, polled every second in the
others). Up to `concurrency` sends run at once, each with a 10 s timeout, so a hanging receiver
holds one slot, not the queue. In the serving process's event loop the dispatcher keeps few sends
in flight (CONCURRENCY: every step of an ingest request waits behind the callbacks ready before
it); a dispatcher process of its own keeps more (process.py). It claims in rounds of at least half
its slots, never one row per finished send. The database work is batched like ingest's group
commit: one transaction freezes the snapshots of a claimed round, and outcomes are recorded
together, one statement and one commit for whatever finished in the last RECORD_SECONDS (a burst
of 1,000 incidents is a few dozen commits, not thousands competing with ingest for SQLite's one
writer).
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
from chronoview.notify.message import build_message
from chronoview.notify.outbox import Claimed, Outbox, Outcome
from chronoview.notify.reminders import remind
from chronoview.notify.retry import decide
from chronoview.notify.snapshot import build
from chronoview.notify.tally import Tally, count_here
from chronoview.series import SeriesSource
from chronoview.storage.base import SnapshotRecord, StorageUnavailable

log = logging.getLogger(__name__)

SEND_TIMEOUT = 10.0
POLL_SECONDS = 1.0
HOUSEKEEPING_SECONDS = 600.0
REMINDER_CHECK_SECONDS = 5.0
PURGE_BATCH = 5_000
CONCURRENCY = 16  # sends at once (in the serving process's loop; a dispatcher process sends more)
# A claim waits until at least this share of the send slots is free (unless nothing is in flight).
BATCH_SHARE = 2
RECORD_SECONDS = 0.1  # outcomes are recorded at most this often: a commit per 0.1 s, not per send
SNAPSHOT_READS = 8  # series read at once while freezing a round's snapshots


def quiet_http_client_logs() -> None:
    """httpx logs every request URL at INFO, and a webhook URL is a secret (SPEC §11)."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


class Dispatcher:
    def __init__(
        self, outbox: Outbox, storage: SeriesSource, box: SecretBox, *, base_url: str, secret_key: str,
        retention_seconds: float, concurrency: int = CONCURRENCY, tally: Tally = count_here,
        clock: Callable[[], float] = time.time, rng: Callable[[], float] = random.random,
    ) -> None:
        self._outbox = outbox
        self._storage = storage
        self._box = box
        self._base_url = base_url
        self._secret_key = secret_key
        self._retention = retention_seconds
        self._clock = clock
        self._rng = rng
        self._concurrency = concurrency
        self._tally = tally
        self._wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._sends: dict[asyncio.Task[None], Claimed] = {}
        self._outcomes: list[Outcome] = []
        self._recorded = asyncio.Event()
        self._to_record = asyncio.Event()
        self._frozen: dict[int, uuid.UUID] = {}  # event id → its snapshot, made by this process
        self._http: httpx.AsyncClient | None = None
        self._last_housekeeping = 0.0
        self._last_reminders = 0.0

    @property
    def outbox(self) -> Outbox:
        return self._outbox

    @property
    def box(self) -> SecretBox:
        return self._box

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            quiet_http_client_logs()
            self._http = httpx.AsyncClient(follow_redirects=False, limits=httpx.Limits(max_connections=200))
        return self._http

    def start(self) -> None:
        # Built now: its TLS context takes tens of ms, a stall of the loop a burst's first send would cause.
        _ = self.http
        self._tasks = [asyncio.create_task(self._run(), name="notify-dispatcher"),
                       asyncio.create_task(self._record_outcomes(), name="notify-recorder")]

    def wake(self) -> None:
        """New rows were written here: look now instead of at the next poll."""
        self._wakeup.set()

    async def stop(self) -> None:
        loop, recorder = self._tasks[:1], self._tasks[1:]
        for task in loop:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        interrupted = list(self._sends.values())
        for task in list(self._sends):
            task.cancel()
        if self._sends:
            await asyncio.gather(*self._sends, return_exceptions=True)
        for task in recorder:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        with contextlib.suppress(StorageUnavailable):
            await self._flush()
            finished = {outcome.item.id for outcome in self._outcomes}
            await self._outbox.release([i for i in interrupted if i.id not in finished], self._clock())
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
                    await asyncio.wait_for(self._wakeup.wait(), POLL_SECONDS)
                self._wakeup.clear()

    async def dispatch_due(self) -> int:
        """Claim what is due (up to the free send slots) and start sending it; returns how many."""
        free = self._concurrency - len(self._sends)
        if free < self._concurrency // BATCH_SHARE and self._sends:
            await asyncio.wait(list(self._sends), return_when=asyncio.FIRST_COMPLETED)
            return 1
        claimed = await self._outbox.claim(self._clock(), free)
        if not claimed:
            return 0
        try:
            await self._freeze(claimed)
        except Exception as exc:  # the round is claimed: send it, without snapshot links
            log.warning("notifications: no snapshots for this round (%r)", exc)
        for item in claimed:
            snapshot_id = item.snapshot_id or self._frozen.get(item.event_id)
            task = asyncio.create_task(self._deliver(item, snapshot_id), name=f"notify-{item.delivery_id}")
            self._sends[task] = item
            task.add_done_callback(self._sends.pop)
        return len(claimed)

    async def drain(self) -> None:
        """Wait until the sends in flight are sent and recorded (tests, and the bench)."""
        while self._sends:
            await asyncio.gather(*list(self._sends), return_exceptions=True)
        await self._flush()

    async def _deliver(self, item: Claimed, snapshot_id: uuid.UUID | None) -> None:
        attempt = await self._attempt(item, snapshot_id)
        now = self._clock()
        decision = decide(attempt, item.attempts, item.created_at, now, self._rng)
        self._tally(item.channel.kind, decision.state)
        repost = (now + REPOST_SECONDS if item.channel.kind == "alertmanager"
                  and item.event in ("opened", "reminder") else None)
        if decision.state == "failed":
            log.warning("notification %s to channel %d failed: %s", item.delivery_id, item.channel.id,
                        decision.reason)
        self._outcomes.append(Outcome(item, decision, attempt.status, attempt.error, now, repost))
        self._to_record.set()

    async def _record_outcomes(self) -> None:
        while True:
            await self._to_record.wait()
            try:
                await self._flush()
                await asyncio.sleep(RECORD_SECONDS)  # what finishes meanwhile goes in the next commit
            except StorageUnavailable:
                # Their leases run out and the rows are sent again: at least once, as promised.
                log.warning("notifications: outcomes not recorded (database unavailable)")
                await asyncio.sleep(POLL_SECONDS)
            except Exception:
                log.exception("notifications: recording outcomes failed")
                await asyncio.sleep(POLL_SECONDS)

    async def _flush(self) -> None:
        self._to_record.clear()
        batch, self._outcomes = self._outcomes, []
        try:
            await self._outbox.finish(batch)
        except BaseException:
            self._outcomes[:0] = batch
            raise

    async def _attempt(self, item: Claimed, snapshot_id: uuid.UUID | None) -> Attempt:
        module = kind_module(item.channel.kind)
        try:
            secrets = self._box.open(item.channel.secrets)
        except SecretsUnreadable as exc:
            return Attempt("fail", error=str(exc))
        config = module.Config.model_validate({**item.channel.config, **secrets})
        snapshot_url = None if snapshot_id is None else f"{self._base_url}/snapshot/{snapshot_id}"
        message = build_message(item.event, item.payload, self._base_url, snapshot_url)
        ctx = SendContext(self.http, item.delivery_id, item.channel.name, self._base_url,
                          self._clock(), SEND_TIMEOUT)
        return await module.send(config, message, ctx)

    async def _freeze(self, claimed: list[Claimed]) -> None:
        """The snapshots the round's events link to, made and attached in one transaction."""
        needed = {item.event_id: item for item in claimed
                  if item.snapshot_id is None and item.event_id not in self._frozen}
        made: dict[int, SnapshotRecord] = {}
        now = self._clock()
        reads = asyncio.Semaphore(SNAPSHOT_READS)

        async def one(event_id: int, item: Claimed) -> None:
            message = build_message(item.event, item.payload, self._base_url, None)
            async with reads:
                try:
                    made[event_id] = await build(self._storage, self._secret_key, message.metric,
                                                 message.incident_id, message.started_at, message.resolved_at,
                                                 now, self._retention)
                except StorageUnavailable:
                    raise
                except Exception:  # that message still goes out, without the snapshot link
                    log.exception("notifications: freezing an incident's snapshot failed")

        await asyncio.gather(*(one(event_id, item) for event_id, item in needed.items()))
        self._frozen.update(await self._outbox.attach_snapshots(made))

    async def _housekeeping(self) -> None:
        now = self._clock()
        if now - self._last_reminders >= REMINDER_CHECK_SECONDS:
            self._last_reminders = now
            if await remind(self._outbox.db, now):
                self.wake()
        if now - self._last_housekeeping < HOUSEKEEPING_SECONDS:
            return
        self._last_housekeeping = now
        self._frozen.clear()
        deleted = PURGE_BATCH
        while deleted == PURGE_BATCH:  # in batches, so a backlog never holds long locks
            deleted = await self._outbox.purge(now - self._retention, PURGE_BATCH)
