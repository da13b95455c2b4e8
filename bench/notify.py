"""Notifications under a burst (issue 16): 1,000 incidents across 1,000 metrics written within one
second; how long until a local receiver has every notification, and single-point ingest p99 while
the dispatcher sends them, against its quiet value.

The incidents' outbox rows are written by `chronoview.notify.enqueue` in transactions of 100 (what
the incident write does), from this process, into the server's database. The prober and the
receiver each run in a process of their own: beside the burst writer, one interpreter's GIL would
add the writer's and the receiver's work to the prober's latencies and charge it to the server.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import time
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event

import httpx
from common import CpuMeter, Result, TreeCpuMeter, backend, emit, load_avg, percentile, server, spy
from tests.notify.conftest import incident_event
from tests.notify.receivers import Receiver, always

from chronoview.notify import enqueue
from chronoview.storage import SqlStorage

INCIDENTS = 1_000
# NOTIFY_SHAPES=embedded runs one shape only (comma-separated); the default is both.
SHAPES = tuple(os.environ.get("NOTIFY_SHAPES", "embedded,pg+redis").split(","))
GROUPS = 10  # transactions, spread over one second
TOKEN = "bench-admin-token"  # noqa: S105 - a throwaway server of this script
# Fresh interpreters: a fork would copy this process's threads' locks mid-use.
_MP = multiprocessing.get_context("spawn")


def _probe(url: str, running: Event, stop: Event, out: Connection) -> None:
    """Single-point POST /metrics, one after another; sends back (monotonic start, seconds) pairs.

    The measuring side's own pauses must not be charged to the server: with httpx and this module's
    imports loaded, the prober's full collections took 50-126 ms in the burst, inside a probe's
    timing (BENCHMARKS.md, seventh wave). Frozen after the imports and the client's set-up, the
    collector no longer walks them; what a probe allocates is still collected as it goes.
    """
    latencies: list[tuple[float, float]] = []
    with httpx.Client(base_url=url, timeout=30) as http:
        gc.collect()
        gc.freeze()
        i = 0
        while not stop.is_set():
            began = time.monotonic()
            http.post("/metrics", json={"metric": "probe", "value": float(i % 10)},
                      headers={"Prefer": "return=minimal"}).raise_for_status()
            latencies.append((began, time.monotonic() - began))
            running.set()
            i += 1
            time.sleep(0.005)
    out.send(latencies)


class Prober:
    """The single-point POST loop in a process of its own (CLOCK_MONOTONIC is shared by processes)."""

    def __init__(self, url: str) -> None:
        self._running = _MP.Event()
        self._stop = _MP.Event()
        self._recv, send = _MP.Pipe(duplex=False)
        self._process = _MP.Process(target=_probe, args=(url, self._running, self._stop, send), daemon=True)
        self.latencies: list[tuple[float, float]] = []

    def start(self) -> None:
        """Start it and return once its first request has been answered."""
        self._process.start()
        if not self._running.wait(60):
            raise RuntimeError("the prober did not start")

    def stop(self) -> None:
        self._stop.set()
        if not self._recv.poll(60):
            raise RuntimeError("the prober sent no latencies")
        self.latencies = self._recv.recv()
        self._process.join(30)

    def p99_ms(self, start: float, end: float) -> float:
        return 1000 * percentile([d for t, d in self.latencies if start <= t <= end], 99)


def _receive(ready: Connection, stop: Event, count: Synchronized) -> None:  # type: ignore[type-arg]
    """A webhook receiver answering 200, counting what it got in `count`."""
    hook = Receiver(always(200)).start()
    ready.send(hook.url)
    while not stop.wait(0.01):
        count.value = len(hook.received)
    count.value = len(hook.received)
    hook.stop()


class ReceiverProcess:
    """The local receiver in a process of its own; `received` is how many requests it has had."""

    def __init__(self) -> None:
        self._stop = _MP.Event()
        self._count: Synchronized = _MP.Value("i", 0)  # type: ignore[type-arg]
        ready, send = _MP.Pipe(duplex=False)
        self._process = _MP.Process(target=_receive, args=(send, self._stop, self._count), daemon=True)
        self._process.start()
        if not ready.poll(30):
            raise RuntimeError("the receiver did not start")
        self.url: str = ready.recv()

    @property
    def received(self) -> int:
        return int(self._count.value)

    def stop(self) -> None:
        self._stop.set()
        self._process.join(30)


async def _burst(database_url: str) -> None:
    storage = SqlStorage(database_url)
    try:
        per = INCIDENTS // GROUPS
        began = time.monotonic()
        for group in range(GROUPS):
            events = [incident_event(f"bench.m{group * per + i}") for i in range(per)]
            async with storage.connect(write=True) as conn:
                await enqueue(conn, events)
            await asyncio.sleep(max(0.0, began + (group + 1) / GROUPS - time.monotonic()))
    finally:
        await storage.close()


def run(shape: str) -> list[Result]:
    hook = ReceiverProcess()
    try:
        return _measure(shape, hook)
    finally:
        hook.stop()


def _measure(shape: str, hook: ReceiverProcess) -> list[Result]:
    with backend(shape) as settings, server(settings, ADMIN_TOKEN=TOKEN, SIMULATED_METRICS="") as proc:
        httpx.post(f"{proc.url}/channels", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10,
                   json={"name": "bench", "kind": "webhook", "config": {"url": hook.url}, "default": True}
                   ).raise_for_status()
        prober = Prober(proc.url)
        prober.start()
        time.sleep(0.5)
        # The server with its children (the dispatcher process), and the serving process alone.
        idle, idle_own = TreeCpuMeter(proc.process.pid), CpuMeter(proc.process.pid)
        idle.start()
        idle_own.start()
        time.sleep(4.5)
        quiet_end = time.monotonic()
        quiet_cpu, quiet_own = idle.stop() / 4.5, idle_own.stop() / 4.5
        cpu, own = TreeCpuMeter(proc.process.pid), CpuMeter(proc.process.pid)
        cpu.start()
        own.start()
        with spy(proc.process.pid, f"notify-{shape}"):  # BENCH_PROFILE=1
            burst_start = time.monotonic()
            asyncio.run(_burst(settings["DATABASE_URL"]))
            written = time.monotonic() - burst_start
            deadline = burst_start + 60
            while hook.received < INCIDENTS and time.monotonic() < deadline:
                time.sleep(0.02)
            all_in = time.monotonic() - burst_start
        server_cpu, own_cpu = cpu.stop() / all_in, own.stop() / all_in
        prober.stop()
        got = hook.received
        quiet = prober.p99_ms(quiet_end - 4.5, quiet_end)
        busy = prober.p99_ms(burst_start, burst_start + all_in)
    # What the burst costs the server beyond the prober's own ingest: CPU per delivered incident.
    extra_ms = 1000 * (server_cpu - quiet_cpu) * all_in / max(got, 1)
    own_ms = 1000 * (own_cpu - quiet_own) * all_in / max(got, 1)
    note = (f"{got}/{INCIDENTS} received; outbox rows written in {written:.2f} s; server CPU quiet "
            f"{quiet_cpu:.2f} cores, {extra_ms:.1f} ms more per notification ({own_ms:.1f} ms of it "
            "in the serving process)")
    return [
        Result("1,000 incident notifications delivered", all_in if got == INCIDENTS else float("inf"), "s",
               "<= 10", got == INCIDENTS and all_in <= 10, shape, round(server_cpu, 2), notes=note),
        Result("single-point ingest p99 during the burst / quiet", busy / quiet, "x", "<= 2",
               busy / quiet <= 2, shape, notes=f"quiet {quiet:.1f} ms, during {busy:.1f} ms"),
    ]


def main() -> list[Result]:
    results: list[Result] = []
    for shape in SHAPES:
        results += run(shape)
    return results


if __name__ == "__main__":
    emit(main(), "notify")
    print(f"load {load_avg()}")
