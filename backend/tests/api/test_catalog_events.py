"""Catalog announcements on the stream (SPEC §6), in the embedded shape: `incidents=1` sockets hear
of a metric's first stored point and of its removal; other sockets hear of neither."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from tests.api.conftest import MakeClient

TOKEN = "admin-secret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def post(client: TestClient, metric: str, value: float) -> None:
    response = client.post("/metrics", json={"metric": metric, "value": value, "ts": time.time()})
    assert response.status_code == 201, response.text


def test_an_incidents_socket_hears_of_a_new_metric_once_and_of_its_removal(make_client: MakeClient) -> None:
    client = make_client(admin_token=TOKEN)
    post(client, "old", 1.0)
    with client.websocket_connect("ws://localhost/ws/stream?incidents=1") as socket:
        post(client, "old", 2.0)  # already in the catalog: nothing to announce
        post(client, "fresh", 1.0)
        assert socket.receive_json() == {"type": "catalog", "event": "added", "metric": "fresh"}
        post(client, "fresh", 2.0)
        assert client.delete("/metrics/fresh", headers=AUTH).status_code == 204
        # The next message is the removal: neither the second point nor "old" announced anything.
        assert socket.receive_json() == {"type": "catalog", "event": "removed", "metric": "fresh"}
        assert client.delete("/metrics/fresh", headers=AUTH).status_code == 404  # nothing to announce
        post(client, "fresh", 3.0)  # back after its removal: new again
        assert socket.receive_json() == {"type": "catalog", "event": "added", "metric": "fresh"}


def test_a_socket_without_incidents_hears_no_announcement(make_client: MakeClient) -> None:
    client = make_client(admin_token=TOKEN)
    with client.websocket_connect("ws://localhost/ws/stream?metric=fresh") as socket:
        post(client, "fresh", 1.0)
        assert socket.receive_json()["type"] == "metric"  # the point, not its announcement
        assert client.delete("/metrics/fresh", headers=AUTH).status_code == 204
        post(client, "fresh", 2.0)
        message = socket.receive_json()
        assert (message["type"], message["data"]["value"]) == ("metric", 2.0)
