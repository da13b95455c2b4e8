"""The uvicorn seam (serving/) and the ways of starting the app: one set of behaviours for all."""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import logging
import signal
import subprocess
import sys
import uuid
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.asyncio.client import connect

from chronoview import serving
from chronoview.config import Settings
from chronoview.main import create_app
from chronoview.serving.protocol import StreamProtocol
from tests.server import spawn, start_server
from tests.services import free_port
from tests.stream.harness import eventually, open_socket

SRC = Path(serving.__file__).resolve().parents[1]
LOCK = Path(__file__).resolve().parents[2] / "requirements.lock"
# What serving/protocol.py reads or writes on uvicorn's protocol object: all private.
SEAM = ("--ws", "chronoview.serving.ws:Protocol")
PRIVATE_FIELDS = ("conn", "transport", "queue", "writable", "close_sent", "read_paused",
                  "close_timer", "close_timeout", "loop", "scope", "request", "response")


def test_uvicorn_is_the_version_the_seam_was_written_against() -> None:
    """A uvicorn upgrade fails here first: re-check serving/protocol.py, then move TESTED_UVICORN."""
    pinned = [line.split("==")[1] for line in LOCK.read_text().splitlines()
              if line.lower().startswith("uvicorn==")]
    assert pinned == [serving.TESTED_UVICORN]
    assert version("uvicorn") == serving.TESTED_UVICORN
    assert serving.websocket_protocol() is StreamProtocol
    source = inspect.getsource(WebSocketsSansIOProtocol)
    for name in PRIVATE_FIELDS:
        assert f"self.{name}" in source, f"uvicorn's protocol no longer has {name}"
    for method in ("handle_connect", "resume_writing", "send"):
        assert callable(getattr(WebSocketsSansIOProtocol, method))


def test_a_different_uvicorn_serves_with_its_own_protocol() -> None:
    assert serving.websocket_protocol(installed="0.0.0") is WebSocketsSansIOProtocol
    assert serving.uvicorn_options(Settings())["ws"] is StreamProtocol


def test_uvicorn_started_by_hand_can_name_the_seams_protocol() -> None:
    """`uvicorn --factory chronoview.main:create_app --ws chronoview.serving.ws:Protocol`."""
    from uvicorn.config import Config

    config = Config(app=lambda: None, ws="chronoview.serving.ws:Protocol", log_config=None)
    config.load()
    assert config.ws_protocol_class is StreamProtocol


def test_websockets_have_one_route_table(tmp_path: Path) -> None:
    """The stream is routed once, by the app's WebSocket table; any other path is refused."""
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'cv.db'}", simulated_metrics=[],
                        _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, dist=tmp_path)
    assert not [r for r in app.routes if getattr(r, "path", None) == "/ws/stream"]
    with TestClient(app, base_url="http://localhost") as client:
        with client.websocket_connect("ws://localhost/ws/stream?metric=cpu") as socket:
            client.post("/metrics", json={"metric": "cpu", "value": 1.5})
            assert socket.receive_json()["data"]["value"] == 1.5
        with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("ws://localhost/ws/other"):
            pass
        assert refused.value.code == 1000  # closed before the handshake: HTTP 403


def test_only_the_seam_imports_uvicorn() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if "serving" in path.relative_to(SRC).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "uvicorn"]
    assert offenders == []


def test_serve_help_says_what_each_option_does() -> None:
    done = subprocess.run([sys.executable, "-m", "chronoview", "serve", "--help"],
                          capture_output=True, text=True, timeout=30, check=True)
    assert "--host HOST  address to listen on" in done.stdout
    assert "--port PORT  port to listen on" in done.stdout
    assert "--workers N" in done.stdout
    assert "needs" in done.stdout
    assert "REDIS_URL" in done.stdout


def test_workers_without_redis_refuse_with_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chronoview", "serve", "--workers", "2", "--port", str(free_port())],
        cwd=tmp_path, capture_output=True, text=True, timeout=30,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cv.db'}"},
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("chronoview: --workers 2 needs REDIS_URL")
    assert not (tmp_path / "cv.db").exists()  # refused before anything was created


def test_uvicorn_workers_on_sqlite_refuse_instead_of_splitting_state(tmp_path: Path) -> None:
    """`uvicorn --factory --workers 2` on the embedded shape: the start stops, with the reason."""
    port = free_port()
    process = subprocess.run(
        [sys.executable, "-m", "uvicorn", "--factory", "chronoview.main:create_app", "--workers", "2",
         "--port", str(port)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "SIMULATED_METRICS": "traffic",
             "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cv.db'}"},
    )
    assert "another process already serves" in process.stderr, process.stderr[-3000:]
    assert "set REDIS_URL to run several" in process.stderr
    assert "Traceback" not in process.stderr
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)


