"""The alert threshold the dashboard draws comes from the server (GET /metrics/{metric}/rule):
it is the k the server alerts on, whether it comes from the settings or from a rule."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import MakeClient

ADMIN = {"Authorization": "Bearer admin-secret"}


def _band_holds(client: TestClient, metric: str, sigma: float) -> None:
    """Every scored point alerts exactly when it leaves mean ± sigma·std, the band the dashboard draws."""
    values = [100.0, 102.0, 98.0, 101.0, 99.0, 100.0, 103.0, 106.0, 92.0, 110.0, 100.0]
    results = client.post("/metrics", json=[
        {"metric": metric, "value": value, "ts": 1_700_000_000 + i} for i, value in enumerate(values)
    ]).json()["results"]
    scored = [r for r in results if r["zscore"] is not None]
    assert any(r["alert"] for r in scored)
    assert not all(r["alert"] for r in scored)
    for r in scored:
        outside = abs(r["data"]["value"] - r["mean"]) >= sigma * r["std"]
        assert r["alert"] is outside


def test_the_rule_endpoint_reports_the_sigma_the_server_alerts_on(make_client: MakeClient) -> None:
    client = make_client(alert_sigma=1.5, admin_token="admin-secret")
    effective = client.get("/metrics/traffic/rule").json()
    assert effective["source"] == "defaults"
    assert effective["rule"]["sigma"] == 1.5  # the setting, not a constant
    _band_holds(client, "traffic", 1.5)

    created = client.post("/alert-rules", json={"match": "cpu", "sigma": 2.0}, headers=ADMIN)
    assert created.status_code == 201
    assert client.get("/metrics/cpu/rule").json()["rule"]["sigma"] == 2.0
    _band_holds(client, "cpu", 2.0)
