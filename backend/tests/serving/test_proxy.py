"""The repo's nginx sample in front of two `chronoview serve` processes on PostgreSQL + Redis (SPEC §13).

WebSockets pass and stay open while idle, plain requests reuse upstream connections, a backend
stopped with SIGTERM costs clients nothing, and the snapshot limit counts the real client across
both processes.
"""

from __future__ import annotations

import asyncio
import signal
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from websockets.asyncio.client import connect

from tests.proxy import Nginx, nginx_sample
from tests.server import ServerProcess, spawn
from tests.stream.harness import Socket, eventually

DRAIN = 2.0


@dataclass
class Site:
    nginx: Nginx
    backends: list[ServerProcess]


@pytest.fixture
def site(tmp_path: Path, pg_url: str, redis_url: str) -> Iterator[Site]:
    env = {"DATABASE_URL": pg_url, "REDIS_URL": redis_url, "FORWARDED_ALLOW_IPS": "127.0.0.1",
           "SHUTDOWN_DRAIN_SECONDS": str(DRAIN)}
    backends: list[ServerProcess] = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        backends.append(spawn(tmp_path / name, env))
    try:
        for backend in backends:
            backend.wait_ready(60)
        with nginx_sample(tmp_path, [b.port for b in backends]) as nginx:
            yield Site(nginx, backends)
    finally:
        for backend in backends:
            backend.stop()


def client(site: Site, source: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(verify=False, local_address=source)
    return httpx.AsyncClient(base_url=site.nginx.url, transport=transport, timeout=20)


def tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def open_wss(site: Site, metric: str) -> Socket:
    ws = await connect(f"wss://127.0.0.1:{site.nginx.tls_port}/ws/stream?metric={metric}", ssl=tls(),
                       open_timeout=10, close_timeout=5, max_queue=None)
    socket = Socket(ws)
    socket.task = asyncio.create_task(socket._collect())
    return socket


def time_wait_count(ports: list[int]) -> int:
    """Connections to or from these ports closed in the last minute (TIME-WAIT)."""
    lines = subprocess.run(["ss", "-Htan", "state", "time-wait"], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    ends = {f"127.0.0.1:{p}" for p in ports}
    return sum(1 for line in lines if ends & set(line.split()))


async def test_plain_requests_reuse_upstream_connections(site: Site) -> None:
    ports = [b.port for b in site.backends]
    before = time_wait_count(ports)
    async with client(site) as http:
        for _ in range(200):
            assert (await http.get("/health")).status_code == 200
    served = {port for _, port in site.nginx.requests("/health")}
    assert served == {str(p) for p in ports}  # both backends served
    # Closed per request, 200 upstream connections would sit in TIME-WAIT now; kept alive, none.
    assert time_wait_count(ports) - before <= 5


@pytest.mark.slow
async def test_websockets_pass_and_stay_open_past_60_seconds_idle(site: Site) -> None:
    socket = await open_wss(site, "idle")
    await asyncio.sleep(65)  # nginx's proxy_read_timeout is 60 s; the server's 20 s pings keep it open
    assert not socket.closed
    async with client(site) as http:
        answer = await http.post("/metrics", json={"metric": "idle", "value": 1.5})
        assert answer.status_code == 201
    await eventually(lambda: socket.values("idle") == [1.5], 10, "the point on the idle socket")
    await socket.close()


async def test_a_backend_stopped_with_sigterm_costs_clients_nothing(site: Site, pg_url: str) -> None:
    statuses: list[int] = []
    stop = asyncio.Event()

    async def keep_posting(worker: int) -> None:
        async with client(site) as http:
            i = 0
            while not stop.is_set():
                answer = await http.post("/metrics", json={"metric": f"roll{worker}", "value": float(i)})
                statuses.append(answer.status_code)
                i += 1

    posters = [asyncio.create_task(keep_posting(w)) for w in range(4)]
    await asyncio.sleep(1.5)
    leaving = site.backends[0]
    leaving.process.send_signal(signal.SIGTERM)
    # Draining: /ready fails at once, while it still answers everything else.
    direct = f"http://127.0.0.1:{leaving.port}"
    async with httpx.AsyncClient(timeout=5) as http:
        deadline = time.monotonic() + DRAIN / 2
        while (ready := await http.get(f"{direct}/ready")).status_code != 503:
            assert time.monotonic() < deadline, "/ready still 200 while draining"
            await asyncio.sleep(0.02)
        assert ready.json()["status"] == "draining"
        health = await http.get(f"{direct}/health")
        assert health.status_code == 200
        assert health.headers["connection"] == "close"
    began = time.monotonic()
    await asyncio.to_thread(leaving.process.wait, 30)
    assert time.monotonic() - began >= DRAIN / 2  # it drained before stopping
    assert leaving.process.returncode in (0, -signal.SIGTERM)
    await asyncio.sleep(2)  # keep posting with one backend gone
    stop.set()
    await asyncio.gather(*posters)
    assert len(statuses) > 100
    assert [s for s in statuses if s != 201] == []
    conn = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        stored = await conn.fetchval("SELECT count(*) FROM points WHERE metric LIKE 'roll%'")
    finally:
        await conn.close()
    assert stored == len(statuses)  # each acknowledged once: nothing lost, nothing sent twice


async def test_snapshot_limit_is_per_real_client_across_processes(site: Site) -> None:
    body = {"state": {"selectedMetric": "traffic", "timeRangeHours": 1}}
    async with client(site, "127.0.0.2") as http:
        statuses = [
            (await http.post("/snapshots", json=body, headers={"X-Forwarded-For": f"10.0.0.{i}"})).status_code
            for i in range(40)
        ]
    assert statuses.count(201) == 30
    assert statuses[30:] == [429] * 10
    served = {port for status, port in site.nginx.requests("/snapshots") if status == "201"}
    assert served == {str(b.port) for b in site.backends}  # the 30 came from both processes
    async with client(site, "127.0.0.3") as other:
        assert (await other.post("/snapshots", json=body)).status_code == 201
