"""Ingest: single points from 32 concurrent clients (wrk), and 10,000-point batches; and single
points through the repository's nginx sample (deploy/nginx, TLS, upstream keepalive) against the
same backend directly."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson
from common import REPEATS, Result, ShapeCpuMeter, backend, emit, median_of, server, spy
from tests.proxy import nginx_sample

DURATION = 8
# A part of the run alone, e.g. BENCH_INGEST_SHAPE=pg+redis BENCH_INGEST_METRICS=1 (the single-point
# case with every connection on one metric, no batches); unset, every shape and case runs.
SHAPES = os.environ.get("BENCH_INGEST_SHAPE", "pg+redis,embedded").split(",")
SINGLE_ONLY = "BENCH_INGEST_METRICS" in os.environ
METRIC_COUNTS = [int(n) for n in os.environ.get("BENCH_INGEST_METRICS", "4,1").split(",")]


def _ms(text: str) -> float:
    """wrk's duration text ("812.00us", "12.5ms", "1.02s", "1.10m") in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise RuntimeError(f"wrk printed a latency this script cannot read: {text!r}")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6}[unit]


def single(url: str, pid: int, settings: dict[str, str], metrics: int = 4) -> dict[str, float]:
    """32 connections posting one point each, spread over `metrics` metrics (wrk_post.lua)."""
    meter = ShapeCpuMeter(pid, settings)
    meter.start()
    began = time.monotonic()
    run = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{DURATION}s", "--latency", "-s", "bench/wrk_post.lua", url],
        capture_output=True, text=True, check=True, timeout=DURATION + 60,
        env={**os.environ, "BENCH_METRICS": str(metrics)},
    )
    wall = time.monotonic() - began
    cpu = meter.stop()
    out = run.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # The distribution's own line: a "+/- Stdev" column such as 85.99% must not match.
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)$", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} failed requests:\n{out}")
    requests = rps * wall
    return {"rps": rps, "p99_ms": p99, "server_cpu": cpu["server"] / wall,
            **{f"{name}_us": seconds / requests * 1e6 for name, seconds in cpu.items()}}


def batches(url: str, pid: int, settings: dict[str, str], run: int) -> dict[str, float]:
    """20 batches of 10,000 points. Run `run` stamps its points after those of every earlier run,
    as a collector's data goes on: the same stamps again would be a re-post of stored points (each
    a late point for its window, inserted inside the stored range)."""
    count, size = 20, 10_000
    first = 1.75e9 + run * count * size
    bodies = [
        orjson.dumps([{"metric": f"batch{b % 4}", "value": 100.0 + (i % 17), "ts": first + b * size + i}
                      for i in range(size)])
        for b in range(count)
    ]
    meter = ShapeCpuMeter(pid, settings)
    with httpx.Client(base_url=url, timeout=120) as client:
        meter.start()
        began = time.monotonic()
        for body in bodies:
            response = client.post("/metrics", content=body, headers={
                "content-type": "application/json", "prefer": "return=minimal"})
            response.raise_for_status()
        wall = time.monotonic() - began
    cpu = meter.stop()
    points = count * size
    return {"pps": points / wall, "server_cpu": cpu["server"] / wall,
            **{f"{name}_us": seconds / points * 1e6 for name, seconds in cpu.items()}}


def proxied() -> list[Result]:
    """Single points through deploy/nginx/chronoview.conf to one backend, against that backend
    directly, measured alternately (direct, proxied, ...) so both see the same machine load."""
    shape = "pg+redis"
    with backend(shape) as settings, server(settings) as proc, \
            tempfile.TemporaryDirectory(prefix="cv-bench-nginx-") as tmp, \
            nginx_sample(Path(tmp), [proc.port]) as nginx:
        runs = [(single(proc.url, proc.process.pid, settings),
                 single(nginx.url, proc.process.pid, settings))
                for _ in range(REPEATS)]
    direct = sorted(d["rps"] for d, _ in runs)[len(runs) // 2]
    via = sorted(v["rps"] for _, v in runs)[len(runs) // 2]
    ratio = 100 * via / direct
    return [Result("single-point POST /metrics through the nginx sample, % of direct", ratio, "%",
                   ">= 70", ratio >= 70, shape, None,
                   notes=f"1 backend; direct {direct:.0f} req/s, via nginx (TLS) {via:.0f} req/s; wrk -c32")]


def _per(sample: dict[str, float], unit: str) -> str:
    return ", ".join(f"{key[:-3]} {value:.1f} us" for key, value in sample.items()
                     if key.endswith("_us")) + f" of CPU per {unit}"


def main() -> list[Result]:
    """Issue 22's targets: single points with 4 metrics and with every connection on one metric
    (≥ 3,000 req/s, p99 ≤ 20 ms, server CPU ≤ 300 µs per request), 10,000-point batches
    (pg+redis ≥ 80,000 points/s with server + Redis + PostgreSQL ≤ 15 µs per point; embedded
    ≥ 100,000)."""
    results = []
    for shape, batch_target in (("pg+redis", 80_000), ("embedded", 100_000)):
        if shape not in SHAPES:
            continue
        with backend(shape) as settings, server(settings) as proc:
            for metrics in METRIC_COUNTS:
                s = median_of(REPEATS, lambda n=metrics: single(proc.url, proc.process.pid, settings, n))
                if os.environ.get("BENCH_PROFILE") == "1":  # an extra run, profiled
                    with spy(proc.process.pid, f"ingest-single-{shape}-{metrics}"):
                        single(proc.url, proc.process.pid, settings, metrics)
                label = f"{metrics} metrics" if metrics > 1 else "one metric"
                results.append(Result(f"single-point POST /metrics, 32 clients, {label}", s["rps"],
                                      "req/s", ">= 3000", s["rps"] >= 3000, shape, s["server_cpu"],
                                      1.0, notes=f"client: wrk, 2 threads; {_per(s, 'request')}"))
                results.append(Result(f"single-point POST /metrics p99, {label}", s["p99_ms"], "ms",
                                      "<= 20", s["p99_ms"] <= 20, shape, s["server_cpu"]))
                results.append(Result(f"server CPU per single-point request, {label}",
                                      s["server_us"], "us", "<= 300", s["server_us"] <= 300, shape,
                                      s["server_cpu"]))
            if SINGLE_ONLY:
                continue
            runs = itertools.count()
            b = median_of(REPEATS, lambda runs=runs: batches(proc.url, proc.process.pid, settings,
                                                             next(runs)))
            results.append(Result("batch ingest, 10,000-point batches", b["pps"], "points/s",
                                  f">= {batch_target}", b["pps"] >= batch_target, shape,
                                  b["server_cpu"], notes=_per(b, "point")))
            if shape == "pg+redis":
                together = b["server_us"] + b["redis_us"] + b["postgres_us"]
                results.append(Result("server + Redis + PostgreSQL CPU per batched point", together,
                                      "us", "<= 15", together <= 15, shape, b["server_cpu"]))
    return results


if __name__ == "__main__":
    if sys.argv[1:] == ["proxy"]:
        emit(proxied(), "ingest-proxy")
    else:
        emit(main(), "ingest")
