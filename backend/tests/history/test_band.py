"""The μ ± kσ band comes from stored scores: the series API returns each point's baseline (SPEC §8),
whole or downsampled, and a snapshot with include_data freezes the very same numbers."""

from __future__ import annotations

import json
import random
import time
from typing import Any

from fastapi.testclient import TestClient

from chronoview.points import format_ts


def _post(client: TestClient, points: list[dict[str, Any]]) -> dict[tuple[str, float], dict[str, Any]]:
    """Ingest and return each point's score as the pipeline answered it, by (ts, value)."""
    scored: dict[tuple[str, float], dict[str, Any]] = {}
    for start in range(0, len(points), 10_000):
        response = client.post("/metrics", content=json.dumps(points[start:start + 10_000]),
                               headers={"content-type": "application/json"})
        assert response.status_code == 201, response.text
        for item in response.json()["results"]:
            scored[item["data"]["ts"], item["data"]["value"]] = item
    return scored


def _noisy(metric: str, n: int, end: float) -> list[dict[str, Any]]:
    rng = random.Random(3)
    return [{"metric": metric, "ts": end - n + i, "value": round(100 + rng.gauss(0, 2), 3)} for i in range(n)]


def _check(points: list[dict[str, Any]], scored: dict[tuple[str, float], dict[str, Any]]) -> None:
    for point in points:
        answer = scored[point["ts"], point["value"]]
        assert (point["zscore"], point["mean"], point["std"]) == (
            answer["zscore"], answer["mean"], answer["std"]), point


def test_every_point_carries_its_stored_baseline(client: TestClient) -> None:
    scored = _post(client, _noisy("band", 200, time.time()))
    body = client.get("/metrics/band/series", params={"hours": 1}).json()
    assert len(body["points"]) == 200
    _check(body["points"], scored)
    # The first points had no baseline yet (n < ALERT_MIN_POINTS): no band there, not a made-up one.
    assert body["points"][0]["mean"] is None
    assert body["points"][0]["std"] is None
    assert all(p["mean"] is not None for p in body["points"][10:])


def test_a_downsampled_series_keeps_each_kept_points_baseline(client: TestClient) -> None:
    scored = _post(client, _noisy("band", 3_000, time.time()))
    body = client.get("/metrics/band/series", params={"hours": 1, "max_points": 200}).json()
    assert body["downsampled"] is True
    assert len(body["points"]) <= 200
    _check(body["points"], scored)
    assert sum(p["mean"] is not None for p in body["points"]) >= len(body["points"]) - 2


def test_a_frozen_snapshot_holds_the_same_band_as_the_series(client: TestClient) -> None:
    now = float(int(time.time()))  # whole seconds: from/to are written to the millisecond
    _post(client, _noisy("band", 120, now))
    start, end = format_ts(now - 100), format_ts(now - 10)
    state = {"selectedMetric": "band", "timeRangeHours": 1, "from": start, "to": end}
    created = client.post("/snapshots", json={"state": state, "include_data": True})
    assert created.status_code == 201, created.text
    frozen = client.get(f"/snapshots/{created.json()['id']}").json()["data"]
    # The absolute window the sharer saw, not "the last hour up to now".
    assert (frozen["from"], frozen["to"]) == (start, end)
    series = client.get("/metrics/band/series", params={"from": start, "to": end}).json()
    assert frozen["series"]["band"]["points"] == series["points"]
    assert len(series["points"]) == 91
    assert all(p["std"] is not None for p in series["points"])


def test_a_bad_snapshot_window_is_422_and_stores_nothing(client: TestClient) -> None:
    for state in ({"selectedMetric": "a", "timeRangeHours": 1, "from": "2025-01-01T00:00:00Z"},
                  {"selectedMetric": "a", "timeRangeHours": 1, "from": "2025-01-02T00:00:00Z",
                   "to": "2025-01-01T00:00:00Z"},
                  {"selectedMetric": "a", "timeRangeHours": 1, "from": "yesterday", "to": "now"}):
        response = client.post("/snapshots", json={"state": state, "include_data": True})
        assert response.status_code == 422, state
        assert response.json()["detail"][0]["loc"] == ["body", "state"]
