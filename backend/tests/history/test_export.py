"""GET /export/csv through the app, over SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import time

import pytest
from fastapi.testclient import TestClient

from chronoview.points import format_ts
from chronoview.storage.bulk import PAGE_ROWS
from tests.history.conftest import ingest

BASE = 1_750_000_000.0


def _rows(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _plain(ts: float) -> str:
    return format_ts(ts)[:-1].replace("T", " ")  # the plain preset: no T, no Z


def test_headers_order_and_content(client: TestClient) -> None:
    now = time.time()
    # Sent out of time order: the export is by ascending ts all the same.
    ingest(client, [{"metric": "cpu", "ts": now - 10 + i, "value": v}
                    for i, v in [(5, 1.5), (1, -2.0), (3, 3.25), (9, 0.0)]])
    response = client.get("/export/csv", params={"metric": "cpu", "hours": 1})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="cpu_1h.csv"'
    assert response.text.startswith("metric,value,ts\r\n")
    assert _rows(response.text) == [
        ["metric", "value", "ts"],
        ["cpu", "-2.0", _plain(now - 9)],
        ["cpu", "3.25", _plain(now - 7)],
        ["cpu", "1.5", _plain(now - 5)],
        ["cpu", "0.0", _plain(now - 1)],
    ]


def test_several_metrics_interleave_by_time(client: TestClient) -> None:
    ingest(client, [{"metric": m, "ts": BASE + i, "value": float(i)}
                    for i in range(6) for m in (["a"] if i % 2 else ["b"])])
    ingest(client, [{"metric": "other", "ts": BASE + 2.5, "value": 9.0}])
    params = [("metric", "a"), ("metric", "b"), ("metric", "a"), ("from", str(BASE)), ("to", str(BASE + 5))]
    response = client.get("/export/csv", params=params)
    assert response.status_code == 200
    assert [r[:2] for r in _rows(response.text)[1:]] == [
        ["b", "0.0"], ["a", "1.0"], ["b", "2.0"], ["a", "3.0"], ["b", "4.0"], ["a", "5.0"]]
    assert response.headers["content-disposition"] == (
        'attachment; filename="a+b_20250615T150640Z_20250615T150645Z.csv"')


def test_many_rows_cross_chunks_in_order_without_loss(client: TestClient) -> None:
    n = 2 * PAGE_ROWS + 345
    # Three points share each timestamp, so chunk boundaries fall inside runs of equal ts.
    ingest(client, [{"metric": "bulk", "ts": BASE + i // 3, "value": float(i)} for i in range(n)])
    text = client.get("/export/csv", params={"metric": "bulk", "from": BASE, "to": BASE + n}).text
    rows = _rows(text)[1:]
    assert [float(r[1]) for r in rows] == [float(i) for i in range(n)]


def test_presets_zone_and_columns(client: TestClient) -> None:
    ingest(client, [{"metric": "t", "ts": BASE + i, "value": 20.5 + i} for i in range(8)]
           + [{"metric": "t", "ts": BASE + 8, "value": 900.25}])
    response = client.get("/export/csv", params={
        "metric": "t", "from": BASE, "to": BASE + 8, "format": "excel-eu", "tz": "Europe/Madrid",
        "columns": "zscore,alert"})
    assert response.status_code == 200
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = _rows(raw.decode("utf-8-sig"), ";")
    assert rows[0] == ["metric", "value", "ts (Europe/Madrid)", "zscore", "alert"]
    assert rows[1] == ["t", "20,5", "2025-06-15 17:06:40", "", "0"]
    last = rows[-1]
    assert last[:3] == ["t", "900,25", "2025-06-15 17:06:48"]
    assert last[4] == "1"  # the jump is an alert
    assert float(last[3].replace(",", ".")) > 2.5
    assert b"\r\n" in raw


def test_unknown_metric_gives_just_the_header(client: TestClient) -> None:
    response = client.get("/export/csv", params={"metric": "nothing", "hours": 2})
    assert response.status_code == 200
    assert response.text == "metric,value,ts\r\n"


@pytest.mark.parametrize(("params", "param"), [
    ({}, "metric"),
    ({"metric": "-bad"}, "metric"),
    ({"metric": "cpu", "format": "xlsx"}, "format"),
    ({"metric": "cpu", "tz": "Mars/Olympus"}, "tz"),
    ({"metric": "cpu", "tz": "../etc/passwd"}, "tz"),
    ({"metric": "cpu", "columns": "zscore,password"}, "columns"),
    ({"metric": "cpu", "hours": 0}, "hours"),
    ({"metric": "cpu", "hours": 1e6}, "hours"),
    ({"metric": "cpu", "from": "2025-13-45"}, "from"),
])
def test_bad_parameters_are_422_naming_them(
    client: TestClient, params: dict[str, object], param: str
) -> None:
    response = client.get("/export/csv", params=params)
    assert response.status_code == 422, response.text
    locs = [e["loc"] for e in response.json()["detail"]]
    assert locs
    assert all(loc[:2] == ["query", param] for loc in locs), locs
