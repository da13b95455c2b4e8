"""Shareable dashboard snapshots: POST, GET and DELETE /snapshots (SPEC §5)."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, WithJsonSchema

from chronoview.api.auth import check_token
from chronoview.api.ranges import invalid
from chronoview.config import Settings
from chronoview.deps import SettingsDep, StorageDep, services_of
from chronoview.middleware import read_body, require_json
from chronoview.points import format_ts
from chronoview.schemas import MetricName, json_request_body
from chronoview.series import load_series
from chronoview.storage.base import SnapshotRecord, Storage
from chronoview.timerange import RangeError, TimeRange, parse_instant

router = APIRouter(tags=["snapshots"])

MAX_STATE_BYTES = 64 * 1024
# A state of 64 KiB as sent, with room for indentation and the other fields; read no further.
MAX_BODY_BYTES = 4 * MAX_STATE_BYTES
# What `include_data` may freeze: 8 metrics of 1,000 points and their alerts take about 550 KB.
MAX_FROZEN_BYTES = 1024 * 1024
MAX_STATE_DEPTH = 32
MAX_EXPIRES_IN = 10 * 366 * 86_400  # ten years; "never" is leaving expires_in out
MAX_FROZEN_METRICS = 8
MAX_FROZEN_HOURS = 24 * 36500  # the largest RETENTION_DAYS; a longer range is cut to the retention
Hours = Annotated[float, Field(gt=0, le=MAX_FROZEN_HOURS)]
Moment = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class SnapshotState(BaseModel):
    """The keys of a dashboard state that the server reads, each checked when present; any other
    key is kept as sent. At most 64 KiB of JSON, nesting ≤ 32 (checked beside the model)."""

    model_config = ConfigDict(extra="allow", strict=True)

    # The dashboard's own key names.
    selectedMetric: MetricName | None = None
    selectedMetrics: Annotated[list[MetricName], Field(max_length=MAX_FROZEN_METRICS)] | None = None
    timeRangeHours: Hours | None = None
    start: Moment | None = Field(None, alias="from", description=(
        "Start of the window shown (with `to`): what include_data freezes, instead of the last "
        "timeRangeHours."))
    end: Moment | None = Field(None, alias="to")
    layout: Any = None


def _required_when_freezing(schema: dict[str, Any]) -> None:
    """JSON Schema's `if`/`then` for what `_freeze` needs: a metric and a range."""
    schema["if"] = {"required": ["include_data"], "properties": {"include_data": {"const": True}}}
    schema["then"] = {"properties": {"state": {
        "required": ["selectedMetric", "timeRangeHours"],
        "properties": {"selectedMetric": TypeAdapter(MetricName).json_schema(),
                       "timeRangeHours": TypeAdapter(Hours).json_schema()},
    }}}


class SnapshotIn(BaseModel):
    """The body of POST /snapshots: the one definition of its OpenAPI schema and of its parsing."""

    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra=_required_when_freezing)

    state: SnapshotState = Field(description="Dashboard state, at most 64 KiB of JSON, nesting ≤ 32; "
                                 "unknown keys are kept.")
    include_data: bool = Field(False, description=(
        "Freeze the series and alerts of the state's metrics (selectedMetric / selectedMetrics) and "
        "range (timeRangeHours) into the snapshot (at most 1 MiB; needs the INGEST_TOKEN bearer "
        "token when one is set)."))
    expires_in: Annotated[float, Field(gt=0, le=MAX_EXPIRES_IN)] | None = Field(None, description=(
        "Seconds until the snapshot expires (default: never, or SNAPSHOT_TTL_DAYS with include_data)."))


class SnapshotCreated(BaseModel):
    id: uuid.UUID
    url: str
    created_at: str
    expires_at: str | None = None
    delete_key: str


class SnapshotOut(BaseModel):
    id: uuid.UUID
    state: dict[str, Any]
    created_at: str
    expires_at: str | None = None
    data: dict[str, Any] | None = None


