"""Delivery against real HTTP receivers (SPEC §11): retries with one delivery id, Retry-After,
permanent failures, 410 disabling the channel, timeouts, the signature, and silences."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import orjson

from tests.apps import MakeClient
from tests.notify.conftest import add_channel, deliveries, emit, incident_event, wait_deliveries
from tests.notify.receivers import HANG, Answer, always, sequence


def _settled(rows: list[dict[str, Any]]) -> bool:
    return bool(rows) and all(r["state"] in ("delivered", "failed", "silenced") for r in rows)


def test_two_failures_then_success_is_one_delivery_with_one_id(
    make_client: MakeClient, receiver: Any
) -> None:
    hook = receiver(sequence(Answer(503, {"Retry-After": "1"}), Answer(500, {"Retry-After": "1"}),
                             Answer(200)))
    client = make_client()
    add_channel(client, "webhook", {"url": hook.url + "/hook"})
    emit(client, incident_event("temp.kitchen"))
    rows = wait_deliveries(client, _settled, 20)
    assert [(r["state"], r["attempts"], r["last_status"]) for r in rows] == [("delivered", 3, 200)]
    got = hook.received
    assert len(got) == 3
    ids = {r.headers["x-chronoview-delivery"] for r in got}
    assert ids == {rows[0]["id"]}
    time.sleep(1.5)  # nothing more is sent once delivered
    assert len(hook.received) == 3


def test_retry_after_is_waited_for(make_client: MakeClient, receiver: Any) -> None:
    hook = receiver(sequence(Answer(429, {"Retry-After": "3"}), Answer(204)))
    client = make_client()
    add_channel(client, "webhook", {"url": hook.url})
    emit(client, incident_event("orders"))
    first, second = hook.wait_for(2, 15)[:2]
    assert second.at - first.at >= 2.9
    assert wait_deliveries(client, _settled, 5)[0]["state"] == "delivered"


def test_a_400_fails_at_once(make_client: MakeClient, receiver: Any) -> None:
    hook = receiver(always(400))
    client = make_client()
    add_channel(client, "webhook", {"url": hook.url})
    emit(client, incident_event("cpu"))
    (row,) = wait_deliveries(client, _settled, 10)
    assert (row["state"], row["attempts"], row["last_status"]) == ("failed", 1, 400)
    time.sleep(1.5)
    assert len(hook.received) == 1


def test_a_410_disables_the_channel(make_client: MakeClient, receiver: Any) -> None:
    hook = receiver(always(410))
    client = make_client()
    channel = add_channel(client, "slack", {"url": hook.url + "/services/T0/B0/xyz"})
    emit(client, incident_event("cpu"))
    (row,) = wait_deliveries(client, _settled, 10)
    assert (row["state"], row["last_status"]) == ("failed", 410)
    shown = client.get(f"/channels/{channel['id']}").json()
    assert shown["enabled"] is False
    assert "410" in shown["disabled_reason"]
    emit(client, incident_event("cpu"))  # a disabled channel is not sent to, and the log says so
    rows = wait_deliveries(client, lambda rows: len(rows) == 2, 5)
    assert rows[0]["state"] == "failed"
    assert "disabled" in rows[0]["reason"]
    assert len(hook.received) == 1


def test_a_hanging_receiver_times_out_and_is_retried_later(
    make_client: MakeClient, receiver: Any
) -> None:
    hook = receiver(always(HANG))
    client = make_client()
    add_channel(client, "webhook", {"url": hook.url})
    start = time.monotonic()
    emit(client, incident_event("traffic"))
    (row,) = wait_deliveries(client, lambda rows: rows and rows[0]["state"] == "pending"
                             and rows[0]["attempts"] == 1 and rows[0]["last_error"], 20)
    assert 9.5 <= time.monotonic() - start < 16
    assert "10 s" in row["last_error"]
    assert row["next_attempt_at"] is not None
    assert len(hook.received) == 1


def test_signature_verified_by_the_receiver(make_client: MakeClient, receiver: Any) -> None:
    secret = "s3cret-signing-key"
    hook = receiver(always(200))
    client = make_client(public_url="https://metrics.example.com")
    add_channel(client, "webhook", {"url": hook.url, "secret": secret, "headers": {"X-Team": "ops"}})
    emit(client, incident_event("temp.kitchen", value=131.5))
    (request,) = hook.wait_for(1, 10)
    stamp, mac = request.headers["x-chronoview-signature"].split(",")
    t = stamp.removeprefix("t=")
    expected = hmac.new(secret.encode(), f"{t}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac.removeprefix("v1="), expected)
    assert abs(int(t) - time.time()) < 30
    assert request.headers["x-team"] == "ops"
    body = orjson.loads(request.body)
    # The Alertmanager webhook format, plus the explanation.
    assert body["version"] == "4"
    assert body["status"] == "firing"
    (alert,) = body["alerts"]
    assert alert["labels"]["metric"] == "temp.kitchen"
    assert alert["endsAt"] == "0001-01-01T00:00:00Z"
    assert set(alert) >= {"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL",
                          "fingerprint"}
    cv = body["chronoview"]
    assert (cv["metric"], cv["value"], cv["zscore"], cv["mean"], cv["std"]) == ("temp.kitchen", 131.5, 6.5,
                                                                                  100.0, 4.6)
    assert cv["dashboard_url"].startswith("https://metrics.example.com/?metric=temp.kitchen")
    assert cv["snapshot_url"].startswith("https://metrics.example.com/snapshot/")
    snapshot_id = cv["snapshot_url"].rsplit("/", 1)[1]
    snapshot = client.get(f"/snapshots/{snapshot_id}").json()
    assert snapshot["state"]["selectedMetric"] == "temp.kitchen"
    assert "temp.kitchen" in snapshot["data"]["series"]
    # A wrong secret would not verify.
    forged = hmac.new(b"other", f"{t}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert forged != mac.removeprefix("v1=")


def test_a_silence_mutes_its_metrics_only_until_it_ends(
    make_client: MakeClient, receiver: Any
) -> None:
    hook = receiver(always(200))
    client = make_client()
    add_channel(client, "webhook", {"url": hook.url})
    silence = client.post("/silences", json={"match": "temp.*", "until": time.time() + 3600,
                                             "comment": "oven maintenance"})
    assert silence.status_code == 201, silence.text
    emit(client, incident_event("temp.kitchen"), incident_event("traffic"))
    rows = wait_deliveries(client, lambda rows: len(rows) == 2 and _settled(rows), 10)
    by_metric = {r["metric"]: r for r in rows}
    assert by_metric["traffic"]["state"] == "delivered"
    muted = by_metric["temp.kitchen"]
    assert muted["state"] == "silenced"
    assert "oven maintenance" in muted["reason"]
    assert "temp.*" in muted["reason"]
    time.sleep(1)
    assert [orjson.loads(r.body)["chronoview"]["metric"] for r in hook.received] == ["traffic"]
    assert client.delete(f"/silences/{silence.json()['id']}").status_code == 204  # ended: sending resumes
    emit(client, incident_event("temp.kitchen"))
    hook.wait_for(2, 10)
    assert orjson.loads(hook.received[1].body)["chronoview"]["metric"] == "temp.kitchen"


def test_a_silence_expires_by_itself(make_client: MakeClient, receiver: Any) -> None:
    hook = receiver(always(200))
    client = make_client()
    add_channel(client, "ntfy", {"url": hook.url + "/alerts", "token": "tk_secret"})
    assert client.post("/silences", json={"match": "cpu", "until": time.time() + 1.5}).status_code == 201
    emit(client, incident_event("cpu"))
    wait_deliveries(client, lambda rows: rows and rows[0]["state"] == "silenced", 5)
    time.sleep(2)
    assert client.get("/silences").json()[0]["active"] is False
    emit(client, incident_event("cpu"))
    (request,) = hook.wait_for(1, 10)
    assert request.path == "/alerts"
    assert request.headers["authorization"] == "Bearer tk_secret"
    assert request.headers["title"].startswith("[FIRING] cpu")
    text = request.body.decode()
    for fact in ("Value: 130", "z: +6.50", "μ ± σ: 100 ± 4.6", "Started:", "Dashboard: ", "Snapshot: "):
        assert fact in text, (fact, text)


def test_rule_channels_override_the_defaults(make_client: MakeClient, receiver: Any) -> None:
    default_hook, chosen_hook = receiver(always(200)), receiver(always(200))
    client = make_client()
    add_channel(client, "webhook", {"url": default_hook.url}, default=True)
    chosen = add_channel(client, "discord", {"url": chosen_hook.url}, default=False)
    emit(client, incident_event("a", notify=[str(chosen["id"])]), incident_event("b"),
         incident_event("c", notify=[]))
    wait_deliveries(client, lambda rows: len(rows) == 2 and _settled(rows), 10)
    assert [orjson.loads(r.body)["chronoview"]["metric"] for r in default_hook.wait_for(1, 5)] == ["b"]
    (discord,) = chosen_hook.wait_for(1, 5)
    body = orjson.loads(discord.body)
    assert body["content"].startswith("[FIRING] a")
    assert body["embeds"][0]["fields"]
    assert len(deliveries(client)) == 2
