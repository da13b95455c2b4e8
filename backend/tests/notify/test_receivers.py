"""The two kinds with their own protocol against the real thing: Prometheus Alertmanager (the
Debian package, started here) and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.apps import MakeClient
from tests.notify.conftest import add_channel, emit, incident_event, wait_deliveries
from tests.services import free_port, unavailable, wait_for_port

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    if ALERTMANAGER is None:
        unavailable("prometheus-alertmanager is not installed (scripts/system-deps.sh installs it)")
    assert ALERTMANAGER is not None
    config = tmp_path / "alertmanager.yml"
    config.write_text("route:\n  receiver: sink\nreceivers:\n  - name: sink\n")
    port = free_port()
    process = subprocess.Popen(
        [ALERTMANAGER, f"--config.file={config}", f"--storage.path={tmp_path / 'am'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "am.log").open("wb"),
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)
        if process.poll() is None:
            process.kill()


def _alerts(base: str) -> list[dict[str, Any]]:
    alerts: list[dict[str, Any]] = httpx.get(f"{base}/api/v2/alerts", timeout=5).json()
    return alerts


def _until(check: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_alertmanager_shows_the_alert_while_firing_and_resolves_it(
    make_client: MakeClient, alertmanager: str
) -> None:
    client = make_client(public_url="https://metrics.example.com")
    add_channel(client, "alertmanager", {"url": alertmanager})
    opened = incident_event("temp.kitchen", incident_id="inc-am-1")
    emit(client, opened)
    (alert,) = _until(lambda: [a for a in _alerts(alertmanager)
                               if a["labels"].get("metric") == "temp.kitchen"], 15)
    assert alert["status"]["state"] == "active"
    assert alert["labels"]["incident"] == "inc-am-1"
    assert alert["labels"]["alertname"] == "ChronoViewAnomaly"
    assert alert["generatorURL"].startswith("https://metrics.example.com/?metric=temp.kitchen")
    assert "snapshot" in alert["annotations"]
    assert "z +6.50" in alert["annotations"]["description"]
    # While firing, the row is kept for re-posting: the alert's end stays ahead of now.
    rows = wait_deliveries(client, lambda rows: rows and rows[0]["state"] == "delivered", 5)
    assert rows[0]["event"] == "opened"
    resolved = incident_event("temp.kitchen", "resolved", incident_id="inc-am-1")
    emit(client, resolved)
    _until(lambda: not [a for a in _alerts(alertmanager) if a["labels"].get("metric") == "temp.kitchen"], 15)
    wait_deliveries(client, lambda rows: len(rows) == 2 and all(r["state"] == "delivered" for r in rows), 5)


def test_alertmanager_repost_keeps_the_alert_alive(make_client: MakeClient, alertmanager: str) -> None:
    """The re-post path: a delivered 'opened' row comes due again and is posted with a fresh endsAt."""
    client = make_client()
    add_channel(client, "alertmanager", {"url": alertmanager})
    emit(client, incident_event("cpu", incident_id="inc-am-2"))
    first = _until(lambda: [a for a in _alerts(alertmanager) if a["labels"].get("metric") == "cpu"], 15)[0]
    services = client.app.state.services  # type: ignore[attr-defined]

    async def make_due() -> None:
        from chronoview.storage.tables import deliveries
        async with services.storage.connect(write=True) as conn:
            await conn.execute(deliveries.update().values(repeat_at=deliveries.c.created_at))
        services.notifications.dispatcher.wake()

    time.sleep(1.1)
    client.portal.call(make_due)  # type: ignore[union-attr]
    later = _until(lambda: [a for a in _alerts(alertmanager) if a["labels"].get("metric") == "cpu"
                            and a["endsAt"] > first["endsAt"]], 10)[0]
    assert later["startsAt"] == first["startsAt"]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def test_email_arrives_well_formed(make_client: MakeClient) -> None:
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        client = make_client(public_url="https://metrics.example.com")
        add_channel(client, "email", {"host": "127.0.0.1", "port": port, "security": "none",
                                      "from": "chronoview@example.com",
                                      "to": ["ops@example.com", "oncall@example.com"]})
        emit(client, incident_event("orders", value=512.25))
        rows = wait_deliveries(client, lambda rows: rows and rows[0]["state"] == "delivered", 15)
        assert rows[0]["last_status"] == 250
    finally:
        controller.stop()
    ((sender, recipients, raw),) = inbox.messages
    assert sender == "chronoview@example.com"
    assert recipients == ["ops@example.com", "oncall@example.com"]
    mail = message_from_bytes(raw, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail["Subject"].startswith("[FIRING] orders")
    assert mail["To"] == "ops@example.com, oncall@example.com"
    assert mail["Message-ID"] == f"<{rows[0]['id']}@chronoview>"
    assert mail["Date"]
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None
    assert html is not None
    plain, rich = text.get_content(), html.get_content()
    for fact in ("orders", "512.25", "+6.50", "100 ± 4.6", "https://metrics.example.com/?metric=orders",
                 "https://metrics.example.com/snapshot/"):
        assert fact in plain, fact
        assert fact.replace("&", "&amp;") in rich, fact
