"""MQTT topic and payload → points (SPEC §12), pure functions so every rule is tested on its own.

Topic → metric: the whole topic, `/` → `.`, any other character outside the name alphabet → `_`.
Payload: a bare number (`21.5`); or a JSON object with `value` (and optionally `ts`); or any other
JSON object, whose numeric fields become `<topic>.<field>` points (`ts`, when present, is their
timestamp; string, boolean and nested fields are skipped, as line protocol skips them). A message
is all or nothing: if any of its points is invalid, none is taken and `BadPayload` says why.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from chronoview.config import is_metric_name
from chronoview.points import Point
from chronoview.schemas import parse_timestamp
from chronoview.validation import timestamp_problem, value_problem

_OUTSIDE_ALPHABET = re.compile(r"[^A-Za-z0-9_.:-]")


class BadPayload(ValueError):
    """The message cannot become points; the text says why (for the log)."""


def metric_name(topic: str) -> str:
    """The metric a topic maps to; BadPayload if the result is not a valid name."""
    name = _OUTSIDE_ALPHABET.sub("_", topic.replace("/", "."))
    if not is_metric_name(name):
        raise BadPayload(f"topic {topic[:120]!r} does not make a valid metric name ({name[:120]!r})")
    return name


def check_point(point: Point) -> Point:
    """SPEC §5's limits (validation.py), checked per message: the pipeline checks them again, but
    by then a bad point would refuse the whole batch of messages it joined."""
    problem = value_problem(point.value) or timestamp_problem(point.ts)
    if problem is not None:
        raise BadPayload(f"{point.metric}: {problem}")
    return point


def parse_message(topic: str, payload: bytes | bytearray, now: float) -> list[Point]:
    """The points one message carries, timestamped `now` unless it says otherwise."""
    name = metric_name(topic)
    try:
        body: Any = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise BadPayload(f"{name}: payload is neither a finite number nor JSON ({payload[:40]!r})") from None
    if _is_number(body):
        return [check_point(Point(name, now, float(body)))]
    if not isinstance(body, dict):
        raise BadPayload(f"{name}: payload must be a number or a JSON object, not {type(body).__name__}")
    ts = _timestamp(name, body.get("ts"), now)
    if "value" in body:
        value = body["value"]
        if not _is_number(value):
            raise BadPayload(f"{name}: 'value' must be a number, not {value!r:.40}")
        return [check_point(Point(name, ts, float(value)))]
    points = [
        check_point(Point(f"{name}.{_OUTSIDE_ALPHABET.sub('_', field)}", ts, float(value)))
        for field, value in body.items() if field != "ts" and _is_number(value)
    ]
    if not points:
        raise BadPayload(f"{name}: the JSON object has no numeric field")
    for point in points:
        if not is_metric_name(point.metric):
            raise BadPayload(f"{name}: field name makes an invalid metric name {point.metric[:120]!r}")
    return points


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _timestamp(name: str, value: object, now: float) -> float:
    if value is None:
        return now
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise BadPayload(f"{name}: bad 'ts': {exc}") from None
