"""WS /ws/stream in the embedded shape (SQLite, no Redis), against a real server (SPEC §6)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.server import ServerProcess, start_server
from tests.stream.harness import eventually, open_socket, post

ALLOWED_ORIGIN = "http://dashboard.example:3000"
BASE = float(int(time.time()) - 3600)


@pytest.fixture(scope="module", params=["sink", "asgi"])
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[ServerProcess]:
    """Every test runs with live messages written by the hub into the connection, and through ASGI."""
    server = start_server(tmp_path_factory.mktemp("embedded"), asgi=request.param == "asgi",
                    CORS_ORIGINS=ALLOWED_ORIGIN)
    yield server
    server.stop()


@pytest.fixture
async def http(server: ServerProcess) -> Any:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield client


async def test_posted_points_arrive_as_the_spec_message(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    socket = await open_socket(server.ws_url(["room.temp"]))
    single = await http.post("/metrics", json={"metric": "room.temp", "value": 21.5,
                                               "ts": "2025-09-27T02:33:11.250Z"})
    assert single.status_code == 201
    batch = await post(http, [{"metric": "room.temp", "value": 20.0 + i % 3, "ts": 1758940392 + i}
                              for i in range(7)])
    await eventually(lambda: len(socket.messages) >= 8, 10, "8 messages")
    await asyncio.sleep(0.2)

    assert socket.messages == [single.json(), *batch]  # the same object POST answers, in order
    assert socket.messages[0] == {
        "type": "metric",
        "data": {"metric": "room.temp", "value": 21.5, "ts": "2025-09-27T02:33:11.250Z"},
        "alert": False, "zscore": None, "mean": None, "std": None, "n": 0, "state": "normal", "seq": 1,
    }
    last = socket.messages[-1]
    assert set(last) == {"type", "data", "alert", "zscore", "mean", "std", "n", "state", "seq"}
    assert [m["seq"] for m in socket.messages] == list(range(1, 9))
    assert last["data"] == {"metric": "room.temp", "value": 20.0, "ts": "2025-09-27T02:33:18.000Z"}
    assert last["n"] == 7
    assert isinstance(last["zscore"], float)
    assert isinstance(last["alert"], bool)
    await socket.close()


async def test_one_socket_carries_several_metrics(server: ServerProcess, http: httpx.AsyncClient) -> None:
    socket = await open_socket(server.ws_url(["multi.a", "multi.b"]))
    points = [{"metric": f"multi.{'abc'[i % 3]}", "value": float(i), "ts": BASE + i} for i in range(30)]
    await post(http, points[:15])
    for point in points[15:]:
        await post(http, [point])
    await eventually(lambda: len(socket.messages) >= 20, 10, "the points of a and b")
    await asyncio.sleep(0.3)  # nothing else may follow

    assert socket.values("multi.a") == [float(i) for i in range(0, 30, 3)]
    assert socket.values("multi.b") == [float(i) for i in range(1, 30, 3)]
    assert len(socket.messages) == 20
    await socket.close()


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("metric=bad%20name", "invalid metric name"),
        ("metric=-starts-with-dash", "invalid metric name"),
        ("metric=" + "x" * 101, "invalid metric name"),
        ("metric=ok&metric=no%2Fslash", "invalid metric name"),
        ("", "at least one metric"),
        ("metric=ok&since=yesterday", "bad since"),
        ("metric=ok&since=nan", "bad since"),
        ("metric=ok&since=ok:%C2%B2", "bad since cursor"),  # "²" is a digit to str.isdigit
    ],
)
async def test_a_bad_request_is_closed_with_1008_and_a_reason(
    server: ServerProcess, query: str, reason: str
) -> None:
    async with connect(f"ws://127.0.0.1:{server.port}/ws/stream?{query}", open_timeout=10) as ws:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
    assert ws.close_code == 1008
    assert reason in (ws.close_reason or "")


async def test_a_cursor_beyond_the_stream_does_not_silence_the_metric(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    """A cursor no client was ever sent (far above the stored seqs) is taken as the newest stored:
    neither that socket nor the others of the process lose the metric's next points."""
    await post(http, [{"metric": "door.ahead", "value": 1.0}])
    ahead = await open_socket(server.ws_url(["door.ahead"], since="door.ahead:999999999999999999"))
    live = await open_socket(server.ws_url(["door.ahead"]))
    [point] = await post(http, [{"metric": "door.ahead", "value": 2.0}])
    await eventually(lambda: live.messages and ahead.messages, 10, "the point on both sockets")
    assert live.messages == [point]
    assert ahead.messages == [point]
    await ahead.close()
    await live.close()


