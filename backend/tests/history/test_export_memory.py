"""Big CSV exports from PostgreSQL through a real server: memory flat in the row count, a stalled
reader stalls the COPY, and no connection or cursor is left behind by clients that walk away."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest

from chronoview.export.cells import CsvOptions
from chronoview.export.stream import csv_lines
from chronoview.storage.sql import SqlStorage
from tests.server import running_server

pytestmark = pytest.mark.slow

ROWS = 500_000
BASE = datetime(2025, 6, 15, tzinfo=UTC)
RSS_GROWTH_LIMIT = 60 * 1024 * 1024  # generous: buffering the rows would take several times this


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _fill(url: str, rows: int = ROWS) -> None:
    conn = await asyncpg.connect(_plain(url), timeout=10)
    try:
        await conn.execute("""
            INSERT INTO points (metric, ts, value, zscore, alert, mean, std, n, seq)
            SELECT 'big', $1::timestamptz + g * interval '1 second', sin(g / 500.0) * 100,
                   NULL, false, NULL, NULL, 0, g + 1
            FROM generate_series(0, $2::int - 1) AS g""", BASE, rows)
        await conn.execute("ANALYZE points")
    finally:
        await conn.close()


class PeakRss:
    """Samples a process's resident memory in the background and keeps the highest."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self.peak = self._process.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def test_a_half_million_row_export_keeps_server_memory_flat(pg_url: str, tmp_path: Path) -> None:
    with running_server(tmp_path, DATABASE_URL=pg_url) as server:  # migrates the database
        asyncio.run(_fill(pg_url))
        url = f"{server.url}/export/csv"
        window = {"metric": "big", "from": "2025-06-15T00:00:00Z", "to": "2025-06-30T00:00:00Z"}
        with httpx.Client(timeout=120) as http:
            # Warm up every code path on a small range first, so the baseline is honest.
            small = http.get(url, params={**window, "to": "2025-06-15T01:00:00Z"})
            assert small.status_code == 200
            assert small.text.count("\n") == 3_602  # header + 3,601 rows, both ends included
            server_process = psutil.Process(server.process.pid)
            baseline = server_process.memory_info().rss
            lines = 0
            previous = b""
            tail = b""
            with PeakRss(server.process.pid) as rss, http.stream("GET", url, params=window) as response:
                assert response.status_code == 200
                assert response.headers["content-type"] == "text/csv; charset=utf-8"
                for chunk in response.iter_bytes():
                    data = tail + chunk
                    *complete, tail = data.split(b"\r\n")
                    for line in complete:
                        if lines:  # rows come in ascending time: compare the ts column
                            stamp = line.rsplit(b",", 1)[1]
                            assert stamp > previous
                            previous = stamp
                        lines += 1
        growth = rss.peak - baseline
        print(f"exported {lines - 1} rows; server RSS {baseline / 2**20:.0f} MiB, "
              f"peak +{growth / 2**20:.1f} MiB")
        assert tail == b""
        assert lines == ROWS + 1
        assert growth < RSS_GROWTH_LIMIT


async def _idle_in_transaction(url: str) -> int:
    conn = await asyncpg.connect(_plain(url), timeout=10)
    try:
        return int(await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"))
    finally:
        await conn.close()


def test_clients_that_leave_mid_export_leave_nothing_open(pg_url: str, tmp_path: Path) -> None:
    """More abandoned downloads than the pool has connections: a leak would hang the next one."""
    with running_server(tmp_path, DATABASE_URL=pg_url) as server:
        asyncio.run(_fill(pg_url, rows=200_000))  # ~8 MB: more than the socket buffers hold
        url = f"{server.url}/export/csv"
        window = {"metric": "big", "from": "2025-06-15T00:00:00Z", "to": "2025-06-30T00:00:00Z"}
        for _ in range(35):  # the pool holds 10 + 20 overflow
            with httpx.Client(timeout=20) as http, http.stream("GET", url, params=window) as response:
                assert response.status_code == 200
                next(response.iter_bytes())
        with httpx.Client(timeout=20) as http:
            small = http.get(url, params={**window, "to": "2025-06-15T00:00:09Z"})
        assert small.status_code == 200
        assert small.text.count("\n") == 11
        for _ in range(100):
            if asyncio.run(_idle_in_transaction(pg_url)) == 0:
                break
            time.sleep(0.1)
        assert asyncio.run(_idle_in_transaction(pg_url)) == 0


async def _copy_waits_on_a_slow_reader(url: str) -> None:
    storage = SqlStorage(url)
    admin = await asyncpg.connect(_plain(url), timeout=10)
    try:
        lines = csv_lines(storage, ["big"], BASE.timestamp(), BASE.timestamp() + 10 ** 6, CsvOptions())
        rows = (await anext(lines)).count(b"\n")
        await asyncio.sleep(1.5)  # a reader that stalls: the COPY must stall too, not fill our memory
        waiting = await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%' AND state = 'active' "
            "AND wait_event = 'ClientWrite'")
        assert waiting == 1
        async for chunk in lines:
            rows += chunk.count(b"\n")
        assert rows == ROWS
        lines = csv_lines(storage, ["big"], BASE.timestamp(), BASE.timestamp() + 10 ** 6, CsvOptions())
        await anext(lines)
        await lines.aclose()  # a reader that leaves: the COPY ends and the connection is clean
        assert await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%' AND state = 'active'") == 0
    finally:
        await admin.close()
        await storage.close()


def test_a_stalled_reader_stalls_the_copy(pg_url: str) -> None:
    """Back-pressure: with the reader stalled, PostgreSQL waits to write (ClientWrite) instead of
    the server buffering the rest of the export."""
    async def scenario() -> None:
        storage = SqlStorage(pg_url)
        await storage.migrate()
        await storage.close()
        await _fill(pg_url)
        await _copy_waits_on_a_slow_reader(pg_url)

    asyncio.run(scenario())
