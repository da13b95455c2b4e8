"""Shared pieces of the benchmarks: backends, a real server process, CPU accounting, results."""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))

from tests.server import ServerProcess, start_server  # noqa: E402
from tests.services import PostgresServer, RedisServer  # noqa: E402

RESULTS = ROOT / "bench" / "results"

# A stopped benchmark (bench/run.py's timeout) still runs its `finally` blocks: servers, PostgreSQL
# and Redis of its own are stopped and their folders removed.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
REPEATS = 3
# MAX_CONNECTIONS_PER_CLIENT of a bench server: above the 10,000 idle sockets of fanout.py.
BENCH_CONNECTIONS_PER_CLIENT = 100_000


@dataclass
class Result:
    measure: str
    value: float
    unit: str
    target: str
    met: bool
    shape: str = ""
    server_cpu: float | None = None  # CPU seconds per wall second (1.0 = one core busy)
    client_cpu: float | None = None
    notes: str = ""
    load1: float | None = None  # the machine's 1-minute load average when measured (other work too)

    def __post_init__(self) -> None:
        if self.load1 is None:
            self.load1 = round(os.getloadavg()[0], 2)


@contextlib.contextmanager
def backend(shape: str) -> Iterator[dict[str, str]]:
    """Settings for a shape: `embedded` (SQLite file, in-process) or `pg+redis` (servers of our own)."""
    with tempfile.TemporaryDirectory(prefix="cv-bench-") as tmp:
        if shape == "embedded":
            yield {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db", "REDIS_URL": "",
                   "_WORKDIR": tmp}
            return
        pg = PostgresServer.create(durable=True)
        redis = RedisServer.create()
        try:
            assert redis.process is not None
            postmaster = int((pg.datadir / "postmaster.pid").read_text().split()[0])
            yield {"DATABASE_URL": pg.url(), "REDIS_URL": redis.url(), "_WORKDIR": tmp,
                   "_PG_PID": str(postmaster), "_REDIS_PID": str(redis.process.pid)}
        finally:
            redis.destroy()
            pg.destroy()


@contextlib.contextmanager
def server(settings: dict[str, str], **extra: str) -> Iterator[ServerProcess]:
    # Every bench client connects from this host: thousands of sockets from one address, far past
    # the server's default cap per client address (128).
    env = {"MAX_CONNECTIONS_PER_CLIENT": str(BENCH_CONNECTIONS_PER_CLIENT)}
    env.update({k: v for k, v in settings.items() if not k.startswith("_")})
    env.update(extra)
    process = start_server(Path(settings["_WORKDIR"]), timeout=60, **env)
    try:
        yield process
    finally:
        process.stop()


class CpuMeter:
    """CPU seconds used by a process (and its children) between start() and stop()."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.start_cpu = 0.0

    def _total(self) -> float:
        times = self.process.cpu_times()
        return times.user + times.system + times.children_user + times.children_system

    def start(self) -> None:
        self.start_cpu = self._total()

    def stop(self) -> float:
        return self._total() - self.start_cpu


class TreeCpuMeter(CpuMeter):
    """CPU seconds of a process and all its live descendants (a browser, client workers)."""

    def _total(self) -> float:
        total = 0.0
        for proc in [self.process, *self.process.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
        return total


class ShapeCpuMeter:
    """CPU seconds of the server and, in the pg+redis shape, of Redis and of PostgreSQL (the
    postmaster and its backends), between start() and stop()."""

    def __init__(self, server_pid: int, settings: dict[str, str]) -> None:
        self.meters = {"server": CpuMeter(server_pid)}
        if "_REDIS_PID" in settings:
            self.meters["redis"] = CpuMeter(int(settings["_REDIS_PID"]))
            self.meters["postgres"] = TreeCpuMeter(int(settings["_PG_PID"]))

    def start(self) -> None:
        for meter in self.meters.values():
            meter.start()

    def stop(self) -> dict[str, float]:
        return {name: meter.stop() for name, meter in self.meters.items()}


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def load_avg() -> float:
    return round(os.getloadavg()[0], 2)


def median_of(runs: int, once: Callable[[], dict[str, float]]) -> dict[str, float]:
    """Run a measurement several times; every field becomes its median."""
    samples = [once() for _ in range(runs)]
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]}


def emit(results: list[Result], name: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps([asdict(r) for r in results], indent=2))
    for r in results:
        print(f"{r.measure} [{r.shape}]: {r.value:.4g} {r.unit} (target {r.target}) "
              f"{'MET' if r.met else 'NOT MET'} load {r.load1}", flush=True)


# PY_SPY names a py-spy installed elsewhere (e.g. under /tmp, outside the repository).
PY_SPY = Path(os.environ.get("PY_SPY") or ROOT / ".venv" / "bin" / "py-spy")


@contextlib.contextmanager
def spy(pid: int, name: str, rate: int = 200) -> Iterator[Path]:
    """Sample `pid` with py-spy (if installed) while the block runs; collapsed stacks to results/.

    Only used when BENCH_PROFILE=1: a profile of what limits a benchmark, for BENCHMARKS.md.
    """
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}.collapsed"
    if os.environ.get("BENCH_PROFILE") != "1" or not PY_SPY.exists():
        yield out
        return
    import subprocess

    proc = subprocess.Popen([str(PY_SPY), "record", "--pid", str(pid), "--rate", str(rate),
                             "--format", "raw", "--nonblocking", "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield out
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        if out.exists():
            (RESULTS / f"{name}.top.txt").write_text(summarise(out))


def summarise(collapsed: Path, top: int = 25) -> str:
    """Self and inclusive sample shares of the hottest frames in a py-spy collapsed-stack file."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + n
    lines = [f"{total} samples", "", "self%  frame"]
    for frame, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"{100 * n / total:5.1f}  {frame}")
    lines += ["", "incl%  frame"]
    for frame, n in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"{100 * n / total:5.1f}  {frame}")
    return "\n".join(lines) + "\n"
