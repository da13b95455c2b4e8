"""Pydantic models of the HTTP contract (SPEC §5)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, StringConstraints, TypeAdapter

from chronoview.config import METRIC_NAME
from chronoview.validation import END_TS, MAX_ABS_VALUE, MIN_TS, TS_RANGE, timestamp_problem

# Every model field and route parameter that holds a metric name; config.is_metric_name agrees.
MetricName = Annotated[str, StringConstraints(pattern=METRIC_NAME.pattern)]

# RFC 3339 date-time (section 5.6; "T" may be a space, as its note allows), the offset optional:
# none means UTC. datetime.fromisoformat alone also takes ISO 8601 forms like 2025-W01-1.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?", re.ASCII
)


def parse_timestamp(value: Any) -> float:
    """RFC 3339 (no offset means UTC) or epoch seconds, to epoch seconds within SPEC §5's range."""
    if isinstance(value, bool):
        raise ValueError("timestamp must be an RFC 3339 string or epoch seconds, not a boolean")
    if isinstance(value, int | float):
        # As the schema declares: the number itself within the range, not only once rounded.
        if not MIN_TS <= value < END_TS:
            raise ValueError(f"timestamp out of range: epoch seconds must be ≥ {MIN_TS:.0f} and "
                             f"< {END_TS:.0f} ({TS_RANGE})")
        ts = float(value)
    elif isinstance(value, str):
        if not _RFC3339.fullmatch(value):
            raise ValueError(f"{value[:40]!r} is not an RFC 3339 timestamp")
        try:
            moment = datetime.fromisoformat(value.upper())
        except ValueError:
            raise ValueError(f"{value[:40]!r} is not an RFC 3339 timestamp") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        ts = moment.timestamp()
    else:
        raise ValueError("timestamp must be an RFC 3339 string or epoch seconds")
    problem = timestamp_problem(ts)
    if problem is not None:
        raise ValueError(problem)
    return ts


Timestamp = Annotated[
    float,
    BeforeValidator(parse_timestamp),
    Field(json_schema_extra={"anyOf": [
        {"type": "string", "format": "date-time"},
        {"type": "number", "minimum": MIN_TS, "exclusiveMaximum": END_TS},
    ]}),
]


class PointIn(BaseModel):
    """One point as posted: `ts` defaults to the server's now."""

    model_config = ConfigDict(allow_inf_nan=False, extra="forbid")

    metric: MetricName
    value: Annotated[float, Strict(), Field(ge=-MAX_ABS_VALUE, le=MAX_ABS_VALUE)]
    ts: Timestamp | None = None


def json_request_body(annotation: Any) -> dict[str, Any]:
    """`openapi_extra` declaring a JSON request body of this type, for a route that reads its body
    itself (a fast parser beside the model): the schema is the model's, its definitions inlined."""
    schema = TypeAdapter(annotation).json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            here = {key: inline(value) for key, value in node.items() if key != "$ref"}
            if ref.startswith("#/$defs/"):  # the field's own keys (its description) win over the type's
                return {**inline(definitions[ref.removeprefix("#/$defs/")]), **here}
            return here
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    return {"requestBody": {"required": True, "content": {"application/json": {"schema": inline(schema)}}}}


class PointData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: str
    value: float
    ts: str


# The definition of the wire message. `points.ScoredPoint.encode` writes it without building the
# model (once per point, on the hot path); tests/unit/test_wire.py proves both give the same JSON.
class ScoredPointOut(BaseModel):
    """The scored point (SPEC §6, §10): the WebSocket message and the answer to a single POST /metrics."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["metric"] = "metric"
    data: PointData
    alert: bool
    zscore: float | None
    mean: float | None
    std: float | None
    n: int
    state: Literal["normal", "pending", "firing"]
    seq: int  # SPEC §6: the point's place in its metric's stream (1, 2, 3, …), a `since=` cursor
    # Present only while the state is pending: the alerting points counted so far.
    pending: int | None = Field(default=None, ge=1, exclude_if=lambda value: value is None)


class BatchOut(BaseModel):
    accepted: int
    results: list[ScoredPointOut] | None = None
    alerts: int | None = None


class CatalogOut(BaseModel):
    metric: str
    last_value: float
    last_ts: str
    simulated: bool
    unit: str | None = None
    label: str | None = None
    decimals: int | None = None


class AlertOut(BaseModel):
    metric: str
    value: float
    ts: str
    zscore: float | None
    mean: float | None
    std: float | None
    n: int


class HealthOut(BaseModel):
    status: str
    version: str
    database: str
    redis: str
    # SPEC §12: "ok" | "down" | "disabled"; with MQTT_URL set, how many messages were rejected.
    mqtt: str = "disabled"
    mqtt_rejected: int | None = None


RuleMatch = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9*][A-Za-z0-9_.:*-]{0,99}$")]


class AlertRuleIn(BaseModel):
    """An alert rule as posted or put whole (SPEC §10); left-out fields take the defaults."""

    model_config = ConfigDict(allow_inf_nan=False, extra="forbid")

    match: RuleMatch
    sigma: Annotated[float, Strict(), Field(gt=0, le=1000)] | None = None
    window_seconds: Annotated[float, Strict(), Field(ge=10, le=86_400)] | None = None
    min_points: Annotated[int, Field(ge=2, le=10_000)] | None = None
    direction: Literal["both", "above", "below"] | None = None
    for_points: Annotated[int, Field(ge=1, le=100)] = 1
    resolve_after_seconds: Annotated[float, Strict(), Field(ge=1, le=86_400)] = 60.0
    repeat_interval_seconds: Annotated[float, Strict(), Field(ge=60, le=7 * 86_400)] | None = None
    enabled: Annotated[bool, Strict()] = True
    # Channel ids (SPEC §11): absent or null → the default channels; [] → none.
    notify: Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=100)]],
                      Field(max_length=50)] | None = None


class AlertRuleOut(BaseModel):
    id: int
    match: str
    sigma: float | None
    window_seconds: float | None
    min_points: int | None
    direction: str | None
    for_points: int
    resolve_after_seconds: float
    repeat_interval_seconds: float | None
    enabled: bool
    notify: list[str] | None


class EffectiveRuleOut(BaseModel):
    metric: str
    source: Literal["rule", "defaults"]
    rule: dict[str, Any]


class IncidentOut(BaseModel):
    id: str
    metric: str
    state: str
    started_at: str
    resolved_at: str | None
    last_alert_at: str
    peak_value: float
    peak_zscore: float | None
    alert_points: int
    rule: dict[str, Any]


class IncidentDetailOut(IncidentOut):
    alerts: list[AlertOut]
