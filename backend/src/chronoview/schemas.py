"""Pydantic models of the HTTP contract (SPEC §5)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, StringConstraints

from chronoview.config import METRIC_NAME

MetricName = Annotated[str, StringConstraints(pattern=METRIC_NAME.pattern)]

# 1970 to 9999: anything outside is a typo (milliseconds sent as seconds, say), not a time.
_MAX_EPOCH = 253_402_300_799.0


def parse_timestamp(value: Any) -> float:
    """RFC 3339 (no offset means UTC) or epoch seconds, to epoch seconds."""
    if isinstance(value, bool):
        raise ValueError("timestamp must be an RFC 3339 string or epoch seconds, not a boolean")
    if isinstance(value, int | float):
        if not math.isfinite(value) or not 0 <= value <= _MAX_EPOCH:
            raise ValueError("epoch seconds must be a finite number between 0 and 253402300799")
        return float(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value[:40]!r} is not an RFC 3339 timestamp") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    raise ValueError("timestamp must be an RFC 3339 string or epoch seconds")


Timestamp = Annotated[
    float,
    BeforeValidator(parse_timestamp),
    Field(json_schema_extra={"anyOf": [
        {"type": "string", "format": "date-time"},
        {"type": "number", "minimum": 0, "maximum": _MAX_EPOCH},
    ]}),
]


class PointIn(BaseModel):
    """One point as posted: `ts` defaults to the server's now."""

    model_config = ConfigDict(allow_inf_nan=False, extra="forbid")

    metric: MetricName
    value: Annotated[float, Strict()]
    ts: Timestamp | None = None


class PointData(BaseModel):
    metric: str
    value: float
    ts: str


class ScoredPointOut(BaseModel):
    """The scored point: the WebSocket message and the answer to a single POST /metrics."""

    type: str = "metric"
    data: PointData
    alert: bool
    zscore: float | None
    mean: float | None
    std: float | None
    n: int


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
