"""Start-up refusals and small guards, against real server processes (issue 12, items 9 and 10)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.faults.helpers import assert_clean_error, wait_until
from tests.server import ServerProcess, start_server
from tests.services import free_port


def _run_serve(workdir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    settings = {"APP_HOST": "127.0.0.1", "APP_PORT": str(free_port()), "SIMULATED_METRICS": "",
                "REDIS_URL": "", "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'cv.db'}", **env}
    return subprocess.run([sys.executable, "-m", "chronoview", "serve"], cwd=workdir, capture_output=True,
                          text=True, timeout=60, env={**os.environ, **settings}, check=False)


def test_a_second_process_on_the_same_sqlite_file_exits_2_with_one_line(tmp_path: Path) -> None:
    first = start_server(tmp_path)
    try:
        second = _run_serve(tmp_path)
        assert second.returncode == 2, second.stderr[-2000:]
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert str(tmp_path / "cv.db") in lines[0]
        assert f"pid {first.process.pid}" in lines[0]
        assert httpx.get(f"{first.url}/ready").status_code == 200
    finally:
        first.stop()
    # Once the first has gone, the file is free again, whatever way it ended.
    again = start_server(tmp_path)
    again.stop()


def test_an_empty_secret_key_is_refused_on_a_public_bind(tmp_path: Path) -> None:
    result = _run_serve(tmp_path, APP_HOST="0.0.0.0", SECRET_KEY="")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY" in lines[0]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = start_server(tmp_path)
    try:
        yield process
    finally:
        process.stop()


def test_a_malformed_request_gets_a_json_400(server: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"NOT HTTP AT ALL\x00\r\n\r\n")
        answer = sock.recv(4096)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), answer
    assert b"content-type: application/json" in head.lower()
    assert body == b'{"detail":"invalid HTTP request"}'


def test_a_client_leaving_mid_body_leaves_no_traceback(server: ServerProcess) -> None:
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"POST /metrics HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\n"
                         b"content-length: 100000\r\n\r\n" + b'[{"metric": "a", "value": 1},' * 100)
            time.sleep(0.3)
    time.sleep(1)
    assert httpx.get(f"{server.url}/health").status_code == 200
    log = server.log.read_text()
    assert "Traceback" not in log, log[-3000:]
    assert "Exception in ASGI application" not in log


@contextlib.contextmanager
def _small_disk(directory: Path, size: str) -> Iterator[Path]:
    directory.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill (needs root): {mounted.stderr.strip()}")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def test_ready_is_503_while_the_disk_is_full(tmp_path: Path) -> None:
    with _small_disk(tmp_path / "disk", "32M") as disk:
        server = start_server(tmp_path, DATABASE_URL=f"sqlite+aiosqlite:///{disk / 'cv.db'}")
        try:
            with httpx.Client(base_url=server.url, timeout=30) as http:
                assert http.post("/metrics", json={"metric": "d", "value": 1.0}).status_code == 201
                assert http.get("/ready").status_code == 200
                filler = disk / "filler"
                with filler.open("wb") as out, contextlib.suppress(OSError):
                    while True:
                        out.write(b"\0" * 1024 * 1024)
                        out.flush()
                down = wait_until(lambda: (r := http.get("/ready")).status_code == 503 and r, 10,
                                  "/ready to report the full disk")
                assert down.json()["database"] == "down"
                assert http.get("/health").status_code == 200
                batch = [{"metric": "d", "value": float(i)} for i in range(5000)]
                refused = http.post("/metrics", json=batch)
                assert_clean_error(refused, 503, "database")
                filler.unlink()
                wait_until(lambda: http.get("/ready").status_code == 200, 10, "/ready after space returns")
                assert http.post("/metrics", json={"metric": "d", "value": 2.0}).status_code == 201
        finally:
            server.stop()
