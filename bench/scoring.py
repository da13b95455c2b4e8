"""Scoring cost per point with 300 vs 300,000 points in the window: in process and on Redis.

SPEC §4 promises O(1) amortised per in-order point whatever the window holds. Each window is filled
with `rebuild(metric, history)` (points spread evenly over 299 s, so they all stay in it), then
in-order points at the same spacing are scored in batches: every new point evicts one old one, so
the window keeps its size while it is measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from common import REPEATS, CpuMeter, Result, backend, emit, load_avg, median_of
from redis.asyncio import Redis

from chronoview.points import Point
from chronoview.window.base import WindowParams
from chronoview.window.memory import MemoryWindow
from chronoview.window.redis import RedisWindow

SIZES = (300, 300_000)
SPAN = 299.0  # seconds covered by the filled window (< W = 300)
BATCH = 100
WARMUP = 300  # batches scored before the clock starts
TARGET = 1.5
T0 = 1.75e9
QUICK = os.environ.get("BENCH_QUICK") == "1"
# ALERT_WINDOW_MAX_POINTS raised above the big window, as a deployment scoring that many would set.
PARAMS = WindowParams(max_points=max(SIZES) + BATCH)


def history(size: int) -> tuple[list[tuple[float, float]], float]:
    step = SPAN / size
    return [(T0 + i * step, 100.0 + (i % 17)) for i in range(size)], step


async def cost_per_point(
    window: MemoryWindow | RedisWindow, metric: str, size: int, count: int, meters: list[CpuMeter]
) -> tuple[float, list[float]]:
    """Seconds per scored point after filling `metric`'s window with `size` points; cores used."""
    pairs, step = history(size)
    await window.forget([metric])
    await window.rebuild(metric, pairs)
    del pairs  # the server drops a rebuild's history too; alive, it would slow every collection here
    start = T0 + size * step
    batches = [[Point(metric, start + (b * BATCH + i) * step, 100.0 + (i % 13)) for i in range(BATCH)]
               for b in range(WARMUP + count // BATCH)]
    for batch in batches[:WARMUP]:  # past the rebuild's after-effects (Lua's collector sweeping it)
        await window.score(batch)
    batches = batches[WARMUP:]
    gc.collect()
    for meter in meters:
        meter.start()
    began = time.perf_counter()
    for batch in batches:
        scores = await window.score(batch)
    elapsed = time.perf_counter() - began
    cores = [meter.stop() / elapsed for meter in meters]
    last = scores[-1]
    if last is None or last.n < size - 1:
        raise RuntimeError(f"window of {size} not filled as expected: {last}")
    await window.forget([metric])
    return elapsed / (len(batches) * BATCH), cores


@contextlib.asynccontextmanager
async def memory_window() -> AsyncIterator[MemoryWindow]:
    window = MemoryWindow(PARAMS)
    try:
        yield window
    finally:
        await window.close()


def redis_window(url: str) -> Callable[[], AbstractAsyncContextManager[RedisWindow]]:
    @contextlib.asynccontextmanager
    async def make() -> AsyncIterator[RedisWindow]:
        client = Redis.from_url(url)  # the window uses its owner's client, as in the app
        try:
            yield RedisWindow(client, PARAMS)
        finally:
            await client.aclose()

    return make


def measure(make_window, count: int, server_pid: int | None) -> dict[str, float]:  # type: ignore[no-untyped-def]
    async def once() -> dict[str, float]:
        meters = [CpuMeter(os.getpid())] + ([CpuMeter(server_pid)] if server_pid else [])
        async with make_window() as window:
            out: dict[str, float] = {}
            for size in SIZES:  # CPU reported for the big window
                out[f"cost{size}"], cores = await cost_per_point(window, f"score{size}", size, count, meters)
            out["client_cpu"] = cores[0]
            out["server_cpu"] = cores[1] if server_pid else 0.0
            return out

    return median_of(REPEATS, lambda: asyncio.run(once()))


def redis_pid(url: str) -> int:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return int(client.info("server")["process_id"])
    finally:
        client.close()


def result(shape: str, m: dict[str, float], notes: str, load: float) -> list[Result]:
    small, big = m[f"cost{SIZES[0]}"], m[f"cost{SIZES[1]}"]
    ratio = big / small
    return [Result(
        f"scoring cost per point, window {SIZES[1]:,} vs {SIZES[0]}", ratio, "x", f"<= {TARGET}",
        ratio <= TARGET, shape, m["server_cpu"] or None, m["client_cpu"],
        f"{small * 1e6:.2f} us vs {big * 1e6:.2f} us per point, batches of {BATCH}; {notes}", load,
    )]


def main() -> list[Result]:
    results = []
    m = measure(memory_window, 20_000 if QUICK else 200_000, None)
    results += result("in-process", m, "MemoryWindow in this process (client CPU = scoring)", load_avg())
    with backend("pg+redis") as settings:
        url = settings["REDIS_URL"]
        m = measure(redis_window(url), 5_000 if QUICK else 30_000, redis_pid(url))
        results += result("redis", m, "RedisWindow, window.lua; server CPU = redis-server", load_avg())
    return results


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(__file__))
    emit(main(), "scoring")
