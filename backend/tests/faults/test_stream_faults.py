"""The live stream under faults (SPEC §3, §6): WebSockets to a real server while its services fail.

Skipped where the WebSocket stream (api/stream.py) is not part of the code base.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("chronoview.api.stream")

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.faults.helpers import Feeder, stored_points, wait_until
from tests.server import ServerProcess, start_server
from tests.services import PostgresServer, RedisServer

T0 = 1_750_000_000.0


@dataclass
class Socket:
    """A WebSocket read on its own thread: every message kept, and how it closed."""

    url: str
    origin: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    code: int | None = None
    reason: str = ""
    opened: threading.Event = field(default_factory=threading.Event)
    closed: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Socket:
        threading.Thread(target=self._run, daemon=True).start()
        assert self.opened.wait(30) or self.closed.is_set(), "the WebSocket did not open"
        return self

    def _run(self) -> None:
        try:
            with connect(self.url, origin=self.origin, proxy=None, open_timeout=30,  # type: ignore[arg-type]
                         close_timeout=10) as ws:
                self.opened.set()
                for text in ws:
                    self.messages.append(json.loads(text))
                self.code, self.reason = (ws.close_code, ws.close_reason or "")
        except ConnectionClosed as exc:
            self.code = exc.rcvd.code if exc.rcvd else None
            self.reason = exc.rcvd.reason if exc.rcvd else ""
        finally:
            self.closed.set()

    def values(self) -> list[float]:
        return [m["data"]["value"] for m in list(self.messages)]


def _ws(server: ServerProcess, query: str) -> str:
    return f"ws://127.0.0.1:{server.port}/ws/stream?{query}"


@pytest.mark.slow
def test_sockets_keep_receiving_after_redis_returns(
    tmp_path: Path, own_postgres: PostgresServer, own_redis: RedisServer
) -> None:
    server = start_server(tmp_path, DATABASE_URL=own_postgres.url(), REDIS_URL=own_redis.url(0))
    feeder = Feeder(server.url, "flow", base=float(int(time.time())) - 120)
    try:
        socket = Socket(_ws(server, "metric=flow")).start()
        with httpx.Client(base_url=server.url, timeout=30) as http:
            feeder.start()
            wait_until(lambda: len(socket.messages) >= 10, 60, "live messages before the outage")
            own_redis.kill()
            wait_until(lambda: http.get("/ready").status_code == 503, 30, "/ready to report Redis down")
            own_redis.start()
            wait_until(lambda: http.get("/ready").status_code == 200, 60, "/ready after Redis returns")
            acked = len(feeder.acknowledged())
            wait_until(lambda: len(feeder.acknowledged()) >= acked + 20, 60, "points after Redis returns")
            feeder.stop()
            after = [float(o.points[0]["value"]) for o in feeder.acknowledged()[acked:]]
            last_ts = float(feeder.acknowledged()[-1].points[0]["ts"])
            marker = http.post("/metrics", json={"metric": "flow", "value": 12345.0, "ts": last_ts + 1})
            assert marker.status_code == 201
            wait_until(lambda: 12345.0 in socket.values(), 30, "the socket to receive a point after recovery")
        assert not socket.closed.is_set(), (socket.code, socket.reason)
        received = socket.values()
        assert set(after) <= set(received)  # nothing acknowledged after the recovery was missed
        # Every message the socket got is a stored point, each once, in timestamp order.
        stored = {v for _, v in stored_points(own_postgres.url(), "flow")}
        assert set(received) <= stored
        stamps = [m["data"]["ts"] for m in socket.messages]
        assert stamps == sorted(stamps)
        assert len(set(stamps)) == len(stamps)
    finally:
        feeder.stop()
        server.stop()


def test_no_message_for_a_point_refused_while_postgres_is_down(
    tmp_path: Path, own_postgres: PostgresServer
) -> None:
    server = start_server(tmp_path, DATABASE_URL=own_postgres.url())
    try:
        socket = Socket(_ws(server, "metric=temp")).start()
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert http.post("/metrics", json={"metric": "temp", "value": 1.0, "ts": T0}).status_code == 201
            wait_until(lambda: socket.values() == [1.0], 30, "the first point on the socket")
            own_postgres.stop("fast")
            refused = http.post("/metrics", json={"metric": "temp", "value": 666.0, "ts": T0 + 1})
            assert refused.status_code == 503
            own_postgres.start()
            wait_until(lambda: http.get("/ready").status_code == 200, 60, "/ready after PostgreSQL")
            back = http.post("/metrics", json={"metric": "temp", "value": 2.0, "ts": T0 + 2})
            assert back.status_code == 201
            wait_until(lambda: 2.0 in socket.values(), 30, "the point after recovery on the socket")
        assert socket.values() == [1.0, 2.0]
        assert not socket.closed.is_set()
    finally:
        server.stop()


@pytest.mark.slow
def test_sigterm_closes_sockets_with_1001(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    feeder = Feeder(server.url, "load", base=float(int(time.time())) - 100, batch=200, pause=0.0)
    try:
        sockets = [Socket(_ws(server, "metric=load")).start() for _ in range(3)]
        feeder.start()
        wait_until(lambda: all(len(s.messages) > 0 for s in sockets), 60, "every socket to be live")
        server.process.send_signal(signal.SIGTERM)
        for socket in sockets:
            assert socket.closed.wait(30), "a socket was not closed on shutdown"
        code = server.process.wait(60)
        feeder.stop()
    finally:
        feeder.stop()
        server.stop(signal.SIGKILL)
    assert code in (0, -signal.SIGTERM)
    assert [(s.code, s.reason) for s in sockets] == [(1001, "server shutting down")] * 3
    stored = set(stored_points(f"sqlite+aiosqlite:///{tmp_path / 'cv.db'}", "load"))
    for outcome in feeder.acknowledged():
        assert {(round(float(p["ts"]), 3), float(p["value"])) for p in outcome.points} <= stored


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    process = start_server(tmp_path_factory.mktemp("ws-bad-input"), CORS_ORIGINS="http://dash.example")
    try:
        yield process
    finally:
        process.stop()


@pytest.mark.parametrize(("query", "origin", "named"), [
    ("metric=bad%20name", None, "metric"),
    ("metric=_x", None, "metric"),
    ("metric=" + "a" * 101, None, "metric"),
    ("metric=%FF", None, "metric"),
    ("", None, "metric"),
    ("&".join(f"metric=m{i}" for i in range(51)), None, "metric"),
    ("metric=cpu&since=yesterday", None, "since"),
    ("metric=cpu&since=nan", None, "since"),
    ("metric=cpu&since=1e400", None, "since"),
    ("metric=cpu", "http://evil.example", "origin"),
])
def test_bad_websocket_parameters_close_with_1008(
    server: ServerProcess, query: str, origin: str | None, named: str
) -> None:
    socket = Socket(_ws(server, query), origin=origin).start()
    assert socket.closed.wait(30)
    assert socket.code == 1008, (socket.code, socket.reason)
    assert named in socket.reason.lower()
    assert socket.messages == []
    assert httpx.get(f"{server.url}/health", timeout=30).status_code == 200


def test_listed_origin_is_accepted(server: ServerProcess) -> None:
    socket = Socket(_ws(server, "metric=cpu"), origin="http://dash.example").start()
    assert socket.opened.is_set()
    httpx.post(f"{server.url}/metrics", json={"metric": "cpu", "value": 7.0}, timeout=30)
    wait_until(lambda: socket.values() == [7.0], 30, "a live point on an allowed origin")
    assert not socket.closed.is_set()
