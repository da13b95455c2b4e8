"""Notifications under a burst (issue 16): 1,000 incidents across 1,000 metrics written within one
second; how long until a local receiver has every notification, and single-point ingest p99 while
the dispatcher sends them, against its quiet value.

The incidents' outbox rows are written by `chronoview.notify.enqueue` in transactions of 100 (what
the incident write does), from this process, into the server's database.
"""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
from common import CpuMeter, Result, backend, emit, load_avg, percentile, server
from tests.notify.conftest import incident_event
from tests.notify.receivers import Receiver, always

from chronoview.notify import enqueue
from chronoview.storage import SqlStorage

INCIDENTS = 1_000
GROUPS = 10  # transactions, spread over one second
TOKEN = "bench-admin-token"  # noqa: S105 - a throwaway server of this script


class Prober:
    """Single-point POST /metrics, one after another, recording each latency."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.latencies: list[tuple[float, float]] = []  # (monotonic start, seconds)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            i = 0
            while not self._stop.is_set():
                began = time.monotonic()
                http.post("/metrics", json={"metric": "probe", "value": float(i % 10)},
                          headers={"Prefer": "return=minimal"}).raise_for_status()
                self.latencies.append((began, time.monotonic() - began))
                i += 1
                time.sleep(0.005)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def p99_ms(self, start: float, end: float) -> float:
        return 1000 * percentile([d for t, d in self.latencies if start <= t <= end], 99)


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
    hook = Receiver(always(200)).start()
    with backend(shape) as settings, server(settings, ADMIN_TOKEN=TOKEN, SIMULATED_METRICS="") as proc:
        httpx.post(f"{proc.url}/channels", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10,
                   json={"name": "bench", "kind": "webhook", "config": {"url": hook.url}, "default": True}
                   ).raise_for_status()
        prober = Prober(proc.url)
        prober.start()
        time.sleep(5)
        quiet_end = time.monotonic()
        cpu = CpuMeter(proc.process.pid)
        cpu.start()
        burst_start = time.monotonic()
        asyncio.run(_burst(settings["DATABASE_URL"]))
        written = time.monotonic() - burst_start
        deadline = burst_start + 60
        while len(hook.received) < INCIDENTS and time.monotonic() < deadline:
            time.sleep(0.02)
        all_in = time.monotonic() - burst_start
        server_cpu = cpu.stop() / all_in
        prober.stop()
        hook.stop()
        got = len(hook.received)
        quiet = prober.p99_ms(quiet_end - 4.5, quiet_end)
        busy = prober.p99_ms(burst_start, burst_start + all_in)
    note = f"{got}/{INCIDENTS} received; outbox rows written in {written:.2f} s"
    return [
        Result("1,000 incident notifications delivered", all_in if got == INCIDENTS else float("inf"), "s",
               "<= 10", got == INCIDENTS and all_in <= 10, shape, round(server_cpu, 2), notes=note),
        Result("single-point ingest p99 during the burst / quiet", busy / quiet, "x", "<= 2",
               busy / quiet <= 2, shape, notes=f"quiet {quiet:.1f} ms, during {busy:.1f} ms"),
    ]


def main() -> list[Result]:
    results: list[Result] = []
    for shape in ("embedded", "pg+redis"):
        results += run(shape)
    return results


if __name__ == "__main__":
    emit(main(), "notify")
    print(f"load {load_avg()}")
