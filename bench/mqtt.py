"""MQTT ingest (SPEC §12): messages/s from one Mosquitto into the embedded shape, each message
acknowledged only after its point is stored, and every message stored.

The broker is a Mosquitto of our own (tests/sources/broker.py) with its in-flight limit raised
from the default 20 to the subscriber's Receive Maximum; the publisher is `mosquitto_pub -l` (C,
QoS 1), one message per line, so the Python side measured is only the server's.
"""

from __future__ import annotations

import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from common import REPEATS, CpuMeter, Result, backend, emit, median_of, server
from tests.sources.broker import running_broker

from chronoview.sources.mqtt_link import RECEIVE_MAXIMUM

MESSAGES = 60_000
TOPIC = "chronoview/bench/temp"


def _stored(database: Path, run: int) -> tuple[int, int]:
    with sqlite3.connect(database) as db:
        row = db.execute("SELECT count(*), count(DISTINCT value) FROM points WHERE metric = ?",
                         (f"chronoview.bench.temp{run}",)).fetchone()
    return int(row[0]), int(row[1])


def once(port: int, url: str, pid: int, database: Path, run: int) -> dict[str, float]:
    lines = "".join(f"{i}\n" for i in range(MESSAGES))
    meter = CpuMeter(pid)
    meter.start()
    began = time.monotonic()
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", "1", "-l",
                    "-M", str(RECEIVE_MAXIMUM), "-t", f"{TOPIC}{run}"],
                   input=lines, text=True, check=True, timeout=120)
    while _stored(database, run)[0] < MESSAGES and time.monotonic() - began < 120:
        time.sleep(0.05)
    wall = time.monotonic() - began
    cpu = meter.stop()
    count, distinct = _stored(database, run)
    health = httpx.get(f"{url}/health").json()
    if count != MESSAGES or distinct != MESSAGES or health["mqtt_rejected"]:
        raise RuntimeError(f"stored {count} ({distinct} distinct) of {MESSAGES}: {health}")
    return {"mps": MESSAGES / wall, "server_cpu": cpu / wall, "cpu_us_per_msg": cpu / MESSAGES * 1e6}


def main() -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="cv-bench-mqtt-") as tmp, \
            running_broker(Path(tmp) / "broker", max_inflight=RECEIVE_MAXIMUM) as broker, \
            backend("embedded") as settings, \
            server(settings, MQTT_URL=broker.url, MQTT_CLIENT_ID="cv-bench") as proc:
        database = Path(settings["DATABASE_URL"].split("///", 1)[1])
        deadline = time.monotonic() + 10
        while httpx.get(f"{proc.url}/health").json()["mqtt"] != "ok" and time.monotonic() < deadline:
            time.sleep(0.1)
        runs = iter(range(REPEATS))
        m = median_of(REPEATS, lambda: once(broker.port, proc.url, proc.process.pid, database, next(runs)))
    return [Result("MQTT QoS 1 ingest, ack after store, one broker", m["mps"], "messages/s", ">= 3000",
                   m["mps"] >= 3000, "embedded", m["server_cpu"],
                   notes=f"{MESSAGES} messages per run, every one stored; server CPU "
                         f"{m['cpu_us_per_msg']:.0f} µs/message; broker max_inflight {RECEIVE_MAXIMUM}")]


if __name__ == "__main__":
    emit(main(), "mqtt")
