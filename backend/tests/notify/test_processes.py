"""Guarantees across processes (SPEC §11): real `chronoview serve` processes, killed and restarted,
or two of them on one PostgreSQL; and no secret in any log."""

from __future__ import annotations

import asyncio
import collections
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from chronoview.notify import IncidentEvent, enqueue
from chronoview.storage import SqlStorage
from tests.notify.conftest import ADMIN_TOKEN, incident_event
from tests.notify.receivers import Receiver, always
from tests.server import start_server
from tests.services import free_port

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _emit(database_url: str, events: list[IncidentEvent]) -> None:
    """Outbox rows written by another writer of the same database, as an ingesting process would."""

    async def write() -> None:
        storage = SqlStorage(database_url)
        try:
            async with storage.connect(write=True) as conn:
                await enqueue(conn, events)
        finally:
            await storage.close()

    asyncio.run(write())


def _log(url: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = httpx.get(f"{url}/notifications", params={"limit": 1000}, headers=AUTH,
                                           timeout=10).json()
    return rows


def _wait(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _channel(url: str, config: dict[str, Any], kind: str = "webhook", name: str = "hook") -> dict[str, Any]:
    response = httpx.post(f"{url}/channels", headers=AUTH, timeout=10,
                          json={"name": name, "kind": kind, "config": config, "default": True})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _incidents(url: str, metrics: list[str]) -> None:
    """Open an incident on each metric through ingest: a quiet baseline, then a spike (now)."""
    start = time.time() - 13
    baseline = [{"metric": m, "ts": start + i, "value": 20.0 + (i % 3) * 0.1}
                for m in metrics for i in range(12)]
    spikes = [{"metric": m, "ts": start + 12, "value": 500.0} for m in metrics]
    for body in (baseline, spikes):
        assert httpx.post(f"{url}/metrics", json=body, timeout=30).status_code == 201


def test_sigkill_with_deliveries_pending_loses_none(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there yet: every attempt fails and is kept for later
    server = start_server(tmp_path, ADMIN_TOKEN=ADMIN_TOKEN)
    receiver = None
    try:
        _channel(server.url, {"url": f"http://127.0.0.1:{port}/hook"})
        _incidents(server.url, [f"m{i}" for i in range(20)])
        _wait(lambda: (rows := _log(server.url)) and len(rows) == 20
              and all(r["state"] == "pending" and r["attempts"] >= 1 for r in rows), 20, "first attempts")
        server.stop(signal.SIGKILL)
        receiver = Receiver(always(200), port).start()
        server = start_server(tmp_path, port=server.port, ADMIN_TOKEN=ADMIN_TOKEN)
        rows = _wait(lambda: (rows := _log(server.url)) and all(r["state"] == "delivered" for r in rows)
                     and rows, 30, "every delivery after the restart")
        got = collections.Counter(r.headers["x-chronoview-delivery"] for r in receiver.received)
        assert set(got) == {r["id"] for r in rows}
        assert len(got) == 20
        assert set(got.values()) == {1}
        assert {orjson.loads(r.body)["chronoview"]["metric"] for r in receiver.received} == {
            f"m{i}" for i in range(20)}
    finally:
        server.stop()
        if receiver is not None:
            receiver.stop()


def test_two_processes_on_postgres_send_each_delivery_once(
    tmp_path: Path, pg_url: str, redis_url: str,
) -> None:
    # Several processes are the scaled-out shape: PostgreSQL and Redis (without Redis a second one
    # refuses to start). The dispatchers' claims go through PostgreSQL alone.
    hook = Receiver(always(200)).start()
    servers = []
    try:
        for name in ("a", "b"):
            workdir = tmp_path / name
            workdir.mkdir()
            servers.append(start_server(workdir, DATABASE_URL=pg_url, REDIS_URL=redis_url,
                                        ADMIN_TOKEN=ADMIN_TOKEN))
        _channel(servers[0].url, {"url": hook.url})
        _channel(servers[1].url, {"url": hook.url + "/second"}, kind="slack", name="second")
        for batch in range(5):  # written while both dispatchers poll, so they compete for the rows
            _emit(pg_url, [incident_event(f"m{batch}.{i}") for i in range(60)])
            time.sleep(0.3)
        rows = _wait(lambda: (rows := _log(servers[1].url)) and len(rows) == 600
                     and all(r["state"] == "delivered" for r in rows) and rows, 60, "600 deliveries")
        time.sleep(1.5)
        got = collections.Counter(r.headers["x-chronoview-delivery"] for r in hook.received)
        assert len(got) == 600
        assert set(got) == {r["id"] for r in rows}
        assert max(got.values()) == 1, [k for k, v in got.items() if v > 1][:5]
        again = [r for r in rows if r["attempts"] != 1]
        warnings = [line for server in servers for line in server.log.read_text().splitlines()
                    if "WARNING" in line or "ERROR" in line]
        assert not again, ([(r["attempts"], r["state"]) for r in again[:5]], len(again), warnings[:10])
    finally:
        for server in servers:
            server.stop()
        hook.stop()


def test_two_processes_ingesting_on_postgres_and_redis_notify_each_incident_once(
    tmp_path: Path, pg_url: str, redis_url: str
) -> None:
    hook = Receiver(always(200)).start()
    servers = []
    try:
        for name in ("a", "b"):
            workdir = tmp_path / name
            workdir.mkdir()
            servers.append(start_server(workdir, DATABASE_URL=pg_url, REDIS_URL=redis_url,
                                        ADMIN_TOKEN=ADMIN_TOKEN))
        _channel(servers[0].url, {"url": hook.url})
        metrics = [f"svc{i}.latency" for i in range(40)]
        _incidents(servers[0].url, metrics[:20])  # each process opens some, both dispatch
        _incidents(servers[1].url, metrics[20:])
        rows = _wait(lambda: (rows := _log(servers[1].url)) and len(rows) == 40
                     and all(r["state"] == "delivered" for r in rows) and rows, 30, "40 deliveries")
        time.sleep(1.5)
        got = collections.Counter(r.headers["x-chronoview-delivery"] for r in hook.received)
        assert set(got) == {r["id"] for r in rows}
        assert max(got.values()) == 1
        assert sorted(orjson.loads(r.body)["chronoview"]["metric"] for r in hook.received) == sorted(metrics)
    finally:
        for server in servers:
            server.stop()
        hook.stop()


def test_no_secret_in_answers_database_or_logs(tmp_path: Path) -> None:
    secrets = {"path": "T0SECRETPATH/B0/xoxb-url-token", "signing": "sig-secret-9f8e7d",
               "header": "Bearer header-secret-1a2b", "token": "tk_ntfy_secret_42",
               "password": "smtp-pass-77zz"}
    hook = Receiver(always(410)).start()
    server = start_server(tmp_path, ADMIN_TOKEN=ADMIN_TOKEN)
    answers: list[str] = []
    try:
        made = [
            _channel(server.url, {"url": f"{hook.url}/{secrets['path']}", "secret": secrets["signing"],
                                  "headers": {"Authorization": secrets["header"]}}, name="hook"),
            _channel(server.url, {"url": f"{hook.url}/topic-{secrets['path']}", "token": secrets["token"]},
                     kind="ntfy", name="ntfy"),
            _channel(server.url, {"host": "127.0.0.1", "port": free_port(), "security": "none",
                                  "username": "u", "password": secrets["password"], "from": "a@example.com",
                                  "to": ["b@example.com"]}, kind="email", name="mail"),
        ]
        answers += [str(m) for m in made]
        for channel in made:
            answers.append(httpx.post(f"{server.url}/channels/{channel['id']}/test", headers=AUTH,
                                      timeout=20).text)
        _emit(f"sqlite+aiosqlite:///{tmp_path / 'cv.db'}", [incident_event("cpu")])
        _wait(lambda: (rows := _log(server.url)) and len(rows) == 3
              and all(r["attempts"] >= 1 for r in rows), 20, "deliveries attempted")
        answers += [httpx.get(f"{server.url}{path}", headers=AUTH, timeout=10).text
                    for path in ("/channels", "/notifications", "/openapi.json")]
    finally:
        server.stop()
        hook.stop()
    log = server.log.read_text()
    assert "notification" in log  # the 410 was logged, without the URL
    stored = (tmp_path / "cv.db").read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("cv.db-*"))
    for name, secret in secrets.items():
        for where, text in [("log", log), ("answers", "\n".join(answers)),
                            ("database", stored.decode("latin-1"))]:
            assert secret not in text, f"the {name} secret is in the {where}"
    assert len(hook.received) >= 3  # the secrets were used, so each had a chance to leak
