"""POST /api/v2/write and /write (SPEC §12) through the app, in the embedded shape."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from chronoview.api.lineprotocol import MAX_POINTS, WriteRefused, gunzip
from chronoview.middleware import MAX_BODY_BYTES
from tests.api.conftest import MakeClient

T0 = 1_750_000_000  # seconds
V2, V1 = "/api/v2/write", "/write"


def metrics(client: TestClient) -> dict[str, float]:
    return {c["metric"]: c["last_value"] for c in client.get("/metrics").json()}


def series(client: TestClient, metric: str) -> list[tuple[str, float]]:
    body = client.get(f"/metrics/{metric}/series", params={"from": T0 - 10, "to": T0 + 3600}).json()
    return [(p["ts"], p["value"]) for p in body["points"]]


def assert_influx_error(response: Any, status: int, code: str, *named: str, v1: bool = False) -> None:
    """InfluxDB's error shape (`{"code","message"}`; v1 adds `"error"`), naming `named`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == ({"code", "message", "error"} if v1 else {"code", "message"}), body
    assert body["code"] == code
    if v1:
        assert body["error"] == body["message"]
    for name in named:
        assert name in body["message"], body


@pytest.mark.parametrize("path", [V2, V1])
def test_lines_become_points_named_by_measurement_tags_and_field(client: TestClient, path: str) -> None:
    body = (f"cpu,host=web1,cpu=cpu0 usage_user=3.5,usage_idle=90i,up=true,note=\"ok\" {T0}\n"
            f"mem,host=web1 used=1024u {T0 + 1}\n")
    response = client.post(f"{path}?precision=s&org=o&bucket=b&db=d", content=body)
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert metrics(client) == {"cpu.cpu0.web1.usage_user": 3.5, "cpu.cpu0.web1.usage_idle": 90.0,
                               "mem.web1.used": 1024.0}
    assert series(client, "mem.web1.used") == [("2025-06-15T15:06:41.000Z", 1024.0)]


@pytest.mark.parametrize(("path", "precision", "stamp"), [
    (V2, "ns", "1750000000123456789"), (V2, "us", "1750000000123456"), (V2, "ms", "1750000000123"),
    (V2, "s", "1750000000"), (V2, None, "1750000000123456789"),
    (V1, "n", "1750000000123456789"), (V1, "u", "1750000000123456"), (V1, "ms", "1750000000123"),
    (V1, "s", "1750000000"), (V1, None, "1750000000123456789"),
])
def test_every_precision(client: TestClient, path: str, precision: str | None, stamp: str) -> None:
    query = "" if precision is None else f"?precision={precision}"
    assert client.post(path + query, content=f"m v=1 {stamp}").status_code == 204
    millis = "000" if precision == "s" else "123"
    assert series(client, "m.v") == [(f"2025-06-15T15:06:40.{millis}Z", 1.0)]


@pytest.mark.parametrize(("path", "wrong"),
                         [(V2, "n"), (V2, "u"), (V2, "h"), (V1, "ns"), (V1, "us"), (V1, "")])
def test_an_unknown_precision_is_400(client: TestClient, path: str, wrong: str) -> None:
    response = client.post(f"{path}?precision={wrong}", content="m v=1 1")
    assert_influx_error(response, 400, "invalid", "precision", v1=path == V1)
    assert metrics(client) == {}


def test_a_line_without_timestamp_gets_the_server_time(client: TestClient) -> None:
    import time

    before = time.time()
    assert client.post(V2, content="m v=1\nm w=2").status_code == 204
    last = client.get("/metrics").json()
    assert len(last) == 2
    from datetime import datetime

    stamps = {datetime.fromisoformat(c["last_ts"]).timestamp() for c in last}
    assert len(stamps) == 1  # one request, one now
    assert before - 0.001 <= stamps.pop() <= time.time()


