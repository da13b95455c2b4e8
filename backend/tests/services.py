"""Throwaway PostgreSQL, pgbouncer and Redis servers started from the local binaries.

Tests take `TEST_DATABASE_URL` / `TEST_REDIS_URL` when they are set; otherwise they get servers of
their own here, on free loopback ports, in temporary folders, stopped at the end. A test that
stops or kills a server only ever does so to one started here, never the machine's shared ones.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REQUIRE_SERVICES = os.environ.get("CHRONOVIEW_REQUIRE_SERVICES") == "1"
_RUN_AS = "postgres"  # PostgreSQL and pgbouncer refuse to run as root


def unavailable(reason: str) -> None:
    """Skip loudly, or fail when the run requires real services."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service unavailable: {reason}", pytrace=False)
    pytest.skip(f"SERVICE UNAVAILABLE, test skipped: {reason}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def _as_service_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", _RUN_AS, "--", *cmd]
    return cmd


def _pg_bindir() -> Path | None:
    found = shutil.which("pg_config")
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False)
        candidates.insert(0, out.stdout.strip())
    for path in candidates:
        if path and (Path(path) / "postgres").exists() and (Path(path) / "initdb").exists():
            return Path(path)
    return None


def _make_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="chronoview-svc-"))
    if os.geteuid() == 0:
        shutil.chown(path, _RUN_AS, _RUN_AS)
    return path


def make_self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate for localhost, readable only by its owner (PostgreSQL insists)."""
    cert, key = directory / "server.crt", directory / "server.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    key.chmod(0o600)
    if os.geteuid() == 0:
        for path in (cert, key):
            shutil.chown(path, _RUN_AS, _RUN_AS)
    return cert, key


@dataclass
class PostgresServer:
    """A PostgreSQL cluster of our own: start, stop and kill are safe to call from tests."""

    datadir: Path
    port: int
    tls: bool = False
    durable: bool = False
    bindir: Path = field(default_factory=lambda: _pg_bindir() or Path("/usr/bin"))

    @classmethod
    def create(cls, tls: bool = False, durable: bool = False) -> PostgresServer:
        """Tests trade durability for speed; benchmarks ask for `durable` (fsync and sync commit on)."""
        bindir = _pg_bindir()
        if bindir is None:
            raise FileNotFoundError("PostgreSQL server binaries (initdb, postgres) not found")
        root = _make_dir()
        datadir = root / "data"
        subprocess.run(
            _as_service_user([str(bindir / "initdb"), "-D", str(datadir), "-A", "trust",
                              "-U", "postgres", "--no-sync", "-E", "UTF8"]),
            check=True, capture_output=True,
        )
        server = cls(datadir=datadir, port=free_port(), tls=tls, durable=durable, bindir=bindir)
        if tls:
            make_self_signed_cert(datadir)
        server.start()
        return server

    def _options(self) -> str:
        opts = [f"-p {self.port}", f"-k {self.datadir.parent}", "-c listen_addresses=127.0.0.1",
                "-c max_connections=200"]
        if not self.durable:
            opts += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        if self.tls:
            opts += ["-c ssl=on", "-c ssl_cert_file=server.crt", "-c ssl_key_file=server.key"]
        return " ".join(opts)

    def start(self) -> None:
        subprocess.run(
            _as_service_user([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-w",
                              "-t", "30", "-o", self._options(), "-l",
                              str(self.datadir.parent / "postgres.log"), "start"]),
            check=True, capture_output=True,
        )
        wait_for_port(self.port)

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            _as_service_user([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", mode,
                              "-w", "stop"]),
            check=False, capture_output=True,
        )

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.datadir.parent, ignore_errors=True)

    def url(self, database: str = "postgres", driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"


@dataclass
class PgBouncer:
    """pgbouncer in transaction mode in front of one PostgreSQL server."""

    port: int
    workdir: Path
    process: subprocess.Popen[bytes]

    @classmethod
    def create(cls, target_port: int) -> PgBouncer:
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not Path(binary).exists():
            raise FileNotFoundError("pgbouncer not installed")
        workdir = _make_dir()
        port = free_port()
        users = workdir / "users.txt"
        users.write_text('"postgres" ""\n')
        config = workdir / "pgbouncer.ini"
        config.write_text(
            "[databases]\n"
            f"* = host=127.0.0.1 port={target_port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {port}\n"
            f"unix_socket_dir = {workdir}\n"
            "auth_type = trust\n"
            f"auth_file = {users}\n"
            "pool_mode = transaction\n"
            "max_client_conn = 500\ndefault_pool_size = 3\n"
            "ignore_startup_parameters = extra_float_digits,options,statement_timeout\n"
        )
        if os.geteuid() == 0:
            for path in (users, config):
                shutil.chown(path, _RUN_AS, _RUN_AS)
        # pgbouncer drops to the service user itself (-u): under runuser the handle would be
        # runuser's, and killing it left pgbouncer running.
        user = ["-u", _RUN_AS] if os.geteuid() == 0 else []
        process = subprocess.Popen([binary, *user, str(config)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(port)
        return cls(port=port, workdir=workdir, process=process)

    def destroy(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)  # 1.18: immediate; SIGINT waited for clients
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        if self.process.poll() is None:
            self.process.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"


@dataclass
class RedisServer:
    """A redis-server of our own, in memory only."""

    port: int
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def create(cls, port: int | None = None) -> RedisServer:
        if shutil.which("redis-server") is None:
            raise FileNotFoundError("redis-server not installed")
        server = cls(port=port or free_port())
        server.start()
        return server

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def destroy(self) -> None:
        self.kill()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


@contextlib.contextmanager
def owned_postgres(tls: bool = False) -> Iterator[PostgresServer]:
    try:
        server = PostgresServer.create(tls=tls)
    except (FileNotFoundError, subprocess.CalledProcessError, TimeoutError) as exc:
        unavailable(f"cannot start a throwaway PostgreSQL: {exc}")
        raise
    try:
        yield server
    finally:
        server.destroy()


@contextlib.contextmanager
def owned_redis() -> Iterator[RedisServer]:
    try:
        server = RedisServer.create()
    except (FileNotFoundError, TimeoutError) as exc:
        unavailable(f"cannot start a throwaway Redis: {exc}")
        raise
    try:
        yield server
    finally:
        server.destroy()
