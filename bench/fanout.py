"""WebSocket fan-out: delivery latency, idle sockets' memory, and the delivery ceiling of one process.

    fanout.py [stream|idle|idle-plain|ceiling ...]   (default: all; bench/run.py runs them one by one)

- stream: 1,000 sockets on one metric, 10 points/s posted for 20 s (one POST every 100 ms): every
  message must reach every socket, p99 post → socket ≤ 100 ms; embedded and PostgreSQL + Redis.
- idle: 10,000 idle sockets held by one server process: its RSS ≤ 300 MB (idle-plain: the same with
  clients that do not offer permessage-deflate, to show what compression costs per socket).
- ceiling: 1,000 sockets, points/s stepped up (one POST of k points every 100 ms) until p99 passes
  100 ms or a message is lost: the deliveries/s one process sustains.

Latency: each posted value is time.time() just before the POST, and the receiving client process
compares it with time.time() on receipt (same machine, same clock). The clients are separate
processes (bench/fanout_client.py, asyncio + websockets, permessage-deflate offered as browsers
do), so on this 2-core machine they compete with the server for CPU: client CPU is reported.
"""

from __future__ import annotations

import contextlib
import json
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path

import httpx
import orjson
import psutil
from common import CpuMeter, Result, backend, emit, load_avg, percentile, server, spy

HERE = Path(__file__).resolve().parent
METRIC = "fan"
TARGET_MS = 100.0
IDLE_SOCKETS = 10_000
IDLE_TARGET_MB = 300.0


