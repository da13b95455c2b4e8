"""Line-protocol ingest: 5,000-line gzip bodies, as Telegraf sends them, to POST /api/v2/write.

Each line is one series of 10 (`cpu,cpu=cpuN,host=web1`) with 2 numeric fields, a string field
and a nanosecond timestamp: 10,000 points per body, 20 metrics. One client posts the bodies one
after another (Telegraf's output writes one batch at a time) and waits for each 204.
"""

from __future__ import annotations

import gzip
import itertools
import time

import httpx
from common import REPEATS, CpuMeter, Result, backend, emit, median_of, server

BODIES = 20
LINES = 5_000
FIELDS = 2  # numeric fields per line (each a point)
T0_NS = 1_750_000_000 * 10**9


def _bodies(run: int) -> list[bytes]:
    """The bodies of run `run`: stamped after those of every earlier run, as Telegraf's data goes
    on (the same stamps again would be a re-post of stored points, each late for its window)."""
    bodies = []
    for b in range(BODIES):
        lines = []
        for i in range(LINES):
            n = (run * BODIES + b) * LINES + i
            lines.append(f'cpu,cpu=cpu{n % 10},host=web1 usage_user={n % 97 / 7:.4f},'
                         f'usage_idle={90 + n % 11}i,state="ok" {T0_NS + n * 10**7}')
        bodies.append(gzip.compress("\n".join(lines).encode(), 6))
    return bodies


def run(url: str, pid: int, bodies: list[bytes]) -> dict[str, float]:
    meter = CpuMeter(pid)
    points = len(bodies) * LINES * FIELDS
    headers = {"content-encoding": "gzip", "content-type": "text/plain; charset=utf-8"}
    with httpx.Client(base_url=url, timeout=120) as client:
        meter.start()
        began = time.monotonic()
        for body in bodies:
            response = client.post("/api/v2/write?org=o&bucket=b&precision=ns", content=body,
                                   headers=headers)
            if response.status_code != 204:
                raise RuntimeError(f"write answered {response.status_code}: {response.text[:200]}")
        wall = time.monotonic() - began
        cpu = meter.stop()
    return {"pps": points / wall, "server_cpu": cpu / wall, "cpu_us": cpu / points * 1e6}


def main() -> list[Result]:
    results = []
    for shape, target in (("embedded", 100_000), ("pg+redis", 60_000)):
        with backend(shape) as settings, server(settings) as proc:
            run(proc.url, proc.process.pid, _bodies(0)[:2])  # warm-up: caches, pool, windows
            runs = itertools.count(1)
            r = median_of(REPEATS, lambda runs=runs: run(proc.url, proc.process.pid, _bodies(next(runs))))
            results.append(Result(
                "line protocol, 5,000-line gzip bodies (10,000 points)", r["pps"], "points/s",
                f">= {target}", r["pps"] >= target, shape, r["server_cpu"],
                notes=f"server CPU {r['cpu_us']:.2f} us per point; {BODIES} bodies per run, "
                      "one client, sequential"))
    return results


if __name__ == "__main__":
    emit(main(), "lineprotocol")