async def test_origins_follow_cors_origins(server: ServerProcess, http: httpx.AsyncClient) -> None:
    url = server.ws_url(["origin.check"])
    for origin in ("http://evil.example", f"http://127.0.0.1:{server.port + 1}", "null",
                   "https://dashboard.example:3000"):
        refused = await open_socket(url, origin=origin)
        code, reason = await refused.wait_closed()
        assert (code, reason) == (1008, f"origin not allowed: {origin}"), origin
        assert refused.messages == []

    # No Origin (not a browser), a listed one, and the page's own origin are all served.
    accepted = [await open_socket(url), await open_socket(url, origin=ALLOWED_ORIGIN),
                await open_socket(url, origin=f"http://127.0.0.1:{server.port}")]
    results = await post(http, [{"metric": "origin.check", "value": 1.0, "ts": BASE}])
    for socket in accepted:
        await eventually(lambda s=socket: s.messages, 10, "the point")  # type: ignore[misc]
        assert socket.messages == results
        assert not socket.closed
        await socket.close()


async def test_since_replays_exactly_the_missed_points(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    metric = "replay.gap"
    # Sub-millisecond timestamps: messages carry milliseconds, and `since` names the last one seen.
    points = [{"metric": metric, "value": float(i), "ts": BASE + i + 0.000345} for i in range(15)]
    first = await open_socket(server.ws_url([metric]))
    await post(http, points[:5])
    await eventually(lambda: len(first.messages) == 5, 10, "the first 5 points")
    await first.close()
    since = first.messages[-1]["data"]["ts"]
    assert since.endswith(".000Z")

    missed = await post(http, points[5:12])
    second = await open_socket(server.ws_url([metric], since=since))
    await eventually(lambda: len(second.messages) >= 7, 10, "the 7 missed points")
    live = await post(http, points[12:])
    await eventually(lambda: len(second.messages) >= 10, 10, "the live points after the replay")
    await asyncio.sleep(0.3)
    assert second.messages == missed + live

    # Epoch seconds work too, and a replay of a metric with nothing newer sends nothing.
    third = await open_socket(server.ws_url([metric, "replay.none"], since=str(BASE + 11.5)))
    await eventually(lambda: len(third.messages) >= 3, 10, "the replay from an epoch")
    await asyncio.sleep(0.2)
    assert third.values(metric) == [12.0, 13.0, 14.0]
    assert len(third.messages) == 3
    for socket in (second, third):
        await socket.close()


async def test_reconnecting_while_points_stream_in_leaves_no_gap_and_no_duplicate(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    metric = "replay.race"
    total = 300

    async def feed() -> None:
        for i in range(total):
            await post(http, [{"metric": metric, "value": float(i), "ts": BASE + i * 0.01 + 0.000789}])
            await asyncio.sleep(0.002)

    feeder = asyncio.create_task(feed())
    received: list[float] = []
    since: str | None = None
    for _ in range(4):  # drop the socket and come back with since= a few times under load
        socket = await open_socket(server.ws_url([metric], since=since))
        await eventually(lambda s=socket: len(s.messages) >= 20, 20, "20 points")  # type: ignore[misc]
        await socket.close()
        received += socket.values(metric)
        since = socket.messages[-1]["data"]["ts"]
    await feeder
    last = await open_socket(server.ws_url([metric], since=since))
    await eventually(lambda: last.values(metric)[-1:] == [total - 1], 20, "every point")
    await asyncio.sleep(0.2)
    received += last.values(metric)
    await last.close()
    start = int(received[0])
    assert start < 50
    assert received == [float(i) for i in range(start, total)]


@pytest.mark.parametrize("asgi", [False, True])
async def test_shutdown_closes_every_socket_with_1001(tmp_path: Any, asgi: bool) -> None:
    server = start_server(tmp_path, asgi=asgi, SIMULATED_METRICS="sim.a,sim.b",
                          SIMULATION_INTERVAL_SECONDS="0.05")
    try:
        sockets = [await open_socket(server.ws_url(["sim.a"])), await open_socket(server.ws_url(["sim.b"])),
                   await open_socket(server.ws_url(["sim.a", "sim.b"]))]
        for socket in sockets:
            await eventually(lambda s=socket: s.messages, 10, "simulated points")  # type: ignore[misc]
        started = time.monotonic()
        server.process.terminate()
        for socket in sockets:
            code, reason = await socket.wait_closed(10)
            assert (code, reason) == (1001, "server shutting down")
        assert time.monotonic() - started < 5
        await asyncio.to_thread(server.process.wait, 15)
    finally:
        server.stop()