def raise_nofile(wanted: int) -> int:
    """Raise our soft limit on open files (inherited by the server and the clients we start)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


class Clients:
    """Client processes holding sockets; started, then read back at the end."""

    def __init__(self, urls: list[str], sizes: list[int], mode: str, deadline: float, tmp: str,
                 deflate: bool = True) -> None:
        """One client process per size, the i-th connecting its sockets to `urls[i]`."""
        self.outs = [Path(tmp) / f"client{i}.bin" for i in range(len(sizes))]
        self.procs = [
            subprocess.Popen([sys.executable, str(HERE / "fanout_client.py"), url, METRIC, str(n),
                              str(out), mode, str(deadline), "deflate" if deflate else "plain"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for url, n, out in zip(urls, sizes, self.outs, strict=True)
        ]
        self.sizes = sizes

    def wait_ready(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        for proc in self.procs:
            assert proc.stdout is not None
            ready, _, _ = select.select([proc.stdout], [], [], max(0.0, end - time.monotonic()))
            line = proc.stdout.readline().decode() if ready else ""
            if not line.startswith("READY"):
                self.kill()
                err = proc.stderr.read().decode()[-800:] if proc.stderr else ""
                raise RuntimeError(f"client not ready after {timeout}s: {line!r} {err}")

    def meters(self) -> list[CpuMeter]:
        return [CpuMeter(p.pid) for p in self.procs]

    def finish(
        self, timeout: float, terminate: bool = False
    ) -> tuple[list[int], dict[str, int], array, array]:
        counts: list[int] = []
        closes: dict[str, int] = {}
        sent, received = array("d"), array("d")
        for proc, out in zip(self.procs, self.outs, strict=True):
            if terminate:
                proc.send_signal(signal.SIGTERM)
            try:
                stdout, stderr = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                stdout, stderr = proc.communicate()
            lines = stdout.decode().strip().splitlines()
            if not lines or not lines[-1].startswith("{"):
                raise RuntimeError(f"client failed: {stderr.decode()[-800:]}")
            summary = json.loads(lines[-1])
            counts += summary["counts"]
            for code, n in summary["closes"].items():
                closes[code] = closes.get(code, 0) + n
            raw = out.read_bytes()
            n = int(array("d", raw[:8])[0])
            sent.frombytes(raw[8 : 8 + 8 * n])
            received.frombytes(raw[8 + 8 * n : 8 + 16 * n])
        return counts, closes, sent, received

    def kill(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()


def post_ticks(clients: list[httpx.Client], rate: int, seconds: float) -> list[float]:
    """`rate` points/s whose value is the send time: one POST every 1/rate s up to 10/s, above that
    one POST of rate/10 points every 100 ms, each to the next of `clients` in turn. Returns the
    send times."""
    headers = {"content-type": "application/json", "prefer": "return=minimal"}
    times: list[float] = []
    start = time.monotonic()
    per_tick, hz = (1, rate) if rate <= 10 else (rate // 10, 10)
    ticks = round(seconds * hz)
    for tick in range(ticks):
        delay = start + tick / hz - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        now = time.time()
        body: object = ({"metric": METRIC, "value": now} if per_tick == 1
                        else [{"metric": METRIC, "value": now} for _ in range(per_tick)])
        clients[tick % len(clients)].post("/metrics", content=orjson.dumps(body),
                                          headers=headers).raise_for_status()
        times += [now] * per_tick
    return times


def post_marker(client: httpx.Client, value: float) -> None:
    client.post("/metrics", json={"metric": METRIC, "value": value}).raise_for_status()


def latencies(sent: array, received: array, lo: float, hi: float) -> list[float]:
    return [(r - s) * 1000 for s, r in zip(sent, received, strict=True) if lo <= s <= hi]


def stream(shape: str, sockets: int = 1000, rate: int = 10, seconds: float = 20,
           processes: int = 1) -> list[Result]:
    """With `processes` > 1 (PostgreSQL + Redis), that many servers: the sockets are spread over
    them and the points posted to each in turn, so every socket's stream mixes the publishers'
    points and the reorder step (SPEC §6) does real work."""
    raise_nofile(sockets + 1024)
    with backend(shape) as settings, contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        procs = [stack.enter_context(server(settings)) for _ in range(processes)]
        https = [stack.enter_context(httpx.Client(base_url=proc.url, timeout=30)) for proc in procs]
        per_client = [sockets // 2, sockets - sockets // 2] if processes == 1 else \
            [sockets // processes + (i < sockets % processes) for i in range(processes)]
        urls = [procs[i % processes].url for i in range(len(per_client))]
        clients = Clients(urls, per_client, "stream", seconds + 60, tmp)
        try:
            clients.wait_ready(60)
            time.sleep(1)
            post_marker(https[0], 1.0)  # warm-up: the metric's window is built from the database
            time.sleep(1)
            servers = [CpuMeter(proc.process.pid) for proc in procs]
            meters = [*servers, *clients.meters()]
            for meter in meters:
                meter.start()
            began = time.monotonic()
            times = post_ticks(https, rate, seconds)
            time.sleep(2)
            wall = time.monotonic() - began
            cpu = [meter.stop() / wall for meter in meters]
            post_marker(https[0], -1.0)
            counts, closes, sent, received = clients.finish(30)
        finally:
            clients.kill()
    lat = latencies(sent, received, times[0], times[-1])
    expected = len(times) * sockets
    p99 = percentile(lat, 99)
    met = len(lat) == expected and min(counts) == len(times) and p99 <= TARGET_MS
    load = load_avg()
    notes = (f"delivered {len(lat):,}/{expected:,} (min per socket {min(counts)}/{len(times)}); "
             f"p50 {percentile(lat, 50):.1f} ms, max {max(lat):.0f} ms; closes {closes or 'none'}; "
             f"{len(per_client)} client processes")
    if processes > 1:
        notes += f"; {processes} server processes publishing in turn, sockets spread over them"
    return [Result(f"fan-out {sockets:,} sockets x {rate} points/s for {seconds:g} s: p99 post->socket",
                   p99, "ms", f"<= {TARGET_MS:g}, all delivered", met,
                   shape if processes == 1 else f"{shape}, {processes} processes",
                   sum(cpu[:processes]), sum(cpu[processes:]), notes, load)]


def idle(sockets: int = IDLE_SOCKETS, processes: int = 4, deflate: bool = True) -> list[Result]:
    limit = raise_nofile(sockets + 1024)
    if limit < sockets + 100:
        raise RuntimeError(f"open-file limit {limit} is too low for {sockets} sockets")
    with backend("embedded") as settings, server(settings) as proc, tempfile.TemporaryDirectory() as tmp:
        server_proc = psutil.Process(proc.process.pid)
        warm = Clients([proc.url], [20], "idle", 5, tmp)  # load the WebSocket code paths once
        warm.wait_ready(30)
        warm.finish(20, terminate=True)
        time.sleep(1)
        before = server_proc.memory_info().rss
        per = [sockets // processes] * processes
        clients = Clients([proc.url] * len(per), per, "idle", 120, tmp, deflate)
        try:
            began = time.monotonic()
            clients.wait_ready(90)
            connect_s = time.monotonic() - began
            time.sleep(3)
            meter = CpuMeter(proc.process.pid)
            meter.start()
            samples = []
            for _ in range(10):
                samples.append(server_proc.memory_info().rss)
                time.sleep(0.5)
            idle_cpu = meter.stop() / 5.0
            fds = server_proc.num_fds()
            clients.finish(30, terminate=True)
        finally:
            clients.kill()
    after = max(samples)
    growth = after - before
    load = load_avg()
    notes = (f"RSS {before / 2**20:.0f} MB before, {after / 2**20:.0f} MB with {sockets:,} sockets "
             f"({growth / sockets / 1024:.1f} KiB per connection); {fds:,} fds open; connected in "
             f"{connect_s:.0f} s from {processes} client processes; open-file limit {limit}")
    how = "permessage-deflate offered (as browsers do)" if deflate else "no compression offered"
    return [Result(f"{sockets:,} idle sockets, server RSS", after / 2**20, "MB", f"<= {IDLE_TARGET_MB:g}",
                   after / 2**20 <= IDLE_TARGET_MB, "embedded", idle_cpu, None, f"{how}; {notes}", load)]


def ceiling(sockets: int = 1000, rates: tuple[int, ...] = (2, 5, 10, 20, 40, 80, 160),
            step_seconds: float = 5) -> list[Result]:
    raise_nofile(sockets + 1024)
    steps: list[tuple[int, float, float, int]] = []  # rate, first send, last send, points
    with backend("embedded") as settings, server(settings) as proc, tempfile.TemporaryDirectory() as tmp, \
            httpx.Client(base_url=proc.url, timeout=30) as http:
        clients = Clients([proc.url] * 2, [sockets // 2, sockets - sockets // 2], "stream", 110, tmp)
        try:
            clients.wait_ready(60)
            time.sleep(1)
            post_marker(http, 1.0)
            time.sleep(1)
            meters = [CpuMeter(proc.process.pid), *clients.meters()]
            cpu_by_step: list[list[float]] = []
            profile = spy(proc.process.pid, "fanout-ceiling")
            profile.__enter__()
            for rate in rates:
                for meter in meters:
                    meter.start()
                began = time.monotonic()
                times = post_ticks([http], rate, step_seconds)
                time.sleep(1.5)
                wall = time.monotonic() - began
                cpu_by_step.append([meter.stop() / wall for meter in meters])
                steps.append((rate, times[0], times[-1], len(times)))
                behind = time.monotonic() - began - step_seconds - 1.5
                if behind > 1.0:  # the poster itself could not keep the pace: stop here
                    break
            profile.__exit__(None, None, None)
            post_marker(http, -1.0)
            _, closes, sent, received = clients.finish(30)
        finally:
            clients.kill()
    best, best_cpu, rows = 0.0, [0.0, 0.0], []
    for (rate, lo, hi, points), cpu in zip(steps, cpu_by_step, strict=True):
        lat = latencies(sent, received, lo, hi)
        p99 = percentile(lat, 99)
        ok = len(lat) == points * sockets and p99 <= TARGET_MS
        per_s = points * sockets / step_seconds
        rows.append(f"{rate}/s x {sockets}: p99 {p99:.0f} ms, {len(lat) / (points * sockets):.1%} "
                    f"delivered, server {cpu[0]:.2f} cores")
        if not ok:
            break
        best, best_cpu = per_s, [cpu[0], sum(cpu[1:])]
    load = load_avg()
    notes = "; ".join(rows) + f"; closes {closes or 'none'}; clients share the 2 cores"
    return [Result("fan-out ceiling: deliveries/s with p99 <= 100 ms, one process", best, "msgs/s",
                   "measured (>= 10,000 for the 1,000 x 10/s case)", best >= 10_000, "embedded",
                   best_cpu[0], best_cpu[1], notes, load)]


PARTS = {
    "stream": lambda: stream("embedded") + stream("pg+redis"),
    "stream3": lambda: stream("pg+redis", processes=3),
    "idle": lambda: idle(deflate=True),
    "idle-plain": lambda: idle(deflate=False),  # diagnosis: the same without permessage-deflate
    "ceiling": ceiling,
}


def main(parts: list[str]) -> list[Result]:
    results: list[Result] = []
    for part in parts:
        results += PARTS[part]()
    return results


if __name__ == "__main__":
    chosen = sys.argv[1:] or list(PARTS)
    emit(main(chosen), "fanout" if len(chosen) == len(PARTS) else "fanout-" + "-".join(chosen))