@pytest.mark.parametrize("path", [V2, V1])
def test_a_bad_line_names_its_number_and_stores_nothing(client: TestClient, path: str) -> None:
    body = f"# comment\ngood,host=a v=1 {T0}\n\ngood,host=a v=2 {T0 + 1}\ngood v=oops {T0 + 2}\n"
    response = client.post(f"{path}?precision=s", content=body)
    assert_influx_error(response, 400, "invalid", "line 5: ", "'oops'", v1=path == V1)
    assert metrics(client) == {}
    assert series(client, "good.a.v") == []


@pytest.mark.parametrize(("line", "named"), [
    (f"m v=1e200 {T0}", "outside ±1e150"),
    (f"m v=-1e151 {T0}", "outside ±1e150"),
    ("m v=1 -1", "timestamp is outside"),
    (f"m v=1 {T0 * 10**12}", "timestamp is outside"),
])
def test_out_of_range_values_and_timestamps_are_400_naming_the_line(
    client: TestClient, line: str, named: str
) -> None:
    response = client.post(f"{V2}?precision=s", content=f"m ok=1 {T0}\n{line}")
    assert_influx_error(response, 400, "invalid", "line 2: ", named)
    assert metrics(client) == {}


def test_invalid_utf8_names_its_line(client: TestClient) -> None:
    response = client.post(V2, content=b"m v=1\nm,t=\xff v=2\n")
    assert_influx_error(response, 400, "invalid", "line 2: ", "UTF-8")
    assert metrics(client) == {}


def test_points_are_scored_stored_and_published_like_a_json_batch(client: TestClient) -> None:
    values = [10, 11, 10, 11, 10, 11, 40]
    # An absolute URL: TestClient names its WebSocket host "testserver", not in ALLOWED_HOSTS.
    with client.websocket_connect("ws://localhost/ws/stream?metric=room.lab.temp") as socket:
        body = "\n".join(f"room,site=lab temp={v} {T0 + i}" for i, v in enumerate(values))
        assert client.post(f"{V2}?precision=s", content=body).status_code == 204
        messages = [socket.receive_json() for _ in values]
    assert [m["data"]["value"] for m in messages] == values
    assert messages[-1]["alert"] is True
    assert messages[-1]["n"] == 6
    alerts = client.get("/alerts", params={"metric": "room.lab.temp", "hours": 24 * 36500}).json()
    assert [(a["value"], a["n"]) for a in alerts] == [(40.0, 6)]


def test_gzip_bodies(client: TestClient) -> None:
    body = "\n".join(f"g,host=h{i % 3} v={i} {T0 + i}" for i in range(300)).encode()
    response = client.post(f"{V2}?precision=s", content=gzip.compress(body),
                           headers={"Content-Encoding": "gzip"})
    assert response.status_code == 204, response.text
    assert len(series(client, "g.h0.v")) == 100
    # members one after another are one body, as gzip(1) and Go's reader have it
    two = gzip.compress(f"g2 v=1 {T0}\n".encode()) + gzip.compress(f"g2 v=2 {T0 + 1}\n".encode())
    response = client.post(f"{V1}?precision=s", content=two, headers={"Content-Encoding": "GZIP"})
    assert response.status_code == 204, response.text
    assert [v for _, v in series(client, "g2.v")] == [1.0, 2.0]


@pytest.mark.parametrize(("content", "encoding", "status", "code", "named"), [
    (b"m v=1", "gzip", 400, "invalid", "not valid gzip"),
    (gzip.compress(b"m v=1\n" * 1000)[:-30], "gzip", 400, "invalid", "truncated"),
    (b"m v=1", "br", 415, "unsupported media type", "Content-Encoding"),
])
def test_bad_encodings(client: TestClient, content: bytes, encoding: str, status: int, code: str,
                       named: str) -> None:
    response = client.post(V2, content=content, headers={"Content-Encoding": encoding})
    assert_influx_error(response, status, code, named)
    assert metrics(client) == {}


