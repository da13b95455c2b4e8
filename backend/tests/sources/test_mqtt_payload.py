"""SPEC §12 topic and payload mapping, and the SPEC §5 ranges every MQTT point must meet."""

from __future__ import annotations

import os
import uuid

import pytest

from chronoview.points import Point
from chronoview.sources.mqtt_link import SHARE_GROUP, claim_client_id, parse_url
from chronoview.sources.mqtt_payload import BadPayload, metric_name, parse_message

NOW = 1_790_000_000.25


@pytest.mark.parametrize(("topic", "metric"), [
    ("chronoview/greenhouse/temp", "chronoview.greenhouse.temp"),
    ("sensors/température", "sensors.temp_rature"),
    ("a b/c+d#e", "a_b.c_d_e"),
    ("plant:1/line-2/x_y", "plant:1.line-2.x_y"),
])
def test_topic_becomes_metric(topic: str, metric: str) -> None:
    assert metric_name(topic) == metric


@pytest.mark.parametrize("topic", ["/leading/slash", "$SYS/broker/load", "x" * 101, "_x"])
def test_topic_that_makes_no_valid_name_is_bad(topic: str) -> None:
    with pytest.raises(BadPayload, match="valid metric name"):
        metric_name(topic)


def test_bare_number_is_a_point_at_now() -> None:
    assert parse_message("t/a", b" 21.5\n", NOW) == [Point("t.a", NOW, 21.5)]
    assert parse_message("t/a", b"-3", NOW) == [Point("t.a", NOW, -3.0)]


def test_value_object_with_and_without_ts() -> None:
    assert parse_message("t/a", b'{"value": 7, "ts": "2026-01-02T03:04:05.5Z"}', NOW) == [
        Point("t.a", 1767323045.5, 7.0)]
    assert parse_message("t/a", b'{"value": 7, "ts": 1700000000}', NOW) == [Point("t.a", 1.7e9, 7.0)]
    assert parse_message("t/a", b'{"value": 7.5, "unit": "C"}', NOW) == [Point("t.a", NOW, 7.5)]


def test_object_of_numeric_fields_is_one_point_per_field() -> None:
    payload = b'{"temp": 20.5, "co2": 410, "label": "x", "ok": true, "ts": 1700000000}'
    points = parse_message("room/1", payload, NOW)
    assert points == [Point("room.1.temp", 1.7e9, 20.5), Point("room.1.co2", 1.7e9, 410.0)]
    assert parse_message("r", b'{"a b": 1}', NOW) == [Point("r.a_b", NOW, 1.0)]


@pytest.mark.parametrize(("payload", "why"), [
    (b"hello", "neither a finite number nor JSON"),
    (b"NaN", "neither a finite number nor JSON"),
    (b"Infinity", "neither a finite number nor JSON"),
    (b"1e999", "neither a finite number nor JSON"),
    (b"", "neither a finite number nor JSON"),
    (b"\xff\xfe", "neither a finite number nor JSON"),
    (b"true", "not bool"),
    (b'"21.5"', "not str"),
    (b"[1, 2]", "not list"),
    (b"1e200", "at most 1e"),
    (b'{"value": 1e151}', "at most 1e"),
    (b'{"value": true}', "'value' must be a number"),
    (b'{"value": "3"}', "'value' must be a number"),
    (b'{"value": 1, "ts": "yesterday"}', "bad 'ts'"),
    (b'{"value": 1, "ts": -1}', "bad 'ts'"),
    (b'{"value": 1, "ts": "0001-01-01T00:00:00Z"}', "1970-01-01"),
    (b'{"value": 1, "ts": "9999-12-31T23:59:59-01:00"}', "1970-01-01"),
    (b'{"label": "x"}', "no numeric field"),
    (b'{"a": 1, "b": 1e300}', "at most 1e"),
    (b'{"' + b"f" * 100 + b'": 1}', "invalid metric name"),
])
def test_bad_payloads_say_why(payload: bytes, why: str) -> None:
    with pytest.raises(BadPayload, match=why):
        parse_message("t/a", payload, NOW)


@pytest.mark.parametrize("ts", ['"1970-01-01T00:00:00Z"', '"9999-12-31T23:59:59.999Z"', "253402300799", "0"])
def test_range_ends_are_accepted(ts: str) -> None:
    assert parse_message("t", b'{"value": 1, "ts": %s}' % ts.encode(), NOW)[0].value == 1.0


def test_url_credentials_port_and_filters_by_shape() -> None:
    target = parse_url("mqtts://dev%40ice:p%3Ass@broker.example", ["chronoview/#", "$share/g/x/+"], True)
    assert (target.host, target.port, target.tls) == ("broker.example", 8883, True)
    assert (target.username, target.password) == ("dev@ice", "p:ss")
    assert target.filters == [SHARE_GROUP + "chronoview/#", "$share/g/x/+"]
    assert target.stale == ["chronoview/#"]
    single = parse_url("mqtt://localhost", ["a/#", "$share/g/b"], False)
    assert (single.port, single.username, single.filters) == (1883, None, ["a/#", "$share/g/b"])
    assert single.stale == [SHARE_GROUP + "a/#"]


def test_each_process_claims_its_own_client_id() -> None:
    """Workers of one start share MQTT_CLIENT_ID: each gets a number of its own, the lowest free."""
    base = f"cv-test-{uuid.uuid4().hex[:8]}"
    first, first_lock = claim_client_id(base)
    second, second_lock = claim_client_id(base)
    assert (first, second) == (base, f"{base}-1")
    os.close(first_lock)  # that process stopped: its id is free for the next one to start
    again, again_lock = claim_client_id(base)
    assert again == base
    os.close(second_lock)
    os.close(again_lock)