def _key_hash(secret: str, snapshot_id: uuid.UUID, key: str) -> str:
    """Only this is stored: a leaked table does not give anyone the power to delete."""
    message = f"snapshot-delete:{snapshot_id}:{key}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _check_shape(state: dict[str, Any]) -> None:
    """Nesting of at most MAX_STATE_DEPTH, and no NUL in text (PostgreSQL's JSONB refuses it)."""
    stack: list[tuple[Any, int]] = [(state, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_STATE_DEPTH:
            raise invalid("state", f"state is nested deeper than {MAX_STATE_DEPTH} levels", "body")
        children = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in children:
            if (isinstance(key, str) and "\x00" in key) or (isinstance(child, str) and "\x00" in child):
                raise invalid("state", "state text must not contain NUL characters", "body")
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))


def _parse(body: bytes) -> tuple[dict[str, Any], SnapshotIn]:
    """The state as sent (unknown keys kept, numbers as written) and the body read by the model."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise HTTPException(422, f"body is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise HTTPException(422, 'body must be an object like {"state": {...}}')
    try:
        snapshot = SnapshotIn.model_validate(document)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise invalid(str(error["loc"][0])[:40], f"{where[:80]}: {error['msg']}", "body") from None
    state: dict[str, Any] = document["state"]
    _check_shape(state)
    if len(orjson.dumps(state)) > MAX_STATE_BYTES:
        raise HTTPException(413, f"state is over {MAX_STATE_BYTES} bytes of JSON")
    _window(snapshot.state)
    return state, snapshot


def _window(state: SnapshotState) -> tuple[float, float] | None:
    """The absolute window of `state.from`/`state.to` (both or neither), checked."""
    if state.start is None and state.end is None:
        return None
    try:
        if state.start is None or state.end is None:
            raise RangeError("state", "state.from and state.to go together, as RFC 3339 texts")
        window = parse_instant("state", state.start), parse_instant("state", state.end)
    except RangeError as exc:
        raise invalid("state", f"state.from/state.to: {exc}", "body") from None
    if window[0] >= window[1]:
        raise invalid("state", "state.from must be before state.to", "body")
    if window[1] - window[0] > MAX_FROZEN_HOURS * 3600.0:
        raise invalid("state", f"state.from to state.to spans more than {MAX_FROZEN_HOURS} hours", "body")
    return window


async def _freeze(storage: Storage, settings: Settings, state: SnapshotState, now: float) -> dict[str, Any]:
    """The series and alerts the sharer sees, as GET /metrics/{m}/series would answer: the
    absolute window `state.from`/`state.to` when given (so the snapshot's CSV export of that
    window has exactly these rows), else the last timeRangeHours up to now."""
    named = [state.selectedMetric] if state.selectedMetric is not None else []
    named += state.selectedMetrics or []
    metrics, hours = list(dict.fromkeys(named)), state.timeRangeHours
    window = _window(state)
    if window is not None and metrics:
        time_range = TimeRange(window[0], window[1], None)
    elif hours is not None and metrics:
        # Nothing older than the retention is stored, so a longer range freezes the same points.
        hours = min(hours, settings.retention_days * 24)
        time_range = TimeRange(now - hours * 3600.0, now, hours)
    else:
        raise invalid("state", "include_data needs state.selectedMetric and state.timeRangeHours "
                      "(or state.from and state.to)", "body")
    series = {metric: await load_series(storage, metric, time_range) for metric in metrics}
    return {"from": format_ts(time_range.start), "to": format_ts(time_range.end), "series": series}


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


@router.post(
    "/snapshots", status_code=201, response_model=SnapshotCreated,
    openapi_extra=json_request_body(SnapshotIn),
    responses={401: {}, 413: {}, 415: {}, 422: {}, 429: {}, 503: {}},
)
async def create_snapshot(request: Request, storage: StorageDep, settings: SettingsDep) -> Response:
    """Save a dashboard state; the answer carries the share URL and the key that deletes it."""
    # Every request spends a token, refused ones too: reading and judging a body is the cost the
    # limit bounds, not only the write. The client
    # is the real one behind a trusted proxy (FORWARDED_ALLOW_IPS), counted across processes.
    client = request.client.host if request.client else "unknown"
    wait = await services_of(request).snapshot_limiter.acquire(client)
    if wait > 0:
        raise HTTPException(429, "too many snapshots; try again later",
                            headers={"Retry-After": str(math.ceil(wait))})
    require_json(request)
    state, snapshot = _parse(await read_body(request, MAX_BODY_BYTES))
    expires_in = snapshot.expires_in
    now = time.time()
    data = None
    if snapshot.include_data:
        # Frozen data is what makes snapshots grow storage: with INGEST_TOKEN set, only clients that
        # may write points may freeze them; it expires after SNAPSHOT_TTL_DAYS unless told otherwise.
        check_token(request, settings.ingest_token)
        data = await _freeze(storage, settings, snapshot.state, now)
        if len(orjson.dumps(data)) > MAX_FROZEN_BYTES:
            raise HTTPException(413, f"the frozen data would be over {MAX_FROZEN_BYTES} bytes; "
                                "choose fewer metrics or save without include_data")
        if expires_in is None and settings.snapshot_ttl_days > 0:
            expires_in = settings.snapshot_ttl_days * 86_400.0
    snapshot_id = uuid.uuid4()
    delete_key = secrets.token_urlsafe(32)
    expires_at = None if expires_in is None else now + expires_in
    await storage.create_snapshot(SnapshotRecord(
        id=snapshot_id, state=state, data=data, created_at=now, expires_at=expires_at,
        delete_key_hash=_key_hash(settings.secret_key, snapshot_id, delete_key),
    ))
    body: dict[str, Any] = {"id": str(snapshot_id), "url": f"/snapshot/{snapshot_id}",
                            "created_at": format_ts(now)}
    if expires_at is not None:
        body["expires_at"] = format_ts(expires_at)
    body["delete_key"] = delete_key
    return _json(body, 201)


@router.get("/snapshots/{snapshot_id}", response_model=SnapshotOut,
            responses={404: {}, 422: {}, 503: {}})
async def read_snapshot(snapshot_id: uuid.UUID, storage: StorageDep) -> Response:
    """A saved state (and its frozen data, if it was saved with some); 404 unknown or expired."""
    record = await storage.get_snapshot(snapshot_id, time.time())
    if record is None:
        raise HTTPException(404, "no such snapshot (or it has expired)")
    body: dict[str, Any] = {"id": str(record.id), "state": record.state,
                            "created_at": format_ts(record.created_at)}
    if record.expires_at is not None:
        body["expires_at"] = format_ts(record.expires_at)
    if record.data is not None:
        body["data"] = record.data
    return _json(body)


@router.delete("/snapshots/{snapshot_id}", status_code=204,
               responses={403: {}, 404: {}, 422: {}, 503: {}})
async def delete_snapshot(
    snapshot_id: uuid.UUID,
    storage: StorageDep,
    settings: SettingsDep,
    delete_key: Annotated[str | None, Header(alias="X-Delete-Key")] = None,
) -> Response:
    """Remove a snapshot with the `delete_key` its creation answered."""
    record = await storage.get_snapshot(snapshot_id, time.time())
    if record is None:
        raise HTTPException(404, "no such snapshot (or it has expired)")
    expected = record.delete_key_hash
    given = _key_hash(settings.secret_key, snapshot_id, delete_key or "")
    if not delete_key or not hmac.compare_digest(given, expected):
        raise HTTPException(403, "missing or wrong X-Delete-Key")
    await storage.delete_snapshot(snapshot_id)
    return Response(status_code=204)
