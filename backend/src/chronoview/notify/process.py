"""The dispatcher in a child process of the server's own (NOTIFY_DISPATCHER=process, the default
under `chronoview serve`).

In the serving process a burst of notifications cost ingest its latency: every send, message and
snapshot ran on the event loop that answers `POST /metrics` (BENCHMARKS.md, issue 16). Here the
server starts one child with its own interpreter, event loop and database connections, running the
same `Dispatcher`; the server only wakes it (a byte down their link when ingest stored incident
changes) and keeps it alive. The link is one duplex pipe (a socket pair): wake-up bytes go down it,
the child's delivery counts come back up it as lines (tally.py).

- The outbox is the only thing the two share: the child claims, sends and records through the
  database exactly as a second server would (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: the
  same file, WAL and a busy timeout, each transaction run without yielding: blocking.py), so every
  guarantee of outbox.py holds unchanged.
- The wake-ups are a hint: the child polls every second as any dispatcher does, so a lost byte
  (a full pipe, a restart) delays a send by a second at most.
- It dies with the server: a killed server closes the link, the child sees end-of-file and stops
  as on SIGTERM (the rows it was sending are given back). It ignores SIGINT, which a terminal sends
  to the whole process group: the server stops it itself, after its own drain.
- It is restarted when it dies (what it had claimed is due again once its leases pass).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import os
import signal
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from chronoview.config import Settings
from chronoview.notify.tally import TallyReader, TallyWriter

log = logging.getLogger(__name__)

STOP_SECONDS = 15.0  # a child still running then is killed (its sends time out after 10 s)
RESTART_SECONDS = (1.0, 30.0)  # the wait before a restart after an early death: first, longest
EARLY_DEATH_SECONDS = 10.0  # a child that lived longer than this is restarted at once
NICENESS = 10  # the child's scheduling priority below the server's
# Sends at once: no ingest shares this loop, and each round's claim and snapshots are transactions
# ingest may wait for (SQLite's one write lock), so rounds are few and large.
CONCURRENCY = 64
# A fresh interpreter: a fork would copy the server's threads' locks mid-use and its event loop.
_MP = multiprocessing.get_context("spawn")


class DispatcherProcess:
    """The server's side: starts the child, wakes it, restarts it when it dies, stops it."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._process: BaseProcess | None = None
        self._link: Connection | None = None  # the server's end of the one pipe to the child
        self._tally: TallyReader | None = None  # reading the child's counts from that end
        self._started_at = 0.0
        self._supervisor: asyncio.Task[None] | None = None
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        self._spawn()
        self._supervisor = asyncio.create_task(self._supervise(), name="notify-dispatcher-process")

    def wake(self) -> None:
        """New rows were written here: tell the child to look now instead of at its next poll."""
        if self._link is None or self._link.closed:
            return
        # Full (wake-ups already waiting) or broken (the child is being restarted): its poll covers it.
        with contextlib.suppress(OSError):
            os.write(self._link.fileno(), b"\x01")

    async def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        process, self._process = self._process, None
        if process is not None:
            process.terminate()  # SIGTERM: the child finishes as the in-loop dispatcher would
            if not await _exited(process, STOP_SECONDS):
                log.warning("notifications: the dispatcher process did not stop; killing it")
                process.kill()
                await _exited(process, 5.0)
            process.close()
        if self._tally is not None:
            self._tally.read()  # the child has exited: what it counted last, then end-of-file
            self._tally.close()  # and the link with it
            self._tally = None
        self._link = None

    def _spawn(self) -> None:
        link, childs = _MP.Pipe(duplex=True)
        process = _MP.Process(target=run, args=(self._settings, childs), name="chronoview-dispatcher",
                              daemon=True)
        process.start()
        childs.close()  # only the child holds its end: end-of-file at either end means the other is gone
        # Non-blocking here: a wake-up never waits, and the counts are read as they come. A dead
        # child's reader stops at its end-of-file by itself (closing its link); only the live one is kept.
        self._tally = TallyReader(link)
        self._process, self._link, self._started_at = process, link, time.monotonic()

    async def _supervise(self) -> None:
        pause = RESTART_SECONDS[0]
        while True:
            process = self._process
            assert process is not None
            await _exited(process, None)
            lived = time.monotonic() - self._started_at
            if lived < EARLY_DEATH_SECONDS:
                log.error("notifications: the dispatcher process exited with %s after %.1f s; "
                          "restarting it in %.0f s", process.exitcode, lived, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, RESTART_SECONDS[1])
            else:
                log.error("notifications: the dispatcher process exited with %s; restarting it",
                          process.exitcode)
                pause = RESTART_SECONDS[0]
            process.close()
            self._spawn()
            self.restarts += 1


async def _exited(process: BaseProcess, within: float | None) -> bool:
    """Wait (without blocking the loop) until `process` has exited; False if it has not `within` s."""
    if process.exitcode is not None:
        return True
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        if not done.done():
            done.set_result(None)

    loop.add_reader(process.sentinel, readable)
    try:
        await asyncio.wait_for(done, within)
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(process.sentinel)
    process.join()  # reaped: it has exited
    return True


def run(settings: Settings, link: Connection) -> None:
    """The child's entry point: dispatch until SIGTERM or until the server is gone."""
    from chronoview import serving

    serving.configure_logging()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Where both want a core, the serving process goes first: its ingest latency is what a burst
    # of sends must not spoil, and the sends have seconds to spare (SPEC §11: within 10 s).
    os.nice(NICENESS)
    import uvloop  # uvicorn[standard]'s loop, as the server's

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_dispatch(settings, link, TallyWriter(link)))


async def _dispatch(settings: Settings, link: Connection, tally: TallyWriter) -> None:
    from chronoview.notify.blocking import BlockingSqlite
    from chronoview.notify.service import build_dispatcher
    from chronoview.storage import SqlStorage, create_storage

    storage = create_storage(settings.database_url, settings.database_pooler)
    assert isinstance(storage, SqlStorage)  # the outbox needs its connections and transactions
    # On SQLite the outbox's transactions run without yielding, so they hold the lock ingest
    # waits for only as long as their SQL takes, and the snapshots' series are read on the same
    # blocking connection, without aiosqlite's thread hops (blocking.py).
    outbox_db = BlockingSqlite(settings.database_url) if storage.dialect == "sqlite" else None
    dispatcher = build_dispatcher(outbox_db or storage, outbox_db or storage, settings, CONCURRENCY, tally)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    # Left blocking: read only when readable, and the counts written up it are never dropped.
    fd = link.fileno()

    def woken() -> None:
        try:
            data = os.read(fd, 4096)
        except BlockingIOError:
            return
        if not data:  # the server is gone (killed): stop as on SIGTERM, giving back what is in hand
            log.warning("notifications: the server is gone; the dispatcher process stops")
            loop.remove_reader(fd)
            stop.set()
            return
        dispatcher.wake()

    loop.add_reader(fd, woken)
    dispatcher.start()
    gc.freeze()  # as the server does after start-up: a full collection no longer walks the modules
    log.info("notifications: dispatcher process %d started", os.getpid())
    try:
        await stop.wait()
    finally:
        loop.remove_reader(fd)
        await dispatcher.stop()
        tally.close()  # the last counts, then the link is closed
        if outbox_db is not None:
            await outbox_db.close()
        await storage.close()
