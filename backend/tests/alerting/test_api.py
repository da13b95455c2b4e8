"""Rules and incidents through the HTTP API and the stream, in the embedded shape (SPEC §10)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.apps import MakeClient

ADMIN = {"authorization": "Bearer admin-secret"}


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client(admin_token="admin-secret")


def post_points(client: TestClient, metric: str, values: list[float], start: float, step: float = 1.0
                ) -> list[dict[str, Any]]:
    body = [{"metric": metric, "value": v, "ts": start + i * step} for i, v in enumerate(values)]
    response = client.post("/metrics", content=json.dumps(body), headers={"content-type": "application/json"})
    assert response.status_code == 201, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def add_rule(client: TestClient, **fields: object) -> dict[str, Any]:
    response = client.post("/alert-rules", json=fields, headers=ADMIN)
    assert response.status_code == 201, response.text
    rule: dict[str, Any] = response.json()
    return rule


BASELINE = [10.0, 11.0, 10.0, 11.0, 10.0, 11.0]


def test_rule_crud_and_the_effective_rule(client: TestClient) -> None:
    assert client.get("/metrics/temp.kitchen/rule").json()["source"] == "defaults"
    glob = add_rule(client, match="temp.*", sigma=4.0)
    longer = add_rule(client, match="temp.k*", min_points=3, notify=[])
    effective = client.get("/metrics/temp.kitchen/rule").json()
    assert effective["source"] == "rule"
    assert effective["rule"]["match"] == "temp.k*"  # the longest literal prefix wins
    assert effective["rule"]["sigma"] == 2.5  # left out: the setting's default
    assert effective["rule"]["notify"] == []
    assert client.get("/metrics/temp.hall/rule").json()["rule"]["sigma"] == 4.0
    exact = add_rule(client, match="temp.kitchen", direction="above")
    assert client.get("/metrics/temp.kitchen/rule").json()["rule"]["rule_id"] == exact["id"]
    # `*` spans dots.
    assert client.get("/metrics/temp.k.x.y/rule").json()["rule"]["rule_id"] == longer["id"]
    assert glob["notify"] is None  # absent: the default channels

    listed = client.get("/alert-rules", headers=ADMIN).json()
    assert [r["match"] for r in listed] == ["temp.*", "temp.k*", "temp.kitchen"]
    put = client.put(f"/alert-rules/{glob['id']}", json={"match": "temp.*", "sigma": 3.0}, headers=ADMIN)
    assert put.status_code == 200
    assert client.get(f"/alert-rules/{glob['id']}", headers=ADMIN).json()["sigma"] == 3.0
    assert client.delete(f"/alert-rules/{exact['id']}", headers=ADMIN).status_code == 204
    assert client.get("/metrics/temp.kitchen/rule").json()["rule"]["rule_id"] == longer["id"]
    assert client.get(f"/alert-rules/{exact['id']}", headers=ADMIN).status_code == 404
    assert client.delete(f"/alert-rules/{exact['id']}", headers=ADMIN).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"match": "a", "sigma": 0}, "sigma"),
    ({"match": "a", "window_seconds": 5}, "window_seconds"),
    ({"match": "a", "window_seconds": 86_401}, "window_seconds"),
    ({"match": "a", "min_points": 1}, "min_points"),
    ({"match": "a", "for_points": 101}, "for_points"),
    ({"match": "a", "resolve_after_seconds": 0}, "resolve_after_seconds"),
    ({"match": "a", "direction": "sideways"}, "direction"),
    ({"match": "a", "enabled": "yes"}, "enabled"),
    ({"match": "bad name"}, "match"),
    ({"match": "a", "colour": "red"}, "colour"),
])
def test_a_bad_rule_is_422_naming_the_field_and_changes_nothing(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/alert-rules", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert field in [str(part) for error in response.json()["detail"] for part in error["loc"]]
    assert client.get("/alert-rules", headers=ADMIN).json() == []


def test_a_second_rule_with_the_same_match_is_409(client: TestClient) -> None:
    add_rule(client, match="cpu")
    response = client.post("/alert-rules", json={"match": "cpu", "sigma": 3}, headers=ADMIN)
    assert response.status_code == 409
    assert len(client.get("/alert-rules", headers=ADMIN).json()) == 1


def test_rules_are_management_endpoints(client: TestClient) -> None:
    assert client.get("/alert-rules").status_code == 401
    assert client.post("/alert-rules", json={"match": "x"}).status_code == 401


def test_an_incident_pends_opens_extends_and_resolves(client: TestClient) -> None:
    add_rule(client, match="door", min_points=5, for_points=2, resolve_after_seconds=10)
    t0 = time.time() - 100
    post_points(client, "door", BASELINE, t0)
    with client.websocket_connect("ws://localhost/ws/stream?incidents=1") as socket:
        first, second, third = post_points(client, "door", [100.0, 1000.0, 10000.0], t0 + 6)
        assert (first["alert"], first["state"], first["pending"]) == (True, "pending", 1)
        assert (second["state"], third["state"]) == ("firing", "firing")
        opened = socket.receive_json()
        assert (opened["type"], opened["event"]) == ("incident", "opened")
        incident = opened["incident"]
        assert incident["state"] == "firing"
        assert incident["started_at"] == first["data"]["ts"]  # the first of the for_points
        assert incident["alert_points"] == 3  # as the batch that opened it left it
        assert incident["rule"]["for_points"] == 2
        [quiet] = post_points(client, "door", [10.5], t0 + 30)  # 10 s after the last alert
        assert quiet["state"] == "normal"
        resolved = socket.receive_json()
        assert (resolved["event"], resolved["incident"]["id"]) == ("resolved", incident["id"])

    stored = client.get(f"/incidents/{incident['id']}").json()
    assert stored["state"] == "resolved"
    assert stored["alert_points"] == 3
    peak = max(stored["alerts"], key=lambda a: abs(a["zscore"]))
    assert (stored["peak_value"], stored["peak_zscore"]) == (peak["value"], peak["zscore"])
    assert stored["resolved_at"] == resolved["incident"]["resolved_at"]
    assert [a["value"] for a in stored["alerts"]] == [100.0, 1000.0, 10000.0]
    assert [i["id"] for i in client.get("/incidents?state=resolved&metric=door").json()] == [incident["id"]]
    assert client.get("/incidents?state=firing").json() == []
    assert client.get("/incidents/8d4f5c3e-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/incidents/not-a-uuid").status_code == 422


def test_a_disabled_rule_reports_z_and_never_opens(client: TestClient) -> None:
    add_rule(client, match="quiet", min_points=5, enabled=False)
    t0 = time.time() - 100
    post_points(client, "quiet", BASELINE, t0)
    [spike] = post_points(client, "quiet", [500.0], t0 + 7)
    assert spike["zscore"] > 100
    assert (spike["alert"], spike["state"]) == (False, "normal")
    assert client.get("/incidents").json() == []


def test_silence_resolves_by_the_wall_clock_and_open_incidents_survive_a_restart(
    make_client: MakeClient, tmp_path: Path,
) -> None:
    first = make_client(admin_token="admin-secret")
    add_rule(first, match="fridge", min_points=5, resolve_after_seconds=4)
    now = time.time()
    post_points(first, "fridge", BASELINE, now - 8)
    [spike] = post_points(first, "fridge", [80.0], now - 1)
    assert spike["state"] == "firing"
    [open_one] = first.get("/incidents?state=firing").json()
    first.__exit__(None, None, None)

    second = make_client(admin_token="admin-secret")  # a restart on the same database
    assert [i["id"] for i in second.get("/incidents?state=firing").json()] == [open_one["id"]]
    [again] = post_points(second, "fridge", [10_000.0], time.time())
    assert (again["alert"], again["state"]) == (True, "firing")  # the same one goes on
    [still] = second.get("/incidents").json()
    assert (still["id"], still["alert_points"]) == (open_one["id"], 2)
    # No more points: the resolver closes it once last_alert_at + 4 s has passed (checks every 2 s).
    deadline = time.time() + 15
    url = f"/incidents/{open_one['id']}"
    while time.time() < deadline and second.get(url).json()["state"] == "firing":
        time.sleep(0.3)
    done = second.get(f"/incidents/{open_one['id']}").json()
    assert done["state"] == "resolved"
    assert done["resolved_at"] is not None
    last = done["last_alert_at"]
    assert done["resolved_at"] > last
