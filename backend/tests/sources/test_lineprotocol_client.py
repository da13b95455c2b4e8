"""The official InfluxDB client (influxdb-client, written by InfluxData) writes to a real server.

Its synchronous write API and its batching write API with gzip, its own escaping and its own
reading of our errors: what a Telegraf or client-library user gets, with no code of ours between.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import psutil
import pytest
from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.exceptions import InfluxDBError
from influxdb_client.client.write_api import SYNCHRONOUS, WriteOptions

from tests.server import ServerProcess, running_server

TOKEN = "telegraf-s3cret"
NS = 1_750_000_000_123_456_789  # 2025-06-15T15:06:40.123456789Z


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("influx"), INGEST_TOKEN=TOKEN) as server:
        yield server


def series(server: ServerProcess, metric: str) -> list[tuple[str, float]]:
    body = httpx.get(f"{server.url}/metrics/{metric}/series",
                     params={"from": "2025-06-15T00:00:00Z", "to": "2025-06-16T00:00:00Z",
                             "max_points": 10_000}).json()
    return [(p["ts"], p["value"]) for p in body["points"]]


def stored_micros(server: ServerProcess, metric: str) -> list[str]:
    """The stored timestamps of a metric, to the microsecond, as the database holds them."""
    database = server.log.parent / "cv.db"  # tests.server puts the SQLite file beside the log
    with contextlib.closing(sqlite3.connect(database)) as conn:
        rows = conn.execute("SELECT ts FROM points WHERE metric = ? ORDER BY ts", (metric,)).fetchall()
    return [datetime.fromisoformat(ts).replace(tzinfo=UTC).isoformat(timespec="microseconds")
            for (ts,) in rows]


@pytest.mark.parametrize(("precision", "stamp", "shown", "micros"), [
    (WritePrecision.NS, NS, "2025-06-15T15:06:40.123Z", "2025-06-15T15:06:40.123457+00:00"),
    (WritePrecision.US, NS // 1000, "2025-06-15T15:06:40.123Z", "2025-06-15T15:06:40.123456+00:00"),
    (WritePrecision.MS, NS // 10**6, "2025-06-15T15:06:40.123Z", "2025-06-15T15:06:40.123000+00:00"),
    (WritePrecision.S, NS // 10**9, "2025-06-15T15:06:40.000Z", "2025-06-15T15:06:40.000000+00:00"),
])
def test_synchronous_writes_at_every_precision(
    server: ServerProcess, precision: str, stamp: int, shown: str, micros: str
) -> None:
    with InfluxDBClient(url=server.url, token=TOKEN, org="my-org") as client:
        client.write_api(write_options=SYNCHRONOUS).write(
            bucket="telegraf", write_precision=precision,
            record=Point("sensor").tag("precision", precision).field("value", 21.5).time(stamp, precision))
    metric = f"sensor.{precision}.value"
    assert series(server, metric) == [(shown, 21.5)]
    # stored to the microsecond: ns is rounded to it, coarser precisions are exact
    assert stored_micros(server, metric) == [micros]


def test_the_clients_escaping_and_every_field_type(server: ServerProcess) -> None:
    point = (Point("my measurement,x").tag("host name", "web 1,a=b").tag("dc", "eu")
             .field("field key=1", 2.5).field("count", 7).field("flag", True)
             .field("note", 'a "quoted" string, with = signs\nand a newline \\ too')
             .time(NS, WritePrecision.NS))
    assert "\n" in point.to_line_protocol()  # the client sends the string's newline as it is
    later = Point("after").field("v", -3.25).time(NS, WritePrecision.NS)
    with InfluxDBClient(url=server.url, token=TOKEN, org="my-org") as client:
        client.write_api(write_options=SYNCHRONOUS).write(bucket="b", record=[point, later])
    names = {m["metric"]: m["last_value"] for m in httpx.get(f"{server.url}/metrics").json()}
    assert names["my_measurement_x.eu.web_1_a_b.field_key_1"] == 2.5
    assert names["my_measurement_x.eu.web_1_a_b.count"] == 7.0
    assert names["after.v"] == -3.25
    assert not [n for n in names if n.endswith((".flag", ".note"))]


def test_batching_with_gzip(server: ServerProcess) -> None:
    done: list[int] = []
    failed: list[str] = []
    lock = threading.Lock()

    def success(_conf: object, data: str | bytes) -> None:
        with lock:
            done.append(len(data))

    def error(_conf: object, _data: object, exc: Exception) -> None:
        failed.append(repr(exc))

    count, base = 2_000, NS // 10**6
    with InfluxDBClient(url=server.url, token=TOKEN, org="my-org", enable_gzip=True) as client:
        write_api = client.write_api(
            write_options=WriteOptions(batch_size=500, flush_interval=200, max_retries=0),
            success_callback=success, error_callback=error)
        for i in range(count):
            write_api.write(bucket="b", write_precision=WritePrecision.MS,
                            record=Point("batched").tag("host", f"h{i % 2}").field("v", float(i))
                            .time(base + i, WritePrecision.MS))
        write_api.close()
    assert failed == []
    assert len(done) >= count // 500
    for host in (0, 1):
        points = series(server, f"batched.h{host}.v")
        assert [v for _, v in points] == [float(i) for i in range(host, count, 2)]
        assert points[0][0] == f"2025-06-15T15:06:40.{123 + host:03d}Z"


def test_errors_reach_the_client_as_influxdb_errors(server: ServerProcess) -> None:
    with InfluxDBClient(url=server.url, token=TOKEN, org="my-org") as client:
        write = client.write_api(write_options=SYNCHRONOUS).write
        with pytest.raises(InfluxDBError) as bad:
            write(bucket="b", record=["ok v=1", "broken v=oops"])
        assert bad.value.response.status == 400
        assert bad.value.message.startswith("line 2: ")
        assert "'oops'" in bad.value.message
    assert series(server, "ok.v") == []  # nothing of the request was stored
    with InfluxDBClient(url=server.url, token="wrong", org="my-org") as client:
        with pytest.raises(InfluxDBError) as refused:
            client.write_api(write_options=SYNCHRONOUS).write(bucket="b", record="ok v=1")
        assert refused.value.response.status == 401
    assert series(server, "ok.v") == []


def test_gzip_bombs_are_refused_without_inflating_them(server: ServerProcess) -> None:
    """1 GiB of zeros in ~1 MB of gzip, three times: 413 each time, and the server's memory holds."""
    import zlib

    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = b"".join([*(compressor.compress(bytes(1 << 20)) for _ in range(1024)), compressor.flush()])
    rss = psutil.Process(server.process.pid).memory_info().rss
    with httpx.Client(base_url=server.url, timeout=60) as http:
        for _ in range(3):
            response = http.post("/api/v2/write", content=bomb, headers={
                "Content-Encoding": "gzip", "Authorization": f"Token {TOKEN}"})
            assert response.status_code == 413, response.text
            assert response.json()["code"] == "request too large"
    grown = psutil.Process(server.process.pid).memory_info().rss - rss
    assert grown < 40 * 2**20, f"server RSS grew by {grown / 2**20:.0f} MiB"
