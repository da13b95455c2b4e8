"""MQTT_URL, MQTT_TOPICS, MQTT_CLIENT_ID: defaults, accepted forms and one clear line per bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from chronoview.config import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("MQTT_URL", "MQTT_TOPICS", "MQTT_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_leave_mqtt_off() -> None:
    s = load_settings()
    assert (s.mqtt_url, s.mqtt_topics, s.mqtt_client_id) == ("", ["chronoview/#"], "")


def test_accepted_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MQTT_URL", "mqtts://user:p%40ss@broker.example:8883")
    monkeypatch.setenv("MQTT_TOPICS", "sensors/+/temp, plant/#,$share/g/x")
    monkeypatch.setenv("MQTT_CLIENT_ID", "cv-1")
    s = load_settings()
    assert s.mqtt_url == "mqtts://user:p%40ss@broker.example:8883"
    assert s.mqtt_topics == ["sensors/+/temp", "plant/#", "$share/g/x"]
    assert s.mqtt_client_id == "cv-1"


@pytest.mark.parametrize(("name", "value"), [
    ("MQTT_URL", "http://broker:1883"),
    ("MQTT_URL", "broker:1883"),
    ("MQTT_URL", "mqtt://"),
    ("MQTT_URL", "mqtt://broker:99999"),
    ("MQTT_TOPICS", "a/#/b"),
    ("MQTT_TOPICS", "a/b+"),
    ("MQTT_TOPICS", "a#"),
    ("MQTT_TOPICS", " , "),
])
def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value).startswith(name + ":")
    assert "\n" not in str(info.value)


def test_bad_url_message_keeps_the_password_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MQTT_URL", "http://user:hunter2@broker")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "hunter2" not in str(info.value)
