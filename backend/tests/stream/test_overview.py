"""`metric=*` and `mode=latest` on WS /ws/stream (SPEC §6), against a real server and real clients."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.server import ServerProcess, start_server
from tests.stream.harness import eventually, open_socket, post

BASE = float(int(time.time()) - 600)


@pytest.fixture(scope="module", params=["sink", "asgi"])
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("overview"), asgi=request.param == "asgi")
    yield server
    server.stop()


@pytest.fixture
async def http(server: ServerProcess) -> Any:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield client


def stream_url(server: ServerProcess, query: str) -> str:
    return f"ws://127.0.0.1:{server.port}/ws/stream?{query}"


class TimedSocket:
    """A client that notes when each message arrived (monotonic seconds)."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.arrivals: list[tuple[float, dict[str, Any]]] = []
        self.task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.ws:
                self.arrivals.append((time.monotonic(), json.loads(raw)))

    def of(self, metric: str) -> list[tuple[float, dict[str, Any]]]:
        return [(t, m) for t, m in self.arrivals if m["data"]["metric"] == metric]

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.wait_for(self.task, 5)


async def test_latest_sends_at_most_one_message_per_metric_per_second_the_newest(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    metrics = [f"ov.latest.{i}" for i in range(6)]
    socket = TimedSocket(await connect(stream_url(server, "metric=*&mode=latest"), open_timeout=10))
    every = await open_socket(stream_url(server, "metric=*"))
    posted: list[dict[str, Any]] = []
    started = time.monotonic()
    tick = 0
    while time.monotonic() - started < 4.5:  # each metric: a point every 50 ms for 4.5 s
        posted += await post(http, [{"metric": m, "value": tick + i / 10, "ts": BASE + tick * 0.05}
                                    for i, m in enumerate(metrics)])
        tick += 1
        await asyncio.sleep(0.05)
    newest = {m: max((p for p in posted if p["data"]["metric"] == m), key=lambda p: p["data"]["ts"])
              for m in metrics}
    await eventually(lambda: all(socket.of(m) and socket.of(m)[-1][1] == newest[m] for m in metrics),
                     5, "the newest point of every metric")
    # A late point (an older ts) never replaces the newest one.
    await post(http, [{"metric": metrics[0], "value": -1.0, "ts": BASE - 100}])
    await asyncio.sleep(2.5)

    assert tick > 40
    for metric in metrics:
        arrivals = socket.of(metric)
        assert 3 <= len(arrivals) <= 8, (metric, len(arrivals))  # ≈ 7 s of streaming, not ~90 points
        gaps = [b[0] - a[0] for a, b in itertools.pairwise(arrivals)]
        assert min(gaps) > 0.9, (metric, gaps)  # 1 s apart, give or take the loopback's jitter
        assert arrivals[-1][1] == newest[metric]
        values = {p["data"]["value"] for p in posted if p["data"]["metric"] == metric}
        assert all(m["data"]["value"] in values for _, m in arrivals)  # real points, as scored
    # Without mode=latest, metric=* got every point of every metric, in order.
    await eventually(lambda: len(every.messages) >= len(posted) + 1, 10, "every point")
    assert every.messages[:len(posted)] == posted
    await socket.close()
    await every.close()


async def test_every_metric_includes_metrics_that_did_not_exist_when_it_opened(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    socket = await open_socket(stream_url(server, "metric=*"))
    latest = await open_socket(stream_url(server, "metric=*&mode=latest"))
    named = await open_socket(stream_url(server, "metric=ov.new.b&mode=latest"))
    born = await post(http, [{"metric": "ov.new.a", "value": 1.0, "ts": BASE + 1},
                             {"metric": "ov.new.b", "value": 2.0, "ts": BASE + 1}])
    await eventually(lambda: len(socket.messages) >= 2 and len(latest.messages) >= 2 and named.messages,
                     5, "the new metrics")
    await asyncio.sleep(1.2)
    assert socket.messages == born
    assert sorted(latest.messages, key=lambda m: m["data"]["metric"]) == born
    assert named.messages == [born[1]]  # mode=latest with named metrics: only those
    for s in (socket, latest, named):
        await s.close()


@pytest.mark.parametrize("query", ["metric=*&mode=fast", "metric=*&since=2025-01-01T00:00:00Z",
                                   "metric=cpu&mode=latest&since=2025-01-01T00:00:00Z",
                                   "metric=*&metric=bad%21"])
async def test_a_bad_overview_request_is_refused_with_a_reason(server: ServerProcess, query: str) -> None:
    socket = await open_socket(stream_url(server, query))
    code, reason = await socket.wait_closed()
    assert code == 1008
    assert reason
