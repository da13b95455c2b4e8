"""A real ChronoView server process on a free loopback port: the one launcher every test uses.

A server is `python -m chronoview serve` in a subprocess (or, with `asgi`, `uvicorn --factory
chronoview.main:create_app`, the other supported start, which serves with uvicorn's own WebSocket
protocol and so the stream's portable path), embedded with no simulator unless the settings say
otherwise; its output goes to a log file in `workdir`. A test that needs a fault inside the
server starts it through a launcher of its own: a module that patches the part concerned, then
runs `chronoview.__main__.main` (e.g. tests/stream/killed_before_publish.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx

from tests.services import free_port

BACKEND = Path(__file__).resolve().parents[1]


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def ws_url(self, metrics: Iterable[str], since: str | None = None) -> str:
        query = [("metric", m) for m in metrics] + ([("since", since)] if since is not None else [])
        return f"ws://127.0.0.1:{self.port}/ws/stream?{urlencode(query)}"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def wait_ready(self, within: float = 30) -> ServerProcess:
        """Wait until /health answers 200; a server that exits or never answers fails the test."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            time.sleep(0.05)
        self.stop(signal.SIGKILL)
        raise TimeoutError(f"server did not answer /health in {within}s: {self.tail()}")


def spawn(workdir: Path, env: Mapping[str, str] | None = None, *, port: int | None = None,
          asgi: bool = False, args: Sequence[str] = (), launcher: str = "chronoview") -> ServerProcess:
    """Start a server process without waiting for it (start several, then `wait_ready` each);
    `args` go after `chronoview serve` (e.g. `--workers 2`), or after uvicorn's own with `asgi`;
    `launcher` is the module run as `python -m <launcher> serve` (a test's own, under tests/)."""
    port = port or free_port()
    settings = {"APP_HOST": "127.0.0.1", "APP_PORT": str(port), "SIMULATED_METRICS": "", "REDIS_URL": "",
                "CORS_ORIGINS": "", "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'cv.db'}"}
    settings.update(env or {})
    if launcher != "chronoview":  # the server runs in `workdir`: tests/ must be importable there
        settings["PYTHONPATH"] = os.pathsep.join(filter(None, (str(BACKEND), os.environ.get("PYTHONPATH"))))
    command = [sys.executable, "-m", launcher, "serve", *args]
    if asgi:
        command = [sys.executable, "-m", "uvicorn", "--factory", "chronoview.main:create_app",
                   "--host", "127.0.0.1", "--port", str(port), *args]
    log = workdir / f"server-{port}.log"
    process = subprocess.Popen(command, cwd=workdir, env={**os.environ, **settings},
                               stdout=log.open("wb"), stderr=subprocess.STDOUT)
    return ServerProcess(process, port, log)


def start_server(workdir: Path, port: int | None = None, timeout: float = 30, *, asgi: bool = False,
                 **env: str) -> ServerProcess:
    """A server with these settings, once /health answers."""
    return spawn(workdir, env, port=port, asgi=asgi).wait_ready(timeout)


@contextlib.contextmanager
def running_server(workdir: Path, **env: str) -> Iterator[ServerProcess]:
    server = spawn(workdir, env).wait_ready()
    try:
        yield server
    finally:
        server.stop()
