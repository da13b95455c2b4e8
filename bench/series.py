"""GET /metrics/{m}/series?hours=24&max_points=1000 over 86,400 points at 1 Hz: PostgreSQL and SQLite.

The day of points is posted through POST /metrics in 10,000-point batches (the real write path),
ending at the server's now, so `hours=24` covers all of them. Then the same request is repeated:
a few warm-up requests, then timed ones; median and p95 of each run, medians over REPEATS runs.
"""

from __future__ import annotations

import statistics
import time

import httpx
import orjson
from common import REPEATS, CpuMeter, Result, backend, emit, load_avg, median_of, percentile, server, spy

POINTS = 86_400
BATCH = 10_000
WARMUP = 3
REQUESTS = 20
TARGET_MS = 100.0
PATH = "/metrics/day/series?hours=24&max_points=1000"


def fill(client: httpx.Client) -> None:
    end = time.time() - 1
    start = end - POINTS + 1
    for first in range(0, POINTS, BATCH):
        body = orjson.dumps([
            {"metric": "day", "value": 100.0 + (i % 60) * 0.5 + (25.0 if i % 3607 == 0 else 0.0),
             "ts": start + i}
            for i in range(first, min(first + BATCH, POINTS))
        ])
        client.post("/metrics", content=body, headers={
            "content-type": "application/json", "prefer": "return=minimal"}).raise_for_status()


def timed(client: httpx.Client, pid: int) -> dict[str, float]:
    for _ in range(WARMUP):
        client.get(PATH).raise_for_status()
    meter = CpuMeter(pid)
    times = []
    meter.start()
    began = time.perf_counter()
    for _ in range(REQUESTS):
        t = time.perf_counter()
        response = client.get(PATH)
        times.append((time.perf_counter() - t) * 1000)
        response.raise_for_status()
    wall = time.perf_counter() - began
    body = response.json()
    points = body.get("points", body) if isinstance(body, dict) else body
    return {"median": statistics.median(times), "p95": percentile(times, 95),
            "server_cpu": meter.stop() / wall, "returned": float(len(points))}


def main() -> list[Result]:
    results = []
    for shape, label in (("pg+redis", "PostgreSQL"), ("embedded", "SQLite")):
        with backend(shape) as settings, server(settings) as proc, \
                httpx.Client(base_url=proc.url, timeout=60) as client:
            fill(client)
            m = median_of(REPEATS, lambda: timed(client, proc.process.pid))
            with spy(proc.process.pid, f"series-{shape}"):  # an extra run, profiled (BENCH_PROFILE=1)
                timed(client, proc.process.pid)
            load = load_avg()
            notes = (f"{POINTS:,} points, {int(m['returned'])} returned; {REQUESTS} sequential "
                     f"requests per run after {WARMUP} warm-up, median of {REPEATS} runs")
            for stat in ("median", "p95"):
                results.append(Result(
                    f"GET series 24 h, max_points=1000 ({stat})", m[stat], "ms", f"<= {TARGET_MS:g}",
                    m[stat] <= TARGET_MS, f"{shape} ({label})", m["server_cpu"], None, notes, load))
    return results


if __name__ == "__main__":
    emit(main(), "series")
