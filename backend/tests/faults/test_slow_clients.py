"""Connections that never finish their request, against a real server (issue 12, item 5).

1,100 half-sent requests once held every descriptor of a server (ulimit -n 1024) and /health was
unreachable for 30 s; 2,000 were still held after 90 s. The attacker here connects from 127.0.0.2
(still loopback), the probes from 127.0.0.1, so the per-address cap can be seen to apply to the
attacker alone.
"""

from __future__ import annotations

import contextlib
import resource
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from chronoview.config import MAX_CONNECTIONS_PER_CLIENT
from chronoview.serving.http import HEADER_TIMEOUT
from tests.server import ServerProcess, start_server

ATTACKER = "127.0.0.2"
HALF_SENT = 1_100


def _server_connections(server: ServerProcess, port: int) -> int:
    """Established TCP connections the server process holds on its port."""
    return sum(1 for c in psutil.Process(server.process.pid).net_connections("tcp")
               if c.laddr and c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED)


@contextlib.contextmanager
def _half_sent(port: int, count: int, partial: bytes) -> Iterator[list[socket.socket]]:
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind((ATTACKER, 0))
            sock.settimeout(5)
            try:
                sock.connect(("127.0.0.1", port))
                sock.sendall(partial)
            except OSError:
                sock.close()
                continue
            socks.append(sock)
        yield socks
    finally:
        for sock in socks:
            sock.close()


def _health_latency(url: str) -> float:
    started = time.monotonic()
    assert httpx.get(f"{url}/health", timeout=10).status_code == 200
    return time.monotonic() - started


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert hard >= 4096, "this test needs room for its own 1,100 sockets"
    # The server inherits the limit the issue saw, 1,024 descriptors; this process then needs more.
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
    try:
        process = start_server(tmp_path)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (4096, hard))
    try:
        yield process
    finally:
        process.stop()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.slow
@pytest.mark.parametrize("partial", [b"GET /health HTTP/1.1\r\nHost: local",
                                     b"POST /metrics HTTP/1.1\r\nHost: localhost\r\ncontent-type: "
                                     b"application/json\r\ncontent-length: 100\r\n\r\n{\"metric\""],
                         ids=["half-head", "half-body"])
def test_half_sent_requests_are_capped_and_timed_out(server: ServerProcess, partial: bytes) -> None:
    with _half_sent(server.port, HALF_SENT, partial):
        time.sleep(1)
        held = _server_connections(server, server.port)
        assert held <= MAX_CONNECTIONS_PER_CLIENT + 5, held  # the rest were refused at once
        assert max(_health_latency(server.url) for _ in range(10)) < 1.0
        # Past the read timeouts (head 10 s, body 30 s idle) the server has let every one go.
        deadline = time.monotonic() + HEADER_TIMEOUT + 40
        while time.monotonic() < deadline and _server_connections(server, server.port) > 0:
            time.sleep(1)
        assert _server_connections(server, server.port) == 0
        assert _health_latency(server.url) < 1.0
    assert "Traceback" not in server.log.read_text()


def test_a_slow_head_gets_a_json_408(server: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=HEADER_TIMEOUT + 10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\n")
        started = time.monotonic()
        answer = sock.recv(4096)
        assert HEADER_TIMEOUT - 1 <= time.monotonic() - started <= HEADER_TIMEOUT + 5
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408")
    assert b"application/json" in head
    assert body.startswith(b'{"detail":')


def test_the_per_client_cap_is_a_setting(tmp_path: Path) -> None:
    """MAX_CONNECTIONS_PER_CLIENT=3: a fourth connection from the address gets a JSON 429 at once,
    while another address is still served."""
    server = start_server(tmp_path, MAX_CONNECTIONS_PER_CLIENT="3")
    try:
        with _half_sent(server.port, 3, b"GET /health HTTP/1.1\r\nHost: local") as held:
            assert len(held) == 3
            with socket.socket() as extra:
                extra.bind((ATTACKER, 0))
                extra.settimeout(5)
                extra.connect(("127.0.0.1", server.port))
                answer = extra.recv(4096)
            assert answer.startswith(b"HTTP/1.1 429 "), answer
            assert answer.endswith(b'{"detail":"more than 3 connections from one address"}'), answer
            assert _health_latency(server.url) < 1.0
    finally:
        server.stop()
