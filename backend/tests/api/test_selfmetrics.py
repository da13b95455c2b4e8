"""GET /-/metrics (SPEC §13) and FORWARDED_ALLOW_IPS, through the real app."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from chronoview.config import Settings, SettingsError, load_settings
from chronoview.main import create_app
from chronoview.ratelimit import SNAPSHOTS_PER_MINUTE

SPEC_NAMES = (
    "chronoview_http_requests_total", "chronoview_http_request_duration_seconds",
    "chronoview_points_ingested_total", "chronoview_alerts_total", "chronoview_incidents_opened_total",
    "chronoview_websocket_connections", "chronoview_websocket_closed_total",
    "chronoview_window_rebuilds_total", "chronoview_notifications_total",
)
SNAPSHOT = {"state": {"selectedMetric": "traffic", "timeRangeHours": 1}}


@pytest.fixture
def local(sqlite_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """A client at 127.0.0.1 (a direct loopback client), no ADMIN_TOKEN."""
    with _client(sqlite_url, tmp_path, {}) as client:
        yield client


@contextlib.contextmanager
def _client(url: str, tmp_path: Path, settings: dict[str, object]) -> Iterator[TestClient]:
    """The app's lifespan ends with the block (left running, its tasks were torn down whenever
    the garbage collector got to it, raising in a thread of a later test)."""
    app = create_app(Settings(database_url=url, simulated_metrics=[], _env_file=None, **settings),  # type: ignore[arg-type]
                     dist=tmp_path / "no-dist")
    with TestClient(app, client=("127.0.0.1", 40000), base_url="http://localhost") as client:
        yield client


def _created_until_refused(client: TestClient, forwarded_for: list[str]) -> tuple[int, float]:
    """POST /snapshots with these X-Forwarded-For values in turn until the first 429: how many were
    created before it, and the seconds the posts took (the bucket refills meanwhile, 30 a minute)."""
    began = time.monotonic()
    for created, address in enumerate(forwarded_for):
        status = client.post("/snapshots", json=SNAPSHOT, headers={"X-Forwarded-For": address}).status_code
        if status == 429:
            return created, time.monotonic() - began
        assert status == 201, status
    raise AssertionError(f"{len(forwarded_for)} snapshots and no 429")


def _assert_one_bucket(created: int, seconds: float) -> None:
    """A full bucket, plus only what refilled while the posts ran (a loaded run may take seconds)."""
    assert SNAPSHOTS_PER_MINUTE <= created <= SNAPSHOTS_PER_MINUTE + seconds * SNAPSHOTS_PER_MINUTE / 60


def sample(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_metrics_in_the_prometheus_text_format(local: TestClient) -> None:
    before = local.get("/-/metrics").text
    for value in (1.0, 2.0, 3.0):
        assert local.post("/metrics", json={"metric": "selfm", "value": value}).status_code == 201
    answer = local.get("/-/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    for name in SPEC_NAMES:
        assert f"# TYPE {name} " in answer.text, name
    source = '{source="http"}'
    assert sample(answer.text, "chronoview_points_ingested_total", source) \
        - sample(before, "chronoview_points_ingested_total", source) == 3
    posted = '{method="POST",route="/metrics",status="201"}'
    assert sample(answer.text, "chronoview_http_requests_total", posted) \
        - sample(before, "chronoview_http_requests_total", posted) == 3
    assert "python_gc" not in answer.text  # per-worker noise
    assert "process_" not in answer.text


def test_metrics_are_guarded_like_management_endpoints(local: TestClient, sqlite_url: str,
                                                       tmp_path: Path) -> None:
    relayed = local.get("/-/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
    assert relayed.status_code == 403
    assert "ADMIN_TOKEN" in relayed.json()["detail"]
    with _client(sqlite_url, tmp_path, {"admin_token": "s3cret"}) as token:
        assert token.get("/-/metrics").status_code == 401
        assert token.get("/-/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_metrics_are_outside_the_api_rate_limits(local: TestClient) -> None:
    assert {local.get("/-/metrics").status_code for _ in range(40)} == {200}


def test_forwarded_for_is_ignored_from_untrusted_peers(local: TestClient) -> None:
    """The default trusts no proxy: rotating X-Forwarded-For from loopback buys no snapshots."""
    _assert_one_bucket(*_created_until_refused(local, [f"10.0.0.{i}" for i in range(200)]))


def test_a_trusted_proxy_names_the_client(sqlite_url: str, tmp_path: Path) -> None:
    with _client(sqlite_url, tmp_path, {"forwarded_allow_ips": ["127.0.0.1"]}) as client:
        _assert_one_bucket(*_created_until_refused(client, ["10.0.0.1"] * 200))
        other = client.post("/snapshots", json=SNAPSHOT, headers={"X-Forwarded-For": "10.0.0.2"})
        assert other.status_code == 201


def test_bad_forwarded_allow_ips_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "127.0.0.1,proxy.example")
    with pytest.raises(SettingsError, match=r"^FORWARDED_ALLOW_IPS: 'proxy.example' is not an IP"):
        load_settings(_env_file=None)
