"""CSV export of 1,000,000 rows, from PostgreSQL and from SQLite: rows/s, and the server's RSS growth.

The server runs its migrations at start-up; the rows are then written straight into `points` with
one INSERT ... SELECT over generate_series (PostgreSQL) or a recursive CTE (SQLite), 10 rows a
second over the last 100,000 s (about 27.8 h), and
GET /export/csv?metric=big&hours=28 is read to the end by a client that only counts lines. A thread
samples the server's RSS every 20 ms while the stream runs.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import asyncpg
import httpx
import psutil
from common import REPEATS, CpuMeter, Result, backend, emit, load_avg, median_of, server, spy

ROWS = 1_000_000
RATE = 10  # rows per second of data
TARGET_RPS = 500_000
TARGET_RSS_MB = 50.0

FILL = """
INSERT INTO points (metric, ts, value, zscore, alert, mean, std, n, seq)
SELECT 'big', now() - make_interval(secs => ($1 - g) / $2::float8),
       100 + (g % 97) * 0.25, NULL, false, 100.0, 1.5, 300, g
FROM generate_series(1, $1) AS g
"""


# SQLite holds timestamps as SQLAlchemy's text, 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC).
FILL_SQLITE = """
WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < :rows),
     t(x, us) AS (SELECT x, :now_us - (:rows - x) * (1000000 / :rate) FROM g)
INSERT INTO points (metric, ts, value, zscore, alert, mean, std, n, seq)
SELECT 'big', strftime('%Y-%m-%d %H:%M:%S', us / 1000000, 'unixepoch') || printf('.%06d', us % 1000000),
       100 + (x % 97) * 0.25, NULL, 0, 100.0, 1.5, 300, x
FROM t
"""


def fill_sqlite(url: str) -> None:
    conn = sqlite3.connect(url.removeprefix("sqlite+aiosqlite:///"), timeout=30)
    try:
        with conn:
            conn.execute(FILL_SQLITE, {"rows": ROWS, "rate": RATE, "now_us": int(time.time() * 1e6)})
        conn.execute("ANALYZE")
    finally:
        conn.close()


async def fill(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(FILL, ROWS, RATE)
        await conn.execute("ANALYZE points")
    finally:
        await conn.close()


class RssSampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.process, self.every = psutil.Process(pid), every
        self.peak = self.process.memory_info().rss
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.every)


def once(url: str, pid: int) -> dict[str, float]:
    before = psutil.Process(pid).memory_info().rss
    sampler = RssSampler(pid)
    meter, client_meter = CpuMeter(pid), CpuMeter(psutil.Process().pid)
    rows = -1  # the header line
    size = 0
    with httpx.Client(base_url=url, timeout=120) as client:
        sampler.start()
        meter.start()
        client_meter.start()
        began = time.perf_counter()
        with client.stream("GET", "/export/csv", params={"metric": "big", "hours": 28}) as response:
            response.raise_for_status()
            for chunk in response.iter_bytes(1 << 16):
                rows += chunk.count(b"\n")
                size += len(chunk)
        wall = time.perf_counter() - began
        sampler.done.set()
        sampler.join()
    if rows != ROWS:
        raise RuntimeError(f"export returned {rows} rows, expected {ROWS}")
    return {"rps": rows / wall, "seconds": wall, "growth_mb": (sampler.peak - before) / 2**20,
            "rss_mb": sampler.peak / 2**20, "server_cpu": meter.stop() / wall,
            "client_cpu": client_meter.stop() / wall, "mb": size / 2**20}


def measure(shape: str) -> list[Result]:
    with backend(shape) as settings, server(settings) as proc:
        if shape == "embedded":
            fill_sqlite(settings["DATABASE_URL"])
        else:
            asyncio.run(fill(settings["DATABASE_URL"]))
        pid = proc.process.pid
        with spy(pid, f"export-{shape}"):
            first = once(proc.url, pid)
        # Bounded: repeat only while the whole script stays well inside its two minutes.
        runs = REPEATS if first["seconds"] * REPEATS <= 20 else 1
        m = median_of(runs, lambda: once(proc.url, pid)) if runs > 1 else first
        load = load_avg()
        notes = (f"{ROWS:,} rows, {m['mb']:.0f} MB of CSV in {m['seconds']:.2f} s; peak server RSS "
                 f"{m['rss_mb']:.0f} MB; client counts lines only; median of {runs} run(s)")
        return [
            Result("CSV export, 1,000,000 rows", m["rps"], "rows/s", f">= {TARGET_RPS:,}",
                   m["rps"] >= TARGET_RPS, shape, m["server_cpu"], m["client_cpu"], notes, load),
            Result("CSV export, server RSS growth during stream", m["growth_mb"], "MB",
                   f"<= {TARGET_RSS_MB:g}", m["growth_mb"] <= TARGET_RSS_MB, shape,
                   m["server_cpu"], m["client_cpu"], "peak RSS during the stream minus RSS before it", load),
        ]


def main() -> list[Result]:
    return measure("pg+redis") + measure("embedded")


if __name__ == "__main__":
    emit(main(), "export")
