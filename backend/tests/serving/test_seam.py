"""The uvicorn seam (serving/) and the ways of starting the app: one set of behaviours for all."""

from __future__ import annotations

import ast
import inspect
import signal
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from chronoview import serving
from chronoview.config import Settings
from tests.server import start_server
from tests.services import free_port
from tests.stream.harness import eventually, open_socket

SRC = Path(serving.__file__).resolve().parents[1]
LOCK = Path(__file__).resolve().parents[2] / "requirements.lock"
# What serving/protocol.py reads or writes on uvicorn's protocol object: all private.
PRIVATE_FIELDS = ("conn", "transport", "queue", "writable", "close_sent", "read_paused",
                  "close_timer", "close_timeout", "loop", "scope", "request", "response")


def test_uvicorn_is_the_version_the_seam_was_written_against() -> None:
    """A uvicorn upgrade fails here first: re-check serving/protocol.py, then move TESTED_UVICORN."""
    pinned = [line.split("==")[1] for line in LOCK.read_text().splitlines()
              if line.lower().startswith("uvicorn==")]
    assert pinned == [serving.TESTED_UVICORN]
    assert version("uvicorn") == serving.TESTED_UVICORN
    assert serving.websocket_protocol() is not WebSocketsSansIOProtocol
    source = inspect.getsource(WebSocketsSansIOProtocol)
    for name in PRIVATE_FIELDS:
        assert f"self.{name}" in source, f"uvicorn's protocol no longer has {name}"
    for method in ("handle_connect", "resume_writing", "send"):
        assert callable(getattr(WebSocketsSansIOProtocol, method))


def test_a_different_uvicorn_serves_with_its_own_protocol(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serving, "TESTED_UVICORN", "0.0.0")
    assert serving.websocket_protocol() == "websockets-sansio"


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


@pytest.mark.parametrize("asgi", [False, True], ids=["chronoview-serve", "uvicorn-factory"])
async def test_every_start_logs_pings_and_shuts_down_alike(tmp_path: Path, asgi: bool) -> None:
    """chronoview's own log lines and 1001 on SIGTERM, whichever way it started."""
    server = start_server(tmp_path, asgi=asgi, SIMULATED_METRICS="sim", SIMULATION_INTERVAL_SECONDS="0.2")
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


def test_the_server_pings_every_20_seconds() -> None:
    options = serving.uvicorn_options(Settings())
    # uvicorn's defaults, which `uvicorn --factory` uses: the same pings either way.
    from uvicorn.config import Config

    defaults = Config(app="x:y")
    assert options["ws_ping_interval"] == defaults.ws_ping_interval == 20
    assert options["ws_ping_timeout"] == defaults.ws_ping_timeout == 20
    assert options["proxy_headers"] is False  # the app applies FORWARDED_ALLOW_IPS itself
    assert options["timeout_keep_alive"] > 60  # above deploy/nginx.conf's upstream keepalive_timeout

