"""`chronoview serve --workers 2` on PostgreSQL + Redis (SPEC §13), scraped by a real Prometheus.

One window and one simulator per metric across the workers, every socket gets every point, and the
self-metrics a scrape returns are the sum over both workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server import ServerProcess, spawn
from tests.services import free_port, unavailable
from tests.stream.harness import eventually, open_socket

BASE = float(int(time.time()) - 120)
POSTED = 60


def workers_of(parent: int) -> list[int]:
    """The worker processes uvicorn's supervisor started (its children that run the app)."""
    children = []
    for name in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent and b"spawn_main" in Path(f"/proc/{name}/cmdline").read_bytes():
                children.append(int(name))
    return children


@contextlib.contextmanager
def prometheus(tmp_path: Path, target: str) -> Iterator[str]:
    """Debian's prometheus scraping `target`/-/metrics every second; yields its API URL."""
    binary = shutil.which("prometheus")
    if binary is None:
        unavailable("prometheus is not installed (scripts/system-deps.sh installs it)")
        raise AssertionError  # unreachable: unavailable() skips or fails
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: chronoview\n"
        "    metrics_path: /-/metrics\n"
        f"    static_configs: [{{targets: ['{target}']}}]\n"
    )
    log = (tmp_path / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def metric_files(worker: int) -> tuple[Path, set[str]]:
    """The multiprocess directory a worker writes its values to, and the counter files in it."""
    environ = Path(f"/proc/{worker}/environ").read_bytes().split(b"\0")
    variable = next(v for v in environ if v.startswith(b"PROMETHEUS_MULTIPROC_DIR="))
    directory = Path(variable.split(b"=", 1)[1].decode())
    return directory, {f.name for f in directory.glob("counter_*.db")}


def query(api: str, expression: str) -> float | None:
    with contextlib.suppress(httpx.HTTPError, KeyError, IndexError, ValueError):
        answer = httpx.get(f"{api}/api/v1/query", params={"query": expression}, timeout=2).json()
        return float(answer["data"]["result"][0]["value"][1])
    return None


@pytest.fixture
def two_workers(tmp_path: Path, pg_url: str, redis_url: str) -> Iterator[ServerProcess]:
    server = spawn(tmp_path, {"DATABASE_URL": pg_url, "REDIS_URL": redis_url, "SIMULATED_METRICS": "simw",
                              "SIMULATION_INTERVAL_SECONDS": "0.2"}, args=["--workers", "2"])
    try:
        yield server.wait_ready(60)
    finally:
        server.stop()


async def test_two_workers_share_windows_simulators_and_fan_out(
    two_workers: ServerProcess, tmp_path: Path
) -> None:
    server = two_workers
    workers = await eventually(lambda: len(workers_of(server.pid)) == 2 and workers_of(server.pid),
                               30, "two workers")
    sockets = [await open_socket(server.ws_url(["posted", "simw"])) for _ in range(8)]
    for i in range(POSTED):
        # A connection per request: the kernel spreads them over both workers' accept loops.
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            answer = await http.post("/metrics", json={"metric": "posted", "value": float(i), "ts": BASE + i})
            assert answer.status_code == 201, answer.text
            assert answer.json()["n"] == i  # one window: every earlier point is in its baseline
    for socket in sockets:
        await eventually(lambda s=socket: len(s.of("posted")) == POSTED, 15, "every posted point")  # type: ignore[misc]
        assert socket.values("posted") == [float(i) for i in range(POSTED)]
        assert [m["n"] for m in socket.of("posted")] == list(range(POSTED))

    # One producer for the simulated metric: ~5 points a second (two would make ~10), each scored
    # against one window, so the baseline grows by one point per point.
    before = len(sockets[0].of("simw"))
    await asyncio.sleep(4)
    simulated = sockets[0].of("simw")[before:]
    assert 10 <= len(simulated) <= 30, len(simulated)
    counts = [m["n"] for m in simulated]
    assert counts == list(range(counts[0], counts[0] + len(counts)))
    for socket in sockets:
        await socket.close()

    # Both workers served requests (each keeps its own counter file), and a scrape sums them.
    metrics_dir, files = metric_files(workers[0])
    assert {f"counter_{pid}.db" for pid in workers} <= files
    with prometheus(tmp_path, f"127.0.0.1:{server.port}") as api:
        await eventually(
            lambda: query(api, 'sum(chronoview_points_ingested_total{source="http"})') == POSTED,
            30, "Prometheus to see every posted point",
        )
        posts = 'sum(chronoview_http_requests_total{route="/metrics",method="POST",status="201"})'
        assert query(api, posts) == POSTED
        assert (query(api, 'sum(chronoview_points_ingested_total{source="simulator"})') or 0) > 0
        assert query(api, "sum(chronoview_websocket_closed_total)") == len(sockets)
        assert query(api, "sum(chronoview_websocket_connections)") == 0
    server.stop()
    assert not metrics_dir.exists()  # the directory lives as long as the start
