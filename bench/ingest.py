"""Ingest: single points from 32 concurrent clients (wrk), and 10,000-point batches; and single
points through the repository's nginx sample (deploy/nginx, TLS, upstream keepalive) against the
same backend directly."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson
from common import REPEATS, CpuMeter, Result, backend, emit, median_of, server
from tests.proxy import nginx_sample

DURATION = 8


def _ms(text: str) -> float:
    """wrk's duration text ("812.00us", "12.5ms", "1.02s", "1.10m") in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise RuntimeError(f"wrk printed a latency this script cannot read: {text!r}")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6}[unit]


def single(url: str, pid: int) -> dict[str, float]:
    meter = CpuMeter(pid)
    meter.start()
    began = time.monotonic()
    run = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{DURATION}s", "--latency", "-s", "bench/wrk_post.lua", url],
        capture_output=True, text=True, check=True, timeout=DURATION + 60,
    )
    wall = time.monotonic() - began
    server_cpu = meter.stop() / wall
    out = run.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # The distribution's own line: a "+/- Stdev" column such as 85.99% must not match.
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)$", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} failed requests:\n{out}")
    return {"rps": rps, "p99_ms": p99, "server_cpu": server_cpu}


def batches(url: str, pid: int) -> dict[str, float]:
    count, size = 20, 10_000
    bodies = [
        orjson.dumps([{"metric": f"batch{b % 4}", "value": 100.0 + (i % 17), "ts": 1.75e9 + b * size + i}
                      for i in range(size)])
        for b in range(count)
    ]
    meter = CpuMeter(pid)
    with httpx.Client(base_url=url, timeout=120) as client:
        meter.start()
        began = time.monotonic()
        for body in bodies:
            response = client.post("/metrics", content=body, headers={
                "content-type": "application/json", "prefer": "return=minimal"})
            response.raise_for_status()
        wall = time.monotonic() - began
    return {"pps": count * size / wall, "server_cpu": meter.stop() / wall}


def proxied() -> list[Result]:
    """Single points through deploy/nginx/chronoview.conf to one backend, against that backend
    directly, measured alternately (direct, proxied, ...) so both see the same machine load."""
    shape = "pg+redis"
    with backend(shape) as settings, server(settings) as proc, \
            tempfile.TemporaryDirectory(prefix="cv-bench-nginx-") as tmp, \
            nginx_sample(Path(tmp), [proc.port]) as nginx:
        runs = [(single(proc.url, proc.process.pid), single(nginx.url, proc.process.pid))
                for _ in range(REPEATS)]
    direct = sorted(d["rps"] for d, _ in runs)[len(runs) // 2]
    via = sorted(v["rps"] for _, v in runs)[len(runs) // 2]
    ratio = 100 * via / direct
    return [Result("single-point POST /metrics through the nginx sample, % of direct", ratio, "%",
                   ">= 70", ratio >= 70, shape, None,
                   notes=f"1 backend; direct {direct:.0f} req/s, via nginx (TLS) {via:.0f} req/s; wrk -c32")]


def main() -> list[Result]:
    results = []
    for shape in ("pg+redis", "embedded"):
        with backend(shape) as settings, server(settings) as proc:
            s = median_of(REPEATS, lambda: single(proc.url, proc.process.pid))
            results.append(Result("single-point POST /metrics, 32 clients", s["rps"], "req/s",
                                  ">= 3000", s["rps"] >= 3000, shape, s["server_cpu"], 1.0,
                                  notes="client: wrk, 2 threads"))
            results.append(Result("single-point POST /metrics p99", s["p99_ms"], "ms", "<= 20",
                                  s["p99_ms"] <= 20, shape, s["server_cpu"]))
            b = median_of(REPEATS, lambda: batches(proc.url, proc.process.pid))
            results.append(Result("batch ingest, 10,000-point batches", b["pps"], "points/s",
                                  ">= 100000", b["pps"] >= 100_000, shape, b["server_cpu"]))
    return results


if __name__ == "__main__":
    if sys.argv[1:] == ["proxy"]:
        emit(proxied(), "ingest-proxy")
    else:
        emit(main(), "ingest")
