"""A point written late, below where a process's stream of its metric started, or while a
dashboard reads its history (SPEC §6).

A process's reorder track of a metric starts at the first seq it sees. When a socket without a
cursor makes it start while another process is still writing a lower seq, that seq comes live
after the start and is dropped there as old; a socket resuming on that process from a cursor below
it must still get it (the replay waits for it), or, if it comes too late, the seq is passed over
and its write fails with 503. Two real `chronoview serve` processes on one PostgreSQL and Redis;
the second's writes wait at a gate the test opens (tests/stream/slow_write.py), so a higher seq is
published first. Likewise a live series answer's `seq` (where the dashboard's first socket resumes)
waits for such a point.

Each step waits for a condition (the seq taken, the socket subscribed, the seq passed over), not for
a time: under load, fixed sleeps let the slow write be scored too late or land too early.
"""

from __future__ import annotations

import asyncio
import re
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


class Gate:
    """The slow process's write gate (tests/stream/slow_write.py)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir()
        self.folder = folder

    async def scored(self) -> None:
        """Until the slow process has scored its point (taken its seq) and its write waits."""
        await eventually(lambda: (self.folder / "scored").exists(), 15, "the slow process to score its point")

    def open(self) -> None:
        (self.folder / "open").touch()


def start_pair(tmp_path: Path, pg_url: str, own_redis: RedisServer,
               servers: list[ServerProcess]) -> tuple[ServerProcess, ServerProcess, Gate]:
    """Two processes on one PostgreSQL + Redis; the second's writes wait at the gate."""
    env = {"DATABASE_URL": pg_url, "REDIS_URL": own_redis.url()}
    for name in ("quick", "slow"):
        (tmp_path / name).mkdir()
    gate = Gate(tmp_path / "gate")
    servers.append(spawn(tmp_path / "quick", env))
    servers.append(spawn(tmp_path / "slow", {**env, "WRITE_GATE": str(gate.folder)},
                         launcher="tests.stream.slow_write"))
    quick, slow = (server.wait_ready() for server in servers)
    return quick, slow, gate


async def subscribed(server: ServerProcess, sockets: int) -> None:
    """Until `sockets` live-stream sockets of the server are subscribed (the gauge counts a socket
    once it is: accepting it comes first)."""
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        async def check() -> bool:
            text = (await http.get("/-/metrics")).text
            found = re.search(r"^chronoview_websocket_connections(?:\{[^}]*\})? (\S+)$", text, re.M)
            return found is not None and float(found.group(1)) >= sockets

        deadline = time.monotonic() + 10
        while not await check():
            assert time.monotonic() < deadline, "the socket never subscribed"
            await asyncio.sleep(0.02)


async def passed_over(server: ServerProcess) -> None:
    await eventually(lambda: "passed over orders seqs" in server.tail(100_000), 10,
                     "the seq to be passed over")


@pytest.mark.parametrize("stored", [True, False])
async def test_a_socket_resuming_below_the_start_of_a_process_stream_gets_the_late_point_or_its_pass(
    tmp_path: Path, pg_url: str, own_redis: RedisServer, servers: list[ServerProcess], stored: bool,
) -> None:
    quick, slow, gate = start_pair(tmp_path, pg_url, own_redis, servers)
    async with httpx.AsyncClient(base_url=quick.url, timeout=20) as http:
        [first] = await post(http, [{"metric": METRIC, "value": 1.0}])
        cursor = first["seq"]
        late = asyncio.create_task(http.post(f"{slow.url}/metrics", json=[{"metric": METRIC, "value": 2.0}]))
        await gate.scored()  # seq cursor + 1, its write waiting
        watcher = await open_socket(quick.ws_url([METRIC]))
        await subscribed(quick, 1)
        [third] = await post(http, [{"metric": METRIC, "value": 3.0}])
        assert third["seq"] == cursor + 2
        await eventually(lambda: watcher.messages, 5, "the quick process's stream to start")
        resuming = await open_socket(quick.ws_url([METRIC], since=f"{METRIC}:{cursor}"))
        assert not late.done()  # the slow write is still at its gate
        if not stored:
            await passed_over(quick)  # the resumed replay waited its bounded while for the seq
        gate.open()
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


@pytest.mark.parametrize("stored", [True, False])
async def test_a_live_series_answer_carries_the_seq_its_stream_resumes_after_with_no_point_missing(
    tmp_path: Path, pg_url: str, own_redis: RedisServer, servers: list[ServerProcess], stored: bool,
) -> None:
    """A point still being written by another process when a dashboard reads its history is in
    the answer (the read waits for it) or never stored; a point with a timestamp after the range
    (a client's clock ahead) is not in the answer, and the stream resumed from `seq` brings it."""
    quick, slow, gate = start_pair(tmp_path, pg_url, own_redis, servers)
    now = time.time()
    async with httpx.AsyncClient(base_url=quick.url, timeout=20) as http:
        await post(http, [{"metric": METRIC, "value": 1.0, "ts": now - 5}])
        [ahead] = await post(http, [{"metric": METRIC, "value": 2.0, "ts": now + 600}])
        late = asyncio.create_task(
            http.post(f"{slow.url}/metrics", json=[{"metric": METRIC, "value": 3.0, "ts": now - 2}]))
        await gate.scored()
        await post(http, [{"metric": METRIC, "value": 4.0, "ts": now - 1}])
        read = asyncio.create_task(http.get(f"/metrics/{METRIC}/series", params={"hours": 1}))
        if stored:
            # Most often the read waits for the seq by now; either way its answer holds the point.
            await asyncio.sleep(0.2)
        else:
            await asyncio.wait_for(asyncio.shield(read), 10)  # answered once the seq is passed over
        gate.open()
        response = await read
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
