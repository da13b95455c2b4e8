"""PUT /metrics/{metric}/meta and DELETE /metrics/{metric} (SPEC §8), guarded as SPEC §11 says."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import MakeClient

TOKEN = "admin-secret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def admin(make_client: MakeClient) -> TestClient:
    client = make_client(admin_token=TOKEN)
    now = time.time()
    for metric in ("temp", "keep"):
        points = [{"metric": metric, "ts": now - 20 + i, "value": 20.0 + (i % 3)} for i in range(10)]
        assert client.post("/metrics", json=points).status_code == 201
    return client


def _catalog(client: TestClient) -> dict[str, dict[str, object]]:
    return {row["metric"]: row for row in client.get("/metrics").json()}


def test_meta_is_stored_and_carried_by_the_catalog(admin: TestClient) -> None:
    assert {k: _catalog(admin)["temp"][k] for k in ("unit", "label", "decimals")} == {
        "unit": None, "label": None, "decimals": None}
    meta = {"unit": "°C", "label": "Boiler temperature", "decimals": 1}
    response = admin.put("/metrics/temp/meta", json=meta, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json() == {"metric": "temp", **meta}
    row = _catalog(admin)["temp"]
    assert {k: row[k] for k in meta} == meta
    assert _catalog(admin)["keep"]["unit"] is None
    # New points do not clear it; a PUT replaces all three.
    assert admin.post("/metrics", json={"metric": "temp", "value": 25.0}).status_code == 201
    assert _catalog(admin)["temp"]["unit"] == "°C"
    assert admin.put("/metrics/temp/meta", json={"unit": "K"}, headers=AUTH).status_code == 200
    row = _catalog(admin)["temp"]
    assert (row["unit"], row["label"], row["decimals"]) == ("K", None, None)
    # JSON Schema's integer includes 3.0.
    assert admin.put("/metrics/temp/meta", json={"decimals": 3.0}, headers=AUTH).json()["decimals"] == 3


@pytest.mark.parametrize(("body", "field"), [
    ({"unit": "x" * 33}, "unit"),
    ({"unit": "\n"}, "unit"),
    ({"unit": "a\x00b"}, "unit"),
    ({"unit": 5}, "unit"),
    ({"label": "y" * 101}, "label"),
    ({"label": ""}, "label"),
    ({"decimals": 11}, "decimals"),
    ({"decimals": -1}, "decimals"),
    ({"decimals": 1.5}, "decimals"),
    ({"decimals": None, "label": "x\ty"}, "label"),
    ({"decimals": "2"}, "decimals"),
    ({"decimals": True}, "decimals"),
    ({"colour": "red"}, "colour"),
])
def test_bad_meta_is_422_naming_the_field_and_changes_nothing(
    admin: TestClient, body: dict[str, object], field: str
) -> None:
    assert admin.put("/metrics/temp/meta", json={"unit": "°C"}, headers=AUTH).status_code == 200
    response = admin.put("/metrics/temp/meta", json=body, headers=AUTH)
    assert response.status_code == 422
    assert field in [str(part) for part in response.json()["detail"][0]["loc"]]
    assert _catalog(admin)["temp"]["unit"] == "°C"


def test_unknown_metric_is_404_and_a_bad_name_422(admin: TestClient) -> None:
    response = admin.put("/metrics/nope/meta", json={"unit": "s"}, headers=AUTH)
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]
    assert admin.delete("/metrics/nope", headers=AUTH).status_code == 404
    assert admin.delete("/metrics/-bad", headers=AUTH).status_code == 422
    assert admin.put("/metrics/-bad/meta", json={}, headers=AUTH).status_code == 422


def test_delete_removes_points_alerts_meta_and_window(admin: TestClient) -> None:
    assert admin.put("/metrics/temp/meta", json={"unit": "°C"}, headers=AUTH).status_code == 200
    spike = admin.post("/metrics", json={"metric": "temp", "value": 500.0}).json()
    assert spike["alert"] is True
    assert admin.delete("/metrics/temp", headers=AUTH).status_code == 204
    assert "temp" not in _catalog(admin)
    assert "keep" in _catalog(admin)
    assert admin.get("/metrics/temp/series", params={"hours": 1}).json()["points"] == []
    assert admin.get("/alerts", params={"metric": "temp"}).json() == []
    assert admin.get("/export/csv", params={"metric": "temp", "hours": 1}).text == "metric,value,ts\r\n"
    assert len(admin.get("/metrics/keep/series", params={"hours": 1}).json()["points"]) == 10
    # The window went too: a metric sent again under that name starts with no baseline.
    again = admin.post("/metrics", json={"metric": "temp", "value": 1.0}).json()
    assert (again["n"], again["mean"], again["zscore"]) == (0, None, None)
    assert _catalog(admin)["temp"]["unit"] is None
    assert admin.delete("/metrics/temp", headers=AUTH).status_code == 204
    assert admin.delete("/metrics/temp", headers=AUTH).status_code == 404


def test_a_token_is_needed_when_set(admin: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        put = admin.put("/metrics/temp/meta", json={"unit": "s"}, headers=headers)
        delete = admin.delete("/metrics/temp", headers=headers)
        assert (put.status_code, delete.status_code) == (401, 401)
        assert put.headers["www-authenticate"] == "Bearer"
    row = _catalog(admin)["temp"]
    assert row["unit"] is None


def test_without_a_token_only_local_clients_manage(make_client: MakeClient) -> None:
    client = make_client()
    assert client.post("/metrics", json={"metric": "temp", "value": 1.0}).status_code == 201
    # TestClient's peer is "testclient", not a loopback address: a remote client.
    put = client.put("/metrics/temp/meta", json={"unit": "s"})
    delete = client.delete("/metrics/temp")
    assert (put.status_code, delete.status_code) == (403, 403)
    assert "ADMIN_TOKEN" in put.json()["detail"]
    assert "temp" in _catalog(client)