def _bomb(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b"#" * (1 << 20)
    return b"".join([*(compressor.compress(chunk) for _ in range(size >> 20)), compressor.flush()])


def test_the_5_mib_limit_applies_to_the_decompressed_body(client: TestClient) -> None:
    line = f"big v=1 {T0}\n".encode()
    exact = line + b"#" * (MAX_BODY_BYTES - len(line) - 1) + b"\n"
    assert len(exact) == MAX_BODY_BYTES
    gzipped = {"Content-Encoding": "gzip"}
    assert client.post(f"{V2}?precision=s", content=gzip.compress(exact), headers=gzipped).status_code == 204
    over = gzip.compress(exact + b"#")
    assert len(over) < 20_000  # small on the wire, too big once inflated
    assert_influx_error(client.post(V2, content=over, headers=gzipped), 413, "request too large", "5242880")
    bomb = _bomb(1 << 30)  # 1 GiB of comment inflated from ~1 MB
    assert_influx_error(client.post(V1, content=bomb, headers=gzipped), 413, "request too large", v1=True)
    assert metrics(client) == {"big.v": 1.0}


def test_a_gzip_bomb_costs_the_limit_not_its_size() -> None:
    bomb = _bomb(1 << 30)
    tracemalloc.start()
    try:
        with pytest.raises(WriteRefused) as refused:
            gunzip(bomb, MAX_BODY_BYTES)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.status == 413
    assert peak < 3 * MAX_BODY_BYTES, peak


def test_a_raw_body_over_5_mib_is_413_in_influx_shape(client: TestClient) -> None:
    big = b"#" * (MAX_BODY_BYTES + 1)
    assert_influx_error(client.post(V2, content=big), 413, "request too large")
    assert_influx_error(client.post(V1, content=big), 413, "request too large", v1=True)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is counted as it arrives
        for _ in range(6):
            yield b"#" * (1 << 20)

    assert_influx_error(client.post(V2, content=chunks()), 413, "request too large")
    assert metrics(client) == {}


def test_too_many_points_in_one_request_is_413(client: TestClient) -> None:
    fields = ",".join(f"f{i}=1" for i in range(100))
    body = "\n".join(f"m {fields} {T0 + i}" for i in range(MAX_POINTS // 100 + 1))
    response = client.post(f"{V2}?precision=s", content=body)
    assert_influx_error(response, 413, "request too large", str(MAX_POINTS))
    assert metrics(client) == {}


@pytest.mark.parametrize("path", [V2, V1])
def test_token_when_ingest_token_is_set(make_client: MakeClient, path: str) -> None:
    client = make_client(ingest_token="s3cret")
    for header in (None, "Token wrong", "Bearer wrong", "Basic s3cret", "s3cret", "Token", "Token s3cret2"):
        headers = {} if header is None else {"Authorization": header}
        response = client.post(path, content="m v=1", headers=headers)
        assert_influx_error(response, 401, "unauthorized", "INGEST_TOKEN", v1=path == V1)
    assert metrics(client) == {}
    for scheme in ("Token", "Bearer", "token"):
        response = client.post(path, content=f"m,s={scheme} v=1",
                               headers={"Authorization": f"{scheme} s3cret"})
        assert response.status_code == 204, response.text
    assert set(metrics(client)) == {"m.Token.v", "m.Bearer.v", "m.token.v"}


def test_line_protocol_tags_setting(make_client: MakeClient) -> None:
    client = make_client(line_protocol_tags=["host"])
    assert client.post(V2, content="cpu,cpu=cpu0,host=web1 usage=1\nmem used=2").status_code == 204
    assert set(metrics(client)) == {"cpu.web1.usage", "mem.used"}


def test_an_empty_body_or_only_strings_stores_nothing(client: TestClient) -> None:
    assert client.post(V2, content=b"").status_code == 204
    assert client.post(V2, content='log msg="hello",ok=true').status_code == 204
    assert metrics(client) == {}
