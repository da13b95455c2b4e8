"""`since=` replay against real servers (issue 12, items 2 and 4): complete, and bounded in memory.

Replay used to page by timestamp (it stopped after 1,000 points sharing one) and to remember each
replayed message in orjson's 4 KiB buffer (20 sockets that never read took a server from 121 to
973 MiB). It now pages by (ts, id) and holds one page at a time, at most the queue bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
import websockets

from tests.server import ServerProcess, start_server
from tests.services import owned_postgres, owned_redis
from tests.stream.test_backpressure import StalledClient

T0 = 1_700_000_000.0
MIB = 1024 * 1024


@pytest.fixture(params=["sqlite", pytest.param("postgres+redis", marks=pytest.mark.slow)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    with contextlib.ExitStack() as stack:
        env: dict[str, str] = {}
        if request.param != "sqlite":
            env["DATABASE_URL"] = stack.enter_context(owned_postgres()).url()
            env["REDIS_URL"] = stack.enter_context(owned_redis()).url(0)
        process = start_server(tmp_path, **env)
        stack.callback(process.stop)
        yield process


async def _replayed(server: ServerProcess, metric: str, expected: int) -> list[float]:
    url = f"ws://127.0.0.1:{server.port}/ws/stream?metric={metric}&since=0"
    values: list[float] = []
    async with websockets.connect(url, max_size=None) as ws:
        with contextlib.suppress(TimeoutError):
            while len(values) < expected + 1:  # one more would be a duplicate: wait a moment for it
                message = await asyncio.wait_for(ws.recv(), 3 if len(values) >= expected else 30)
                values.append(json.loads(message)["data"]["value"])
    return values


def test_replay_sends_every_point_sharing_a_timestamp(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        # 10,000 points without ts: all stamped with the server's now, in one batch.
        response = http.post("/metrics", json=[{"metric": "same", "value": float(i)} for i in range(10_000)],
                             headers={"prefer": "return=minimal"})
        assert response.status_code == 201, response.text
        # And 2,500 sharing one given timestamp, between two others.
        body = [{"metric": "given", "value": -1.0, "ts": T0 - 1}]
        body += [{"metric": "given", "value": float(i), "ts": T0} for i in range(2_500)]
        body += [{"metric": "given", "value": 1e6, "ts": T0 + 1}]
        assert http.post("/metrics", json=body).status_code == 201
    same = asyncio.run(_replayed(server, "same", 10_000))
    assert same == [float(i) for i in range(10_000)]
    given = asyncio.run(_replayed(server, "given", 2_502))
    assert given == [-1.0, *[float(i) for i in range(2_500)], 1e6]


def _rss(server: ServerProcess) -> int:
    return int(psutil.Process(server.process.pid).memory_info().rss)


def _health_latency(server: ServerProcess) -> float:
    """The median of five /health round trips."""
    latencies = []
    for _ in range(5):
        started = time.monotonic()
        assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200
        latencies.append(time.monotonic() - started)
    return statistics.median(latencies)


@pytest.mark.slow
def test_replay_to_sockets_that_never_read_is_bounded_in_memory(tmp_path: Path) -> None:
    """20 sockets replaying a 400,000-point metric and never reading: the server's RSS grows by
    less than 150 MiB (it grew by 850 MiB), /health answers within a second throughout, and
    closing the sockets gives the memory back to the allocator (no further growth on a second
    round)."""
    server = start_server(tmp_path, WS_QUEUE_MAX="5000")
    try:
        with httpx.Client(base_url=server.url, timeout=120) as http:
            for start in range(0, 400_000, 10_000):
                batch = [{"metric": "big", "value": float(i % 13), "ts": T0 + i / 100}
                         for i in range(start, start + 10_000)]
                response = http.post("/metrics", json=batch, headers={"prefer": "return=minimal"})
                assert response.status_code == 201
        url = f"ws://127.0.0.1:{server.port}/ws/stream?metric=big&since=0"
        baseline = _rss(server)
        peaks = []
        for _ in range(2):
            clients = [StalledClient(url, server.port) for _ in range(20)]
            time.sleep(5)  # the replays fill every buffer they can
            assert _health_latency(server) < 1.0
            peaks.append(_rss(server) - baseline)
            for client in clients:
                client.sock.close()
            time.sleep(1)
        assert peaks[0] < 150 * MIB, f"RSS grew by {peaks[0] / MIB:.0f} MiB"
        assert peaks[1] < peaks[0] + 30 * MIB, [p / MIB for p in peaks]
        assert server.process.poll() is None
        assert _health_latency(server) < 1.0
    finally:
        server.stop()
