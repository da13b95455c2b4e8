"""POST /metrics, the catalog and alert history, in the embedded shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import MakeClient
from tests.apps import app_clients

T0 = 1_750_000_000


def post(client: TestClient, body: object, **headers: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = client.post("/metrics", content=json.dumps(body), headers={
        "content-type": "application/json", **headers})
    return response.status_code, response.json()


def stored(client: TestClient, metric: str) -> int:
    return sum(1 for c in client.get("/metrics").json() if c["metric"] == metric)


def test_single_point_answers_the_scored_message(client: TestClient) -> None:
    status, body = post(client, {"metric": "cpu", "value": 1.5, "ts": "2025-09-27T02:33:11.250Z"})
    assert status == 201
    assert body == {"type": "metric",
                    "data": {"metric": "cpu", "value": 1.5, "ts": "2025-09-27T02:33:11.250Z"},
                    "alert": False, "zscore": None, "mean": None, "std": None, "n": 0,
                    "state": "normal", "seq": 1}


@pytest.mark.parametrize(("ts", "expected"), [
    ("2025-09-27T02:33:11", "2025-09-27T02:33:11.000Z"),          # no offset: UTC
    ("2025-09-27T04:33:11+02:00", "2025-09-27T02:33:11.000Z"),
    (1758940391.5, "2025-09-27T02:33:11.500Z"),                  # epoch seconds
])
def test_timestamp_forms(client: TestClient, ts: object, expected: str) -> None:
    status, body = post(client, {"metric": "cpu", "value": 1, "ts": ts})
    assert status == 201
    assert body["data"]["ts"] == expected


def test_missing_ts_means_now(client: TestClient) -> None:
    status, body = post(client, {"metric": "cpu", "value": 1})
    assert status == 201
    assert body["data"]["ts"].startswith("20")


def test_batch_scores_in_order_and_flags_the_outlier(client: TestClient) -> None:
    values = [10, 11, 10, 11, 10, 11, 40]
    status, body = post(client, [{"metric": "temp", "value": v, "ts": T0 + i} for i, v in enumerate(values)])
    assert status == 201
    assert body["accepted"] == 7
    results = body["results"]
    assert [r["data"]["value"] for r in results] == values
    assert [r["n"] for r in results] == [0, 1, 2, 3, 4, 5, 6]
    assert [r["seq"] for r in results] == [1, 2, 3, 4, 5, 6, 7]
    assert results[4]["zscore"] is None  # n = 4 < ALERT_MIN_POINTS
    assert results[6]["alert"] is True
    assert results[6]["zscore"] == pytest.approx((40 - 10.5) / 0.5477225575051661)
    alerts = client.get("/alerts", params={"metric": "temp", "hours": 24 * 365 * 10}).json()
    assert [(a["value"], a["ts"]) for a in alerts] == [(40.0, "2025-06-15T15:06:46.000Z")]


def test_prefer_minimal_answers_counts_only(client: TestClient) -> None:
    points = [{"metric": "m", "value": v, "ts": T0 + i} for i, v in enumerate([1, 2, 1, 2, 1, 2, 90])]
    status, body = post(client, points, prefer="return=minimal")
    assert (status, body) == (201, {"accepted": 7, "alerts": 1})


def test_catalog_lists_metrics_with_newest_value(client: TestClient) -> None:
    post(client, [{"metric": "a", "value": 1, "ts": T0}, {"metric": "a", "value": 2, "ts": T0 + 5},
                  {"metric": "b", "value": 3, "ts": T0}])
    catalog = client.get("/metrics").json()
    assert catalog == [
        {"metric": "a", "last_value": 2.0, "last_ts": "2025-06-15T15:06:45.000Z", "simulated": False,
         "unit": None, "label": None, "decimals": None},
        {"metric": "b", "last_value": 3.0, "last_ts": "2025-06-15T15:06:40.000Z", "simulated": False,
         "unit": None, "label": None, "decimals": None},
    ]


BAD_POINTS = [
    ('{"metric": "cpu", "value": NaN}', "JSON"),
    ('{"metric": "cpu", "value": Infinity}', "JSON"),
    ('{"metric": "cpu", "value": -Infinity}', "JSON"),
    ('{"metric": "cpu", "value": 1e309}', "JSON"),
    ('{"metric": "cpu", "value": true}', "value"),
    ('{"metric": "cpu", "value": "1.5"}', "value"),
    ('{"metric": "cpu", "value": null}', "value"),
    ('{"metric": "cpu"}', "value"),
    ('{"value": 1}', "metric"),
    ('{"metric": "", "value": 1}', "metric"),
    ('{"metric": "_cpu", "value": 1}', "metric"),
    ('{"metric": "cp u", "value": 1}', "metric"),
    ('{"metric": "' + "a" * 101 + '", "value": 1}', "metric"),
    ('{"metric": 5, "value": 1}', "metric"),
    ('{"metric": "cpu", "value": 1, "ts": "yesterday"}', "ts"),
    ('{"metric": "cpu", "value": 1, "ts": true}', "ts"),
    ('{"metric": "cpu", "value": 1, "ts": -5}', "ts"),
    ('{"metric": "cpu", "value": 1, "ts": 1e15}', "ts"),
    ('{"metric": "cpu", "value": 1, "extra": 2}', "extra"),
    ('"cpu"', "object"),
    ("[]", "empty"),
    ("{", "JSON"),
]


@pytest.mark.parametrize(("body", "named"), BAD_POINTS)
def test_bad_points_are_422_naming_the_problem_and_store_nothing(
    client: TestClient, body: str, named: str
) -> None:
    response = client.post("/metrics", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert named.lower() in json.dumps(response.json()["detail"]).lower()
    assert client.get("/metrics").json() == []


def test_a_batch_is_all_or_nothing_and_names_the_index(client: TestClient) -> None:
    points = [{"metric": "cpu", "value": 1}, {"metric": "cpu", "value": 2},
              {"metric": "cpu", "value": "x"}]
    status, body = post(client, points)
    assert status == 422
    assert body["detail"][0]["loc"][:2] == [2, "value"]
    assert client.get("/metrics").json() == []


def test_batch_limit(client: TestClient) -> None:
    status, body = post(client, [{"metric": "cpu", "value": 1}] * 10_001)
    assert status == 413
    assert "10000" in body["detail"]
    status, body = post(client, [{"metric": "cpu", "value": 1, "ts": T0 + i} for i in range(10_000)],
                        prefer="return=minimal")
    assert (status, body["accepted"]) == (201, 10_000)


def test_body_over_5_mib_is_413_before_parsing(client: TestClient) -> None:
    big = b'{"metric": "cpu", "value": 1, "pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    response = client.post("/metrics", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "bytes" in response.json()["detail"]

    def chunks():  # no Content-Length: the limit applies while reading
        for _ in range(6):
            yield b" " * (1024 * 1024)

    response = client.post("/metrics", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert client.get("/metrics").json() == []


def test_wrong_content_type_is_415(client: TestClient) -> None:
    response = client.post("/metrics", content='{"metric":"cpu","value":1}',
                           headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert "content-type" in response.json()["detail"].lower()


def test_invalid_utf8_is_422(client: TestClient) -> None:
    response = client.post("/metrics", content=b'{"metric": "cp\xff", "value": 1}',
                           headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert client.get("/metrics").json() == []


def test_ingest_token(make_client: MakeClient) -> None:
    client = make_client(ingest_token="s3cret")
    body = {"metric": "cpu", "value": 1}
    assert post(client, body)[0] == 401
    assert post(client, body, authorization="Bearer wrong")[0] == 401
    assert post(client, body, authorization="Basic s3cret")[0] == 401
    assert post(client, body, authorization="Bearer s3cret")[0] == 201
    assert stored(client, "cpu") == 1


@pytest.mark.parametrize("params", [
    {"metric": "bad name"}, {"hours": "0"}, {"hours": "-1"}, {"hours": "abc"}, {"hours": "nan"},
    {"limit": "0"}, {"limit": "100000"},
])
def test_bad_alert_queries_are_422(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/alerts", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] in params


def test_alerts_of_a_from_to_window(client: TestClient) -> None:
    # Three spikes after a steady baseline, at T0 + 20, T0 + 40 and T0 + 60.
    points = [{"metric": "w", "value": 10 + (i % 2) * 0.1, "ts": T0 + i} for i in range(61)]
    for spike in (20, 40, 60):
        points[spike]["value"] = 500
    assert post(client, points)[0] == 201
    every = client.get("/alerts", params={"metric": "w", "hours": 24 * 365 * 10}).json()
    at = {second: f"2025-06-15T15:07:{second}.000Z" for second in ("00", "20", "40")}
    assert [a["ts"] for a in every] == [at["40"], at["20"], at["00"]]

    def window(start: str, end: str) -> list[str]:
        response = client.get("/alerts", params={"metric": "w", "from": start, "to": end})
        assert response.status_code == 200, response.text
        return [a["ts"] for a in response.json()]

    # RFC 3339 (any offset) or epoch seconds, as the series API takes them; both ends inclusive.
    assert window("2025-06-15T15:07:00Z", "2025-06-15T15:07:39Z") == [at["20"], at["00"]]
    assert window("2025-06-15T17:06:50+02:00", str(T0 + 40)) == [at["20"], at["00"]]
    assert window(str(T0 + 41), str(T0 + 59)) == []
    # `from` alone runs to now (and a day past it, as `hours` does).
    assert len(window(str(T0 + 30), "")) == 2


@pytest.mark.parametrize(("params", "bad"), [
    ({"from": "yesterday"}, "from"),
    ({"from": "2025-06-15T15:00:00Z", "to": "soon"}, "to"),
    ({"from": "2025-06-15T15:00:00Z", "to": "2025-06-15T15:00:00Z"}, "from"),  # from ≥ to
    ({"from": "2025-06-15T16:00:00Z", "to": "2025-06-15T15:00:00Z"}, "from"),
    ({"from": "2025-06-15T15:00:00Z", "hours": "1"}, "hours"),
])
def test_a_bad_alert_window_is_422_naming_the_parameter(
    client: TestClient, params: dict[str, str], bad: str
) -> None:
    response = client.get("/alerts", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", bad]


def test_restart_rebuilds_the_window_from_the_database(make_client: MakeClient) -> None:
    first = make_client()
    post(first, [{"metric": "t", "value": v, "ts": T0 + i} for i, v in enumerate([5, 6, 5, 6, 5, 6])])
    first.__exit__(None, None, None)
    second = make_client()
    status, body = post(second, {"metric": "t", "value": 50, "ts": T0 + 7})
    assert status == 201
    assert body["n"] == 6
    assert body["mean"] == pytest.approx(5.5)
    assert body["alert"] is True


def test_each_app_checks_metric_names_afresh(tmp_path: Path) -> None:
    """The names found valid belong to the app (its lifespan), not to every app of the process."""
    for run in range(2):
        with app_clients(f"sqlite+aiosqlite:///{tmp_path / f'cv{run}.db'}", tmp_path) as make:
            client = make()
            known = client.app.state.services.known_names  # type: ignore[attr-defined]
            assert len(known) == 0
            assert post(client, [{"metric": "cpu", "value": 1.0}, {"metric": "mem", "value": 2.0}])[0] == 201
            assert len(known) == 2
