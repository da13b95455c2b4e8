"""The bad-input catalogue, against a real server process (uvicorn's HTTP parsing included).

Each case: a 4xx naming the problem, as JSON, with nothing stored, and the server still healthy.
tests/api/test_metrics.py covers the point schema (NaN, booleans, names, timestamps, ...) in process;
this adds what only a real server shows, and every GET endpoint's query parameters.
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.faults.helpers import assert_clean_error
from tests.server import ServerProcess, start_server

MIB = 1024 * 1024
DEEP = 100_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = start_server(tmp_path_factory.mktemp("bad-input"))
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def _rows(server: ServerProcess, table: str) -> int:
    path = server.log.parent / "cv.db"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - fixed names


@pytest.fixture(autouse=True)
def _nothing_stored_and_still_healthy(server: ServerProcess, http: httpx.Client) -> Iterator[None]:
    yield
    assert server.process.poll() is None, server.log.read_text()[-3000:]
    health = http.get("/health")
    assert (health.status_code, health.json()["database"]) == (200, "ok")
    for table in ("points", "alerts", "metrics", "snapshots"):
        assert _rows(server, table) == 0, f"a refused request stored something in {table}"
    assert "Traceback" not in server.log.read_text()


def _json_post(http: httpx.Client, path: str, body: bytes, **headers: str) -> httpx.Response:
    return http.post(path, content=body, headers={"content-type": "application/json", **headers})


# --- POST /metrics -----------------------------------------------------------------------------

def test_body_over_5_mib_with_length_is_413(http: httpx.Client) -> None:
    body = b'{"metric": "cpu", "value": 1, "pad": "' + b"x" * (5 * MIB) + b'"}'
    assert_clean_error(_json_post(http, "/metrics", body), 413, "bytes")


def test_body_over_5_mib_chunked_is_413(http: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        yield b"["
        for _ in range(6):
            yield b" " * MIB
    response = http.post("/metrics", content=chunks(), headers={"content-type": "application/json"})
    assert_clean_error(response, 413, "bytes")


def test_body_of_exactly_5_mib_is_not_413(http: httpx.Client) -> None:
    body = b'{"metric": "cpu", "value": 1, "pad": "'
    body += b"x" * (5 * MIB - len(body) - 2) + b'"}'
    assert len(body) == 5 * MIB
    assert_clean_error(_json_post(http, "/metrics", body), 422, "pad")  # refused by the schema only


@pytest.mark.parametrize(("body", "named"), [
    (b"[" * DEEP + b"]" * DEEP, "json"),
    (b'{"a":' * DEEP + b"1" + b"}" * DEEP, "json"),
    (b'{"metric": "cpu", "value": ' + b"[" * DEEP + b"]" * DEEP + b"}", "json"),
    (b'{"metric": "cpu", "value": [[[[[[[[1]]]]]]]]}', "value"),
    (b'[{"metric": "cpu", "value": 1}, ' + b"[" * 500 + b"]" * 500 + b"]", "1"),
], ids=["arrays", "objects", "inside-a-point", "shallow-in-value", "inside-a-batch"])
def test_deeply_nested_json_is_422(http: httpx.Client, body: bytes, named: str) -> None:
    assert_clean_error(_json_post(http, "/metrics", body), 422, named)


@pytest.mark.parametrize("body", [
    b'{"metric": "cp\xff", "value": 1}',
    b'{"metric": "cpu", "value": 1, "ts": "2025-01-01T00:00:00\xc3"}',
    b"\xef\xbb\xbf" + b'{"metric": "cpu", "value": 1}',  # a BOM is not JSON (RFC 8259 §8.1)
    b'{"metric": "\\ud800", "value": 1}',  # a lone surrogate
    b'{"metric": "cpu\\u0000", "value": 1}',
    b"",
    b"null",
    b"   ",
], ids=["invalid-utf8", "truncated-utf8", "bom", "lone-surrogate", "nul", "empty", "null", "blank"])
def test_undecodable_or_empty_bodies_are_422(http: httpx.Client, body: bytes) -> None:
    response = _json_post(http, "/metrics", body)
    assert_clean_error(response, 422)


@pytest.mark.parametrize("content_type", [
    None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "application/jsonx", "text/json",
])
def test_wrong_content_type_is_415(http: httpx.Client, content_type: str | None) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    response = http.post("/metrics", content=b'{"metric": "cpu", "value": 1}', headers=headers)
    assert_clean_error(response, 415, "content-type")


def test_json_with_charset_parameter_is_accepted_as_json(http: httpx.Client) -> None:
    response = http.post("/metrics", content=b'{"metric": "cpu", "value": "x"}',
                         headers={"content-type": "application/json; charset=utf-8"})
    assert_clean_error(response, 422, "value")  # parsed (and refused for the value), not 415


# --- query parameters of every GET endpoint ----------------------------------------------------

BAD_HOURS = ["0", "-1", "abc", "nan", "inf", "-inf", "1e400", "", "1e9", "0x10", "1,5"]


@pytest.mark.parametrize("hours", BAD_HOURS)
def test_bad_hours_on_alerts(http: httpx.Client, hours: str) -> None:
    assert_clean_error(http.get("/alerts", params={"hours": hours}), 422, "hours")


@pytest.mark.parametrize("hours", BAD_HOURS)
def test_bad_hours_on_series(http: httpx.Client, hours: str) -> None:
    assert_clean_error(http.get("/metrics/cpu/series", params={"hours": hours}), 422, "hours")


@pytest.mark.parametrize("hours", BAD_HOURS)
def test_bad_hours_on_export(http: httpx.Client, hours: str) -> None:
    response = http.get("/export/csv", params={"metric": "cpu", "hours": hours})
    assert_clean_error(response, 422, "hours")


@pytest.mark.parametrize("max_points", ["0", "-1", "abc", "1.5", "nan", "1e400", "10001", "9" * 20])
def test_bad_max_points_on_series(http: httpx.Client, max_points: str) -> None:
    response = http.get("/metrics/cpu/series", params={"hours": "1", "max_points": max_points})
    assert_clean_error(response, 422, "max_points")


@pytest.mark.parametrize(("path", "params", "named"), [
    ("/metrics/cpu/series", {"from": "2025-01-02T00:00:00Z", "to": "2025-01-01T00:00:00Z"}, "from"),
    ("/metrics/cpu/series", {"from": "2025-01-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"}, "from"),
    ("/metrics/cpu/series", {"from": "yesterday"}, "from"),
    ("/metrics/cpu/series", {"from": "1735689600", "to": "tomorrow"}, "to"),
    ("/metrics/cpu/series", {"from": "nan"}, "from"),
    ("/metrics/cpu/series", {"from": "1e400"}, "from"),
    ("/metrics/cpu/series", {"from": "-5"}, "from"),
    ("/metrics/cpu/series", {"hours": "1", "from": "1735689600"}, "hours"),
    ("/export/csv", {"metric": "cpu", "from": "2025-01-02T00:00:00Z", "to": "2025-01-01T00:00:00Z"},
     "from"),
    ("/export/csv", {"metric": "cpu", "to": "soon"}, "to"),
])
def test_bad_ranges(http: httpx.Client, path: str, params: dict[str, str], named: str) -> None:
    assert_clean_error(http.get(path, params=params), 422, named)


@pytest.mark.parametrize("raw", ["bad%20name", "_cpu", "a" * 101, "%FF", "cpu%00", "..", "%2E%2E"])
def test_bad_metric_in_series_path(http: httpx.Client, raw: str) -> None:
    response = http.get(f"/metrics/{raw}/series?hours=1")
    assert 400 <= response.status_code < 500, response.text
    assert_clean_error(response, response.status_code)
    if response.status_code == 422:
        assert "metric" in response.text


@pytest.mark.parametrize("params", [
    {"metric": "bad name"}, {"metric": "%FF"}, {"metric": "\u00ff"}, {"metric": "a" * 101},
    {"limit": "abc"}, {"limit": "0"}, {"limit": "10001"},
])
def test_bad_alert_filters(http: httpx.Client, params: dict[str, str]) -> None:
    [name] = params
    assert_clean_error(http.get("/alerts", params=params), 422, name)


@pytest.mark.parametrize(("params", "named"), [
    ({}, "metric"),
    ({"metric": "bad name"}, "metric"),
    ({"metric": ""}, "metric"),
    ({"metric": [f"m{i}" for i in range(51)]}, "metric"),
    ({"metric": "cpu", "tz": "Mars/Olympus_Mons"}, "tz"),
    ({"metric": "cpu", "tz": "../../../../etc/passwd"}, "tz"),
    ({"metric": "cpu", "tz": "/etc/localtime"}, "tz"),
    ({"metric": "cpu", "tz": "Europe/Madrid\x00"}, "tz"),
    ({"metric": "cpu", "tz": "x" * 5000}, "tz"),
    ({"metric": "cpu", "format": "xlsx"}, "format"),
    ({"metric": "cpu", "format": ""}, "format"),
    ({"metric": "cpu", "columns": "password"}, "columns"),
    ({"metric": "cpu", "columns": "zscore,,alert"}, "columns"),
])
def test_bad_export_parameters(http: httpx.Client, params: dict[str, object], named: str) -> None:
    response = http.get("/export/csv", params=params)  # type: ignore[arg-type]
    assert_clean_error(response, 422, named)


@pytest.mark.parametrize("raw", ["not-a-uuid", "1", "%FF", "' OR 1=1 --"])
def test_snapshot_id_not_a_uuid_is_422(http: httpx.Client, raw: str) -> None:
    assert_clean_error(http.get(f"/snapshots/{raw}"), 422, "snapshot_id")


def test_unknown_snapshot_is_404(http: httpx.Client) -> None:
    assert_clean_error(http.get(f"/snapshots/{uuid.uuid4()}"), 404, "snapshot")


def test_unknown_path_and_method_are_json(http: httpx.Client) -> None:
    assert_clean_error(http.get("/nope"), 404)
    response = http.put("/metrics", json={})
    assert_clean_error(response, 405)
    assert response.headers["allow"] == "GET, POST"  # RFC 9110 §15.5.6: every method the path takes
    response = http.patch(f"/snapshots/{uuid.uuid4()}")
    assert_clean_error(response, 405)
    assert response.headers["allow"] == "DELETE, GET"


# --- POST /snapshots (fewer than its per-client rate limit of 30 a minute) ----------------------

def _nested(depth: int) -> bytes:
    return b'{"state": ' + b'{"a":' * (depth - 1) + b"{}" + b"}" * (depth - 1) + b"}"


@pytest.mark.parametrize(("body", "status", "named"), [
    (b'{"state": {"pad": "' + b"x" * (64 * 1024) + b'"}}', 413, "state"),
    (_nested(33), 422, "nested"),
    (_nested(DEEP), 413, "bytes"),  # 500 KB: over the snapshot body limit, refused unread
    (b'{"state": ' + b"[" * DEEP + b"]" * DEEP + b"}", 422, "json"),
    (b'{"state": [1, 2]}', 422, "state"),
    (b'{"state": "x"}', 422, "state"),
    (b'{"state": {}, "evil": 1}', 422, "evil"),
    (b'{"state": {}, "expires_in": -1}', 422, "expires_in"),
    (b'{"state": {}, "expires_in": 1e400}', 422, "json"),
    (b'{"state": {"a": "\xff"}}', 422, "json"),
    (b'{"state": {"a": "\\u0000"}}', 422, "nul"),
], ids=["over-64k", "depth-33", "depth-100k-objects", "depth-100k-arrays", "array", "string",
        "unknown-field", "negative-expiry", "overflow", "invalid-utf8", "nul"])
def test_bad_snapshots(http: httpx.Client, body: bytes, status: int, named: str) -> None:
    assert_clean_error(_json_post(http, "/snapshots", body), status, named)


def test_snapshot_needs_json_content_type(http: httpx.Client) -> None:
    response = http.post("/snapshots", content=b'{"state": {}}', headers={"content-type": "text/plain"})
    assert_clean_error(response, 415, "content-type")


def test_snapshot_depth_32_is_accepted(http: httpx.Client) -> None:
    """The limit is exactly 32: a state nested 32 deep is stored (and deleted again here)."""
    response = _json_post(http, "/snapshots", _nested(32))
    assert response.status_code == 201, response.text
    created = response.json()
    deleted = http.delete(f"/snapshots/{created['id']}", headers={"X-Delete-Key": created["delete_key"]})
    assert deleted.status_code == 204
