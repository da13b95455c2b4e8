"""The channels API (SPEC §11): validation per kind, masked secrets, encryption at rest, rotation,
and the admin guard."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.apps import MakeClient, app_clients
from tests.notify.conftest import ADMIN_TOKEN, add_channel
from tests.notify.receivers import always

SLACK = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"


def _db_text(sqlite_url: str) -> str:
    path = sqlite_url.split("///", 1)[1]
    with sqlite3.connect(path) as conn:
        return repr(conn.execute("SELECT * FROM channels").fetchall())


@pytest.mark.parametrize(("kind", "config", "field"), [
    ("webhook", {}, "url"),
    ("webhook", {"url": "ftp://example.com/x"}, "url"),
    ("webhook", {"url": "https://x.example", "headers": {"Bad Header": "x"}}, "headers"),
    ("webhook", {"url": "https://x.example", "headers": {"Content-Type": "text/plain"}}, "headers"),
    ("webhook", {"url": "https://x.example", "surprise": 1}, "surprise"),
    ("slack", {"url": "not a url"}, "url"),
    ("discord", {}, "url"),
    ("ntfy", {"url": "https://ntfy.sh/t", "token": ""}, "token"),
    ("email", {"host": "smtp.example.com", "from": "a@example.com", "to": []}, "to"),
    ("email", {"host": "smtp.example.com", "from": "not-an-address", "to": ["b@example.com"]}, "from"),
    ("email", {"host": "smtp.example.com", "from": "a@example.com", "to": ["b@example.com"],
               "security": "ssl3"}, "security"),
    ("email", {"host": "smtp.example.com", "port": 70000, "from": "a@example.com", "to": ["b@x.io"]}, "port"),
    ("alertmanager", {"url": "http://"}, "url"),
])
def test_invalid_configs_are_422_naming_the_field(
    make_client: MakeClient, sqlite_url: str, kind: str, config: dict[str, Any], field: str
) -> None:
    client = make_client()
    response = client.post("/channels", json={"name": "x", "kind": kind, "config": config})
    assert response.status_code == 422, response.text
    locs = [e["loc"] for e in response.json()["detail"]]
    assert any(loc[:3] == ["body", "config", field] for loc in locs), locs
    assert client.get("/channels").json() == []


def test_unknown_kind_and_duplicate_name(make_client: MakeClient) -> None:
    client = make_client()
    bad = client.post("/channels", json={"name": "x", "kind": "pager", "config": {}})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "kind"]
    add_channel(client, "slack", {"url": SLACK}, name="ops")
    again = client.post("/channels", json={"name": "ops", "kind": "slack", "config": {"url": SLACK}})
    assert again.status_code == 409
    assert "ops" in again.json()["detail"]
    assert client.get("/channels/999").status_code == 404
    assert client.delete("/channels/999").status_code == 404


def test_secrets_are_masked_kept_on_put_and_encrypted_at_rest(
    make_client: MakeClient, sqlite_url: str
) -> None:
    client = make_client()
    created = add_channel(client, "email", {"host": "smtp.example.com", "port": 465, "security": "tls",
                                            "username": "bot", "password": "hunter2-smtp-pass",
                                            "from": "cv@example.com", "to": "a@example.com, b@example.com"})
    assert created["config"]["password"] == "********"
    assert created["config"]["to"] == ["a@example.com", "b@example.com"]
    slack = add_channel(client, "slack", {"url": SLACK})
    assert slack["config"]["url"] == "https://hooks.slack.com/********"
    listed = client.get("/channels")
    assert "hunter2" not in listed.text
    assert "XXXXXXXX" not in listed.text
    assert "T000" not in listed.text
    stored = _db_text(sqlite_url)
    assert "hunter2" not in stored
    assert "XXXXXXXX" not in stored
    assert "hooks.slack.com" not in stored
    # Sending the masked values back keeps the stored secrets; a new value replaces them.
    body = {"name": "renamed", "kind": "slack", "config": slack["config"], "default": True}
    updated = client.put(f"/channels/{slack['id']}", json=body)
    assert updated.status_code == 200
    assert updated.json()["name"] == "renamed"
    services = client.app.state.services  # type: ignore[attr-defined]
    record = client.portal.call(services.notifications.store.channel, slack["id"])  # type: ignore[union-attr]
    assert services.notifications.box.open(record.secrets) == {"url": SLACK}
    new_url = "https://hooks.slack.com/services/T1/B1/YYYY"
    client.put(f"/channels/{slack['id']}", json={**body, "config": {"url": new_url}})
    record = client.portal.call(services.notifications.store.channel, slack["id"])  # type: ignore[union-attr]
    assert services.notifications.box.open(record.secrets) == {"url": new_url}
    assert client.delete(f"/channels/{slack['id']}").status_code == 204
    assert [c["id"] for c in client.get("/channels").json()] == [created["id"]]


def test_rotation_with_secret_key_fallbacks(sqlite_url: str, tmp_path: Path, receiver: Any) -> None:
    hook = receiver(always(200))
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with app_clients(sqlite_url, tmp_path) as make:
        old = make(secret_key="old-key-0123456789", admin_token=ADMIN_TOKEN)
        channel = old.post("/channels", headers=headers, json={
            "name": "hook", "kind": "webhook", "config": {"url": hook.url + "/secret-path-abc"}}).json()
        old.__exit__(None, None, None)
        # A new key alone cannot read what the old one sealed, and says so instead of failing.
        lost = make(secret_key="new-key-9876543210", admin_token=ADMIN_TOKEN)
        assert lost.get(f"/channels/{channel['id']}", headers=headers).json()["secrets_unreadable"] is True
        result = lost.post(f"/channels/{channel['id']}/test", headers=headers).json()
        assert result["ok"] is False
        assert "SECRET_KEY_FALLBACKS" in result["detail"]
        lost.__exit__(None, None, None)
        # With the old key as a fallback it opens, and start-up reseals it under the new key.
        rotated = make(secret_key="new-key-9876543210", secret_key_fallbacks=["old-key-0123456789"],
                       admin_token=ADMIN_TOKEN)
        shown = rotated.get(f"/channels/{channel['id']}", headers=headers).json()
        assert shown["secrets_unreadable"] is False
        assert shown["config"]["url"].endswith("/********")
        assert rotated.post(f"/channels/{channel['id']}/test", headers=headers).json()["ok"] is True
        rotated.__exit__(None, None, None)
        after = make(secret_key="new-key-9876543210", admin_token=ADMIN_TOKEN)
        assert after.post(f"/channels/{channel['id']}/test", headers=headers).json()["status"] == 200
    assert [r.path for r in hook.received] == ["/secret-path-abc", "/secret-path-abc"]


def test_test_endpoint_answers_with_the_receivers_status(make_client: MakeClient, receiver: Any) -> None:
    hook = receiver(always(503))
    client = make_client()
    channel = add_channel(client, "webhook", {"url": hook.url})
    result = client.post(f"/channels/{channel['id']}/test")
    assert result.status_code == 200
    assert result.json()["ok"] is False
    assert result.json()["status"] == 503
    (request,) = hook.received
    assert request.headers["x-chronoview-delivery"] == result.json()["delivery_id"]


def test_management_endpoints_need_the_admin_token(make_client: MakeClient) -> None:
    client = make_client()
    for method, path in [("GET", "/channels"), ("POST", "/channels"), ("GET", "/channels/1"),
                         ("PUT", "/channels/1"), ("DELETE", "/channels/1"), ("POST", "/channels/1/test"),
                         ("GET", "/silences"), ("POST", "/silences"), ("DELETE", "/silences/1"),
                         ("GET", "/notifications")]:
        response = client.request(method, path, headers={"Authorization": "Bearer wrong"}, json={})
        assert response.status_code == 401, (method, path, response.text)
        assert "ADMIN_TOKEN" in response.json()["detail"]


def test_silence_validation(make_client: MakeClient) -> None:
    client = make_client()
    past = client.post("/silences", json={"match": "cpu", "until": "2020-01-01T00:00:00Z"})
    assert past.status_code == 422
    assert past.json()["detail"][0]["loc"] == ["body", "until"]
    bad = client.post("/silences", json={"match": "cpu[0]", "until": "2999-01-01T00:00:00Z"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "match"]
    assert client.get("/silences").json() == []
    assert client.delete("/silences/5").status_code == 404
    log = client.get("/notifications", params={"state": "lost"})
    assert log.status_code == 422
    assert log.json()["detail"][0]["loc"] == ["query", "state"]
