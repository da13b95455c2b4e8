"""Notification tests: real receivers, apps through their lifespan, events as h15's incidents make them."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from chronoview.notify import IncidentEvent, enqueue
from chronoview.points import format_ts
from tests.apps import MakeClient, app_clients
from tests.notify.receivers import Receiver, Script

_ids = itertools.count(1)


def incident_event(metric: str, event: str = "opened", incident_id: str | None = None,
                   notify: list[int | str] | None = None, value: float = 130.0) -> IncidentEvent:
    """An incident change as the incident side hands it over (SPEC §10 incident object)."""
    now = time.time()
    incident: dict[str, Any] = {
        "id": incident_id or f"inc-{next(_ids)}", "metric": metric,
        "state": "resolved" if event == "resolved" else "firing",
        "started_at": format_ts(now - 30), "resolved_at": format_ts(now) if event == "resolved" else None,
        "last_alert_at": format_ts(now - 5), "peak_value": value, "peak_zscore": 6.5, "alert_points": 3,
        "rule": {"sigma": 2.5},
    }
    return IncidentEvent(event, incident, value=value, zscore=6.5, mean=100.0, std=4.6,  # type: ignore[arg-type]
                         ts=now, notify=notify)


def emit(client: TestClient, *events: IncidentEvent) -> None:
    """Write the events' outbox rows in one transaction, as the incident's storage write does."""
    services = client.app.state.services  # type: ignore[attr-defined]

    async def write() -> None:
        async with services.storage.connect(write=True) as conn:
            await enqueue(conn, events)
        services.notifications.dispatcher.wake()

    client.portal.call(write)  # type: ignore[union-attr]


def add_channel(client: TestClient, kind: str, config: dict[str, Any], name: str | None = None,
                default: bool = True) -> dict[str, Any]:
    response = client.post("/channels", json={"name": name or f"{kind}-{next(_ids)}", "kind": kind,
                                              "config": config, "default": default})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def deliveries(client: TestClient, **query: Any) -> list[dict[str, Any]]:
    response = client.get("/notifications", params=query)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


def wait_deliveries(client: TestClient, check: Any, timeout: float, **query: Any) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        rows = deliveries(client, **query)
        if check(rows):
            return rows
        time.sleep(0.1)
    raise AssertionError(f"delivery log never reached the expected state: {rows}")


ADMIN_TOKEN = "admin-token-for-tests"


@pytest.fixture
def make_client(sqlite_url: str, tmp_path: Path) -> Iterator[MakeClient]:
    """Apps with ADMIN_TOKEN set, and clients that send it (TestClient is not a loopback peer)."""
    with app_clients(sqlite_url, tmp_path) as make:

        def admin(**overrides: object) -> TestClient:
            client = make(**{"admin_token": ADMIN_TOKEN, **overrides})
            client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
            return client

        yield admin


@pytest.fixture
def receiver() -> Iterator[Any]:
    """`receiver(script)` starts a receiver; all are stopped after the test."""
    started: list[Receiver] = []

    def start(script: Script) -> Receiver:
        server = Receiver(script).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
