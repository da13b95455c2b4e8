"""Security under misuse (SPEC §5, §7): the ingest token, CORS, error bodies, headers and binds."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from fastapi.testclient import TestClient

from chronoview.config import Settings
from chronoview.main import create_app
from tests.faults.helpers import assert_clean_error, wait_until
from tests.server import start_server
from tests.services import free_port

MakeApp = Callable[..., TestClient]
GOOD_ORIGIN = "http://dash.example:5173"
EVIL_ORIGIN = "http://evil.example"


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[MakeApp]:
    clients: list[TestClient] = []

    def make(dist: Path | None = None, **overrides: object) -> TestClient:
        values: dict[str, object] = {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'cv.db'}",
                                     "redis_url": "", "simulated_metrics": [], "_env_file": None}
        values.update(overrides)
        app = create_app(Settings(**values), dist=dist or tmp_path / "no-dist")  # type: ignore[arg-type]
        client = TestClient(app, raise_server_exceptions=False, base_url="http://localhost")
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _rows(db: Path, table: str) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - fixed names


# --- INGEST_TOKEN, through a real process ------------------------------------------------------

def test_ingest_token_guards_post_metrics(tmp_path: Path) -> None:
    server = start_server(tmp_path, INGEST_TOKEN="t0k3n-of-some-length")
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            point = {"metric": "cpu", "value": 1.0}
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "t0k3n-of-some-length"},
                            {"Authorization": "Basic t0k3n-of-some-length"},
                            {"Authorization": "Bearer t0k3n-of-some-length-and-more"},
                            {"Authorization": "Bearer t0k3n-of-some-lengt"}):
                response = http.post("/metrics", json=point, headers=headers)
                assert_clean_error(response, 401, "token")
                assert response.headers["www-authenticate"] == "Bearer"
            assert _rows(tmp_path / "cv.db", "points") == 0
            ok = http.post("/metrics", json=point, headers={"Authorization": "Bearer t0k3n-of-some-length"})
            assert ok.status_code == 201, ok.text
            assert _rows(tmp_path / "cv.db", "points") == 1
    finally:
        server.stop()


# --- CORS --------------------------------------------------------------------------------------

def _preflight(client: TestClient, origin: str) -> httpx.Response:
    return client.options("/metrics", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization"})


def test_cors_answers_only_listed_origins(make_app: MakeApp) -> None:
    client = make_app(cors_origins=[GOOD_ORIGIN])
    good = _preflight(client, GOOD_ORIGIN)
    assert good.status_code == 200
    assert good.headers["access-control-allow-origin"] == GOOD_ORIGIN
    assert "POST" in good.headers["access-control-allow-methods"]
    evil = _preflight(client, EVIL_ORIGIN)
    assert "access-control-allow-origin" not in evil.headers
    assert evil.status_code >= 400
    assert client.get("/metrics", headers={"Origin": GOOD_ORIGIN}).headers[
        "access-control-allow-origin"] == GOOD_ORIGIN
    simple = client.get("/metrics", headers={"Origin": EVIL_ORIGIN})
    assert "access-control-allow-origin" not in simple.headers
    # A look-alike is not the listed origin.
    for near in (GOOD_ORIGIN + ".evil.example", "https://dash.example:5173", "http://dash.example"):
        assert "access-control-allow-origin" not in _preflight(client, near).headers


def test_no_cors_origins_means_no_cross_origin_access(make_app: MakeApp) -> None:
    client = make_app()
    for origin in (GOOD_ORIGIN, EVIL_ORIGIN, "null"):
        assert "access-control-allow-origin" not in _preflight(client, origin).headers
        assert "access-control-allow-origin" not in client.get("/metrics", headers={"Origin": origin}).headers


# --- error bodies --------------------------------------------------------------------------------

def test_a_database_error_answers_503_without_sql(tmp_path: Path) -> None:
    """A real server whose tables vanish underneath it: the SQL error stays in the server."""
    server = start_server(tmp_path)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert http.post("/metrics", json={"metric": "cpu", "value": 1}).status_code == 201
            with contextlib.closing(sqlite3.connect(tmp_path / "cv.db")) as conn:
                conn.executescript("DROP TABLE points; DROP TABLE metrics; DROP TABLE alerts;")
            assert_clean_error(http.post("/metrics", json={"metric": "cpu", "value": 2}), 503, "database")
            assert_clean_error(http.get("/metrics"), 503, "database")
            assert_clean_error(http.get("/alerts"), 503, "database")
            assert_clean_error(http.get("/metrics/cpu/series"), 503, "database")
            assert http.get("/health").status_code == 200
    finally:
        server.stop()


def test_an_unexpected_error_is_a_json_500_without_internals(make_app: MakeApp) -> None:
    client = make_app()
    storage = client.app.state.services.storage  # type: ignore[attr-defined]

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("SELECT secret FROM users -- /srv/app/secret.py line 3")

    storage.catalog = broken
    response = client.get("/metrics")
    assert_clean_error(response, 500)
    assert "secret" not in response.text


# --- headers on pages ------------------------------------------------------------------------------

@pytest.mark.parametrize("built", [False, True], ids=["not-built", "built"])
def test_pages_carry_security_headers(make_app: MakeApp, tmp_path: Path, built: bool) -> None:
    dist = tmp_path / "dist"
    if built:
        dist.mkdir()
        (dist / "index.html").write_text("<!doctype html><title>ChronoView</title>")
    client = make_app(dist=dist)
    for path in ("/", "/snapshot/0b8f3c9e-6f1a-4c1e-9a55-3f2b1e7c9d10"):
        page = client.get(path)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        csp = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["x-frame-options"] == "DENY"
    api = client.get("/metrics")
    assert api.headers["x-content-type-options"] == "nosniff"
    error = client.get("/alerts", params={"hours": "x"})
    assert error.headers["x-content-type-options"] == "nosniff"


# --- binds and the secret key, through real process starts -----------------------------------------

def _env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.upper() not in (
        "APP_HOST", "APP_PORT", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CORS_ORIGINS", "INGEST_TOKEN")}
    env["SIMULATED_METRICS"] = ""
    env.update(settings)
    return env


def test_settings_default_to_loopback() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.app_host == "127.0.0.1"


def test_a_server_started_without_app_host_listens_on_loopback_only(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "server.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "chronoview", "serve"], cwd=tmp_path,
        env=_env(APP_PORT=str(port), DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cv.db'}"),
        stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: process.poll() is not None or httpx.get(
            f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200, 60, "the server to start")
        assert process.poll() is None, log.read_text()[-2000:]
        listening = {(c.laddr.ip, c.laddr.port) for c in psutil.Process(process.pid).net_connections("inet")
                     if c.status == psutil.CONN_LISTEN}
        assert listening == {("127.0.0.1", port)}
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
@pytest.mark.parametrize("secret", [None, "change_me"], ids=["unset", "placeholder"])
def test_placeholder_secret_refused_on_a_public_bind(tmp_path: Path, host: str, secret: str | None) -> None:
    settings = {"APP_HOST": host, "APP_PORT": str(free_port()),
                "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cv.db'}"}
    if secret is not None:
        settings["SECRET_KEY"] = secret
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "chronoview", "serve"], cwd=tmp_path,
                               env=_env(**settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail("the server started on a public bind with the placeholder SECRET_KEY")
    assert process.returncode == 2
    lines = [line for line in (out + err).decode().splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "SECRET_KEY" in lines[0]
    assert "Traceback" not in lines[0]
    assert time.monotonic() - started < 60


# --- snapshots: the per-client rate limit and hashed delete keys --------------------------------------

def test_snapshot_creation_is_rate_limited_per_client(make_app: MakeApp, tmp_path: Path) -> None:
    client = make_app()
    for _ in range(30):
        assert client.post("/snapshots", json={"state": {"selectedMetric": "cpu"}}).status_code == 201
    limited = client.post("/snapshots", json={"state": {"selectedMetric": "cpu"}})
    assert_clean_error(limited, 429, "too many")
    assert int(limited.headers["retry-after"]) >= 1
    assert _rows(tmp_path / "cv.db", "snapshots") == 30
    assert client.get("/metrics").status_code == 200  # only snapshot creation is limited


def test_snapshot_delete_keys_are_stored_hashed(make_app: MakeApp, tmp_path: Path) -> None:
    client = make_app(secret_key="a-real-secret")
    created = client.post("/snapshots", json={"state": {"selectedMetric": "cpu"}}).json()
    key = created["delete_key"]
    with contextlib.closing(sqlite3.connect(tmp_path / "cv.db")) as conn:
        [(stored,)] = conn.execute("SELECT delete_key_hash FROM snapshots").fetchall()
    assert key not in stored
    assert len(stored) == 64
    int(stored, 16)  # hex
    url = f"/snapshots/{created['id']}"
    assert_clean_error(client.delete(url), 403, "x-delete-key")
    assert_clean_error(client.delete(url, headers={"X-Delete-Key": stored}), 403, "x-delete-key")
    assert_clean_error(client.delete(url, headers={"X-Delete-Key": key[:-1]}), 403, "x-delete-key")
    assert client.get(url).status_code == 200
    assert client.delete(url, headers={"X-Delete-Key": key}).status_code == 204
    assert_clean_error(client.get(url), 404)
