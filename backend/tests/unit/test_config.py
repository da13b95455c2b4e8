"""Settings: defaults, the seed's names, and one clear line per bad value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chronoview.config import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("APP_HOST", "APP_PORT", "CORS_ORIGINS", "DATABASE_URL", "DATABASE_POOLER",
                 "REDIS_URL", "SECRET_KEY", "INGEST_TOKEN", "ALERT_WINDOW_SECONDS", "ALERT_SIGMA",
                 "ALERT_MIN_POINTS", "SIMULATED_METRICS", "SIMULATION_INTERVAL_SECONDS",
                 "RETENTION_DAYS", "SECRET_KEY_FALLBACKS", "ALLOWED_HOSTS", "PUBLIC_URL",
                 "SNAPSHOT_TTL_DAYS", "ALERT_WINDOW_MAX_POINTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_are_the_embedded_shape() -> None:
    s = load_settings()
    assert (s.app_host, s.app_port) == ("127.0.0.1", 8000)
    assert s.database_url == "sqlite+aiosqlite:///./data/chronoview.db"
    assert s.redis_url == ""
    assert (s.alert_window_seconds, s.alert_sigma, s.alert_min_points) == (300, 2.5, 5)
    assert s.simulated_metrics == ["traffic", "cpu", "orders"]
    assert s.simulation_interval_seconds == 1
    assert s.line_protocol_tags == ["*"]


def test_line_protocol_tags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINE_PROTOCOL_TAGS", " host, cpu ")
    assert load_settings().line_protocol_tags == ["host", "cpu"]
    monkeypatch.setenv("LINE_PROTOCOL_TAGS", "")
    assert load_settings().line_protocol_tags == []


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("APP_PORT=9001\nCORS_ORIGINS=http://localhost:5173, http://a.b\n")
    monkeypatch.setenv("SIMULATED_METRICS", "")
    monkeypatch.setenv("ALERT_SIGMA", "3")
    s = load_settings()
    assert s.app_port == 9001
    assert s.cors_origins == ["http://localhost:5173", "http://a.b"]
    assert s.simulated_metrics == []
    assert s.alert_sigma == 3.0


def test_seed_supabase_url_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+asyncpg://postgres:pw@db.xxx.supabase.co:5432/postgres?sslmode=require"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DATABASE_POOLER", "transaction")
    s = load_settings()
    assert s.database_url == url
    assert s.database_pooler == "transaction"


@pytest.mark.parametrize(("name", "value", "says"), [
    ("APP_PORT", "eighty", "APP_PORT"),
    ("APP_PORT", "70000", "APP_PORT"),
    ("ALERT_SIGMA", "-1", "ALERT_SIGMA"),
    ("ALERT_SIGMA", "nan", "ALERT_SIGMA"),
    ("ALERT_WINDOW_SECONDS", "0", "ALERT_WINDOW_SECONDS"),
    ("ALERT_MIN_POINTS", "1", "ALERT_MIN_POINTS"),
    ("SIMULATION_INTERVAL_SECONDS", "0", "SIMULATION_INTERVAL_SECONDS"),
    ("RETENTION_DAYS", "-3", "RETENTION_DAYS"),
    ("WS_QUEUE_MAX", "0", "WS_QUEUE_MAX"),
    ("MAX_CONNECTIONS_PER_CLIENT", "0", "MAX_CONNECTIONS_PER_CLIENT"),
    ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
    ("DATABASE_POOLER", "statement", "DATABASE_POOLER"),
    ("REDIS_URL", "localhost:6379", "REDIS_URL"),
    ("CORS_ORIGINS", "localhost:5173", "CORS_ORIGINS"),
    ("SIMULATED_METRICS", "cpu,bad name", "SIMULATED_METRICS"),
    ("LINE_PROTOCOL_TAGS", "*,host", "LINE_PROTOCOL_TAGS"),
])
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(says + ":")
    assert "\n" not in message


def test_secret_key_placeholder_refused_on_public_bind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_HOST", "0.0.0.0")
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings()
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    assert load_settings().app_host == "0.0.0.0"


def test_bad_setting_stops_startup_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chronoview"], cwd=tmp_path, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "APP_PORT": "eighty"}, timeout=60, check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "APP_PORT" in lines[0]


def test_notification_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", "old-one, older-one")
    monkeypatch.setenv("PUBLIC_URL", "https://metrics.example.com/cv/")
    s = load_settings()
    assert s.secret_key_fallbacks == ["old-one", "older-one"]
    assert s.public_base_url == "https://metrics.example.com/cv"
    monkeypatch.delenv("PUBLIC_URL")
    assert load_settings(app_port=8123).public_base_url == "http://127.0.0.1:8123"
    monkeypatch.setenv("PUBLIC_URL", "metrics.example.com")
    with pytest.raises(SettingsError, match=r"^PUBLIC_URL: must be empty or an http"):
        load_settings()


def test_allowed_hosts_default_to_loopback_the_bound_address_and_public_url() -> None:
    default = load_settings(app_host="10.0.0.5", secret_key="x" * 32,
                            public_url="https://Metrics.Example.com:8443/")
    assert default.host_allow_list == {"localhost", "127.0.0.1", "::1", "10.0.0.5", "metrics.example.com"}
    assert default.public_url == "https://Metrics.Example.com:8443"
    listed = load_settings(allowed_hosts="Dash.example, *.example.org")
    assert listed.host_allow_list == {"dash.example", "*.example.org"}


@pytest.mark.parametrize(("overrides", "named"), [
    ({"allowed_hosts": "http://x.example"}, "ALLOWED_HOSTS"),
    ({"public_url": "metrics.example.com"}, "PUBLIC_URL"),
    ({"snapshot_ttl_days": "-1"}, "SNAPSHOT_TTL_DAYS"),
    ({"alert_window_max_points": "1"}, "ALERT_WINDOW_MAX_POINTS"),
    ({"alert_window_max_points": "4", "alert_min_points": "5"}, "ALERT_WINDOW_MAX_POINTS"),
    ({"app_host": "0.0.0.0", "secret_key": ""}, "SECRET_KEY"),
])
def test_new_settings_refuse_bad_values_in_one_line(overrides: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(**overrides)
    assert named in str(caught.value)
    assert "\n" not in str(caught.value)
