"""Notifications from real ingest (SPEC §3, §10, §11): points posted → incident → outbox rows in
the same transaction → delivered, with the point's value, z, μ ± σ, and the resolve after it."""

from __future__ import annotations

import time
from typing import Any

import orjson
from fastapi.testclient import TestClient

from chronoview.notify.reminders import remind
from chronoview.points import to_datetime
from chronoview.storage.tables import notify_events
from tests.apps import MakeClient
from tests.notify.conftest import add_channel, wait_deliveries
from tests.notify.receivers import always


def _baseline(client: TestClient, metric: str, start: float, n: int = 12) -> None:
    points = [{"metric": metric, "ts": start + i, "value": 20.0 + (i % 3) * 0.1} for i in range(n)]
    assert client.post("/metrics", json=points).status_code == 201


def test_an_incident_from_posted_points_is_sent_opened_then_resolved(
    make_client: MakeClient, receiver: Any
) -> None:
    hook = receiver(always(200))
    client = make_client(public_url="https://metrics.example.com")
    add_channel(client, "webhook", {"url": hook.url})
    start = time.time() - 200
    _baseline(client, "temp.kitchen", start)
    spike = client.post("/metrics", json={"metric": "temp.kitchen", "ts": start + 12, "value": 31.0}).json()
    assert spike["alert"] is True
    (opened,) = hook.wait_for(1, 10)
    body = orjson.loads(opened.body)["chronoview"]
    assert body["event"] == "opened"
    assert (body["value"], body["zscore"], body["mean"], body["std"]) == (
        31.0, spike["zscore"], spike["mean"], spike["std"])
    (incident,) = client.get("/incidents").json()
    assert body["incident_id"] == incident["id"]
    assert body["dashboard_url"].startswith("https://metrics.example.com/?metric=temp.kitchen")
    # Quiet for longer than resolve_after (60 s by default): the next point resolves it.
    assert client.post("/metrics", json={"metric": "temp.kitchen", "ts": start + 80, "value": 20.1}
                       ).status_code == 201
    second = hook.wait_for(2, 10)[1]  # by that point, or by the wall clock: the same resolve
    resolved = orjson.loads(second.body)
    assert resolved["status"] == "resolved"
    assert resolved["chronoview"]["event"] == "resolved"
    assert resolved["alerts"][0]["endsAt"] == client.get("/incidents").json()[0]["resolved_at"]
    rows = wait_deliveries(client, lambda rows: len(rows) == 2
                           and all(r["state"] == "delivered" for r in rows), 5)
    assert {r["incident_id"] for r in rows} == {incident["id"]}


def test_a_rules_channels_and_a_silence_apply_to_ingested_incidents(
    make_client: MakeClient, receiver: Any
) -> None:
    default_hook, rule_hook = receiver(always(200)), receiver(always(200))
    client = make_client()
    add_channel(client, "webhook", {"url": default_hook.url}, default=True)
    chosen = add_channel(client, "ntfy", {"url": rule_hook.url + "/topic"}, default=False)
    rule = client.post("/alert-rules", json={"match": "temp.*", "notify": [str(chosen["id"])]})
    assert rule.status_code == 201, rule.text
    assert client.post("/silences", json={"match": "cpu", "until": time.time() + 600,
                                          "comment": "load test"}).status_code == 201
    start = time.time() - 13  # the spike is now: the wall-clock resolver leaves it firing
    for metric in ("temp.oven", "orders", "cpu"):
        _baseline(client, metric, start)
    time.sleep(1.2)  # rules reach the pipeline within a second
    spikes = [{"metric": m, "ts": start + 12, "value": 500.0} for m in ("temp.oven", "orders", "cpu")]
    assert client.post("/metrics", json=spikes).status_code == 201
    rows = wait_deliveries(client, lambda rows: len(rows) == 3
                           and all(r["state"] in ("delivered", "silenced") for r in rows), 10)
    by_metric = {r["metric"]: r for r in rows}
    assert by_metric["temp.oven"]["channel_id"] == chosen["id"]
    assert by_metric["orders"]["state"] == "delivered"
    assert by_metric["cpu"]["state"] == "silenced"
    assert "load test" in by_metric["cpu"]["reason"]
    assert {i["metric"] for i in client.get("/incidents").json()} == {"temp.oven", "orders", "cpu"}
    assert rule_hook.wait_for(1, 5)[0].headers["title"].startswith("[FIRING] temp.oven")
    time.sleep(0.5)
    assert [orjson.loads(r.body)["chronoview"]["metric"] for r in default_hook.received] == ["orders"]


def test_a_firing_incident_is_reminded_every_repeat_interval(make_client: MakeClient, receiver: Any) -> None:
    hook = receiver(always(200))
    client = make_client()
    add_channel(client, "webhook", {"url": hook.url})
    rule = client.post("/alert-rules", json={"match": "orders", "repeat_interval_seconds": 60})
    assert rule.status_code == 201
    time.sleep(1.2)  # rules reach the pipeline within a second
    start = time.time() - 13
    _baseline(client, "orders", start)
    spike = client.post("/metrics", json={"metric": "orders", "ts": start + 12, "value": 500.0})
    assert spike.status_code == 201
    hook.wait_for(1, 10)
    services = client.app.state.services  # type: ignore[attr-defined]
    db = services.notifications.outbox.db

    async def told_ago(seconds: float) -> None:  # as if the last message went out that long ago
        async with db.connect(write=True) as conn:
            await conn.execute(notify_events.update().values(created_at=to_datetime(time.time() - seconds)))

    call = client.portal.call  # type: ignore[union-attr]
    call(told_ago, 30)
    assert call(remind, db, time.time()) == 0  # not yet
    call(told_ago, 61)
    assert call(remind, db, time.time()) == 1
    assert call(remind, db, time.time()) == 0  # just told
    services.notifications.dispatcher.wake()
    reminder = orjson.loads(hook.wait_for(2, 10)[1].body)
    assert reminder["chronoview"]["event"] == "reminder"
    assert reminder["status"] == "firing"
    assert reminder["chronoview"]["value"] == 500.0
    assert reminder["alerts"][0]["annotations"]["summary"].startswith("[STILL FIRING] orders")
