"""A real ChronoView server process on a free loopback port, for tests that need one."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.services import free_port


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


def start_server(workdir: Path, port: int | None = None, timeout: float = 30, **env: str) -> ServerProcess:
    """`python -m chronoview serve` in `workdir` with these settings; waits until /health answers."""
    port = port or free_port()
    settings = {"APP_HOST": "127.0.0.1", "APP_PORT": str(port), "SIMULATED_METRICS": "",
                "REDIS_URL": "", "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'cv.db'}"}
    settings.update(env)
    log = workdir / f"server-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "chronoview", "serve"], cwd=workdir,
        env={**os.environ, **settings}, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    server = ServerProcess(process, port, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                return server
        time.sleep(0.1)
    server.stop(signal.SIGKILL)
    raise TimeoutError(f"server did not answer /health in {timeout}s: {log.read_text()[-2000:]}")


@contextlib.contextmanager
def running_server(workdir: Path, **env: str) -> Iterator[ServerProcess]:
    server = start_server(workdir, **env)
    try:
        yield server
    finally:
        server.stop()