def test_a_second_serve_on_the_same_sqlite_file_exits_2(tmp_path: Path) -> None:
    first = start_server(tmp_path)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "chronoview", "serve", "--port", str(free_port())],
            cwd=tmp_path, capture_output=True, text=True, timeout=30,
            env={"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cv.db'}"},
        )
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1
        assert "another process already serves" in done.stderr
        assert httpx.get(f"{first.url}/health", timeout=5).status_code == 200
    finally:
        first.stop()


@pytest.mark.parametrize(("asgi", "args"), [(False, ()), (True, ()), (True, SEAM)],
                         ids=["chronoview-serve", "uvicorn-factory", "uvicorn-factory-seam"])
async def test_every_start_logs_pings_and_shuts_down_alike(tmp_path: Path, asgi: bool,
                                                           args: tuple[str, ...]) -> None:
    """chronoview's own log lines and 1001 on SIGTERM, whichever way it started: through the seam's
    protocol (serve, or uvicorn naming it) or uvicorn's own."""
    env = {"SIMULATED_METRICS": "sim", "SIMULATION_INTERVAL_SECONDS": "0.2"}
    server = spawn(tmp_path, env, asgi=asgi, args=args).wait_ready()
    try:
        socket = await open_socket(server.ws_url(["sim"]))
        await eventually(lambda: socket.messages, 10, "a simulated point")
        server.stop(signal.SIGTERM)
        await eventually(lambda: socket.closed, 10, "the socket to close")
        assert socket.close_code == 1001
    finally:
        server.stop()
    log = server.log.read_text()
    assert "INFO chronoview.simulator: simulator: producing sim every 0.2s" in log
    assert "Traceback" not in log


class FramesSeen(logging.Handler):
    """The frames a websockets client logs at DEBUG ("< PING ..." for each ping received)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.mark.parametrize("args", [(), SEAM], ids=["uvicorn-protocol", "seam-protocol"])
async def test_pings_are_sent_and_answered_alike(tmp_path: Path, args: tuple[str, ...]) -> None:
    """The server pings an idle socket and keeps it open while the client answers, through either
    protocol (at 0.3 s here instead of 20, which uvicorn's options set for both)."""
    pings = ("--ws-ping-interval", "0.3", "--ws-ping-timeout", "0.3")
    server = spawn(tmp_path, {}, asgi=True, args=(*args, *pings)).wait_ready()
    frames = FramesSeen()
    logger = logging.getLogger(f"tests.pings.{uuid.uuid4().hex}")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(frames)
    logger.propagate = False
    try:
        async with connect(server.ws_url(["idle"]), logger=logger, open_timeout=10) as ws:
            await eventually(lambda: sum(line.startswith("< PING") for line in frames.lines) >= 3,
                             10, "three pings")
            async with httpx.AsyncClient(base_url=server.url) as http:
                assert (await http.post("/metrics", json={"metric": "idle", "value": 2.5})).status_code == 201
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert message["data"]["value"] == 2.5  # still open: every ping was answered in time
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text()


def test_the_server_pings_every_20_seconds() -> None:
    options = serving.uvicorn_options(Settings())
    # uvicorn's defaults, which `uvicorn --factory` uses: the same pings either way.
    from uvicorn.config import Config

    defaults = Config(app="x:y")
    assert options["ws_ping_interval"] == defaults.ws_ping_interval == 20
    assert options["ws_ping_timeout"] == defaults.ws_ping_timeout == 20
    assert options["proxy_headers"] is False  # the app applies FORWARDED_ALLOW_IPS itself
    assert options["timeout_keep_alive"] > 60  # above deploy/nginx.conf's upstream keepalive_timeout



def test_no_trusted_proxy_adds_no_layer() -> None:
    """With FORWARDED_ALLOW_IPS empty (the default) the proxy-header middleware would only pass
    through, yet it keeps a frame alive per open socket (~0.4 KiB of 10,000 idle sockets each)."""
    async def app(scope: object, receive: object, send: object) -> None: ...

    assert serving.trust_proxies(app, []) is app  # type: ignore[arg-type]
    assert serving.trust_proxies(app, ["10.0.0.1"]) is not app  # type: ignore[arg-type]
