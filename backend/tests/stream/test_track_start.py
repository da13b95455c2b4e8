"""A point written late, below where a process's stream of its metric started, or while a
dashboard reads its history (SPEC §6).

A process's reorder track of a metric starts at the first seq it sees. When a socket without a
cursor makes it start while another process is still writing a lower seq, that seq comes live
after the start and is dropped there as old; a socket resuming on that process from a cursor below
it must still get it (the replay waits for it), or, if it comes too late, the seq is passed over
and its write fails with 503. Two real `chronoview serve` processes on one PostgreSQL and Redis;
the second writes slowly (tests/stream/slow_write.py), so a higher seq is published first. Likewise
a live series answer's `seq` (where the dashboard's first socket resumes) waits for such a point.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from chronoview.storage import SqlStorage
from tests.server import ServerProcess, spawn
from tests.services import RedisServer
from tests.stream.harness import eventually, open_socket, post

METRIC = "orders"


async def stored_points(database_url: str) -> list[tuple[int, float]]:
    storage = SqlStorage(database_url)
    try:
        async with storage.connect() as conn:
            rows = await conn.execute(sa.text("SELECT seq, value FROM points WHERE metric = :m ORDER BY seq"),
                                      {"m": METRIC})
            return [(seq, value) for seq, value in rows]
    finally:
        await storage.close()


def pairs(messages: list[dict[str, Any]]) -> list[tuple[int, float]]:
    return [(m["seq"], m["data"]["value"]) for m in messages]


def start_pair(tmp_path: Path, pg_url: str, own_redis: RedisServer, servers: list[ServerProcess],
               delay: float) -> tuple[ServerProcess, ServerProcess]:
    """Two processes on one PostgreSQL + Redis; the second's writes wait `delay` s after scoring."""
    env = {"DATABASE_URL": pg_url, "REDIS_URL": own_redis.url()}
    for name in ("quick", "slow"):
        (tmp_path / name).mkdir()
    servers.append(spawn(tmp_path / "quick", env))
    servers.append(spawn(tmp_path / "slow", {**env, "WRITE_DELAY": str(delay)},
                         launcher="tests.stream.slow_write"))
    quick, slow = (server.wait_ready() for server in servers)
    return quick, slow


@pytest.mark.parametrize(("delay", "stored"), [(0.6, True), (3.0, False)])
async def test_a_socket_resuming_below_the_start_of_a_process_stream_gets_the_late_point_or_its_pass(
    tmp_path: Path, pg_url: str, own_redis: RedisServer, servers: list[ServerProcess], delay: float,
    stored: bool,
) -> None:
    quick, slow = start_pair(tmp_path, pg_url, own_redis, servers, delay)
    async with httpx.AsyncClient(base_url=quick.url, timeout=10) as http:
        [first] = await post(http, [{"metric": METRIC, "value": 1.0}])
        cursor = first["seq"]
        late = asyncio.create_task(http.post(f"{slow.url}/metrics", json=[{"metric": METRIC, "value": 2.0}]))
        await asyncio.sleep(0.15)  # scored by the slow process (seq cursor + 1); its write waits
        watcher = await open_socket(quick.ws_url([METRIC]))
        await asyncio.sleep(0.1)
        [third] = await post(http, [{"metric": METRIC, "value": 3.0}])
        assert third["seq"] == cursor + 2
        await eventually(lambda: watcher.messages, 5, "the quick process's stream to start")
        resuming = await open_socket(quick.ws_url([METRIC], since=f"{METRIC}:{cursor}"))
        assert not late.done()  # the slow write is still under way
        response = await late
        assert response.status_code == (201 if stored else 503), response.text
        await post(http, [{"metric": METRIC, "value": 4.0}])
        expected = [(seq, value) for seq, value in await stored_points(pg_url) if seq > cursor]
        assert [value for _, value in expected] == ([2.0, 3.0, 4.0] if stored else [3.0, 4.0])
        await eventually(lambda: len(resuming.messages) >= len(expected), 5, "the resumed socket's points")
        await asyncio.sleep(0.3)  # nothing more (no duplicate) comes
        assert pairs(resuming.messages) == expected
        assert pairs(watcher.messages) == [p for p in expected if p[0] > cursor + 1]  # its stream began at 3
        await resuming.close()
        await watcher.close()
    passed = "passed over orders seqs" in quick.tail(100_000)
    assert passed != stored


@pytest.mark.parametrize(("delay", "stored"), [(0.6, True), (3.0, False)])
async def test_a_live_series_answer_carries_the_seq_its_stream_resumes_after_with_no_point_missing(
    tmp_path: Path, pg_url: str, own_redis: RedisServer, servers: list[ServerProcess], delay: float,
    stored: bool,
) -> None:
    """A point still being written by another process when a dashboard reads its history is in
    the answer (the read waits for it) or never stored; a point with a timestamp after the range
    (a client's clock ahead) is not in the answer, and the stream resumed from `seq` brings it."""
    quick, slow = start_pair(tmp_path, pg_url, own_redis, servers, delay)
    now = time.time()
    async with httpx.AsyncClient(base_url=quick.url, timeout=10) as http:
        await post(http, [{"metric": METRIC, "value": 1.0, "ts": now - 5}])
        [ahead] = await post(http, [{"metric": METRIC, "value": 2.0, "ts": now + 600}])
        late = asyncio.create_task(
            http.post(f"{slow.url}/metrics", json=[{"metric": METRIC, "value": 3.0, "ts": now - 2}]))
        await asyncio.sleep(0.15)  # scored by the slow process; its write waits
        await post(http, [{"metric": METRIC, "value": 4.0, "ts": now - 1}])
        response = await http.get(f"/metrics/{METRIC}/series", params={"hours": 1})
        assert response.status_code == 200
        body = response.json()
        assert [p["value"] for p in body["points"]] == ([1.0, 3.0, 4.0] if stored else [1.0, 4.0])
        assert body["seq"] == ahead["seq"] - 1  # the point ahead of the range comes by the stream
        assert (await late).status_code == (201 if stored else 503)
        socket = await open_socket(quick.ws_url([METRIC], since=f"{METRIC}:{body['seq']}"))
        await post(http, [{"metric": METRIC, "value": 5.0}])
        await eventually(lambda: len(socket.messages) >= (4 if stored else 3), 5, "the stream")
        await asyncio.sleep(0.2)
        values = [m["data"]["value"] for m in socket.messages]
        # The replay from `seq` repeats what the answer holds after it (the dashboard keeps one
        # point per timestamp) and misses nothing.
        assert values == ([2.0, 3.0, 4.0, 5.0] if stored else [2.0, 4.0, 5.0])
        await socket.close()
        fixed = await http.get(f"/metrics/{METRIC}/series",
                               params={"from": now - 60, "to": now})  # not live: no seq
        assert "seq" not in fixed.json()
