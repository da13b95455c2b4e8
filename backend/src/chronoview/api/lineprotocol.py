"""InfluxDB line protocol writes (SPEC §12): POST /api/v2/write and POST /write (v1).

Answers are what Telegraf and the InfluxDB client libraries act on: 204 when every point is
stored; 400 for a bad body (dropped, not retried); 401; 413 (Telegraf splits the batch and
retries the halves); 503 when the database or Redis is down (retried). Errors come in InfluxDB's
shape, `{"code","message"}`; the v1 route adds v1's `"error"` key for v1 clients.
"""

from __future__ import annotations

import hmac
import time
import zlib
from functools import cache
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from starlette.exceptions import HTTPException

from chronoview.deps import services_of
from chronoview.ingest import WindowUnavailable
from chronoview.middleware import LINE_PROTOCOL_V1_PATH, LINE_PROTOCOL_V2_PATH, MAX_BODY_BYTES
from chronoview.sources.lineprotocol import (
    PRECISION_V1,
    PRECISION_V2,
    LineError,
    LineProtocol,
    TooManyPoints,
    selected_tags,
)
from chronoview.storage.base import StorageUnavailable
from chronoview.validation import InvalidPoint

router = APIRouter(tags=["line protocol"])

# One request is one transaction (all or nothing), so its size is bounded; Telegraf answers a 413
# by splitting the batch, so this costs it nothing. A 5 MiB body can hold ~800,000 tiny points.
MAX_POINTS = 100_000
_GZIP = 16 + zlib.MAX_WBITS

_ERROR = {"type": "object", "required": ["code", "message"],
          "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                         "error": {"type": "string"}}}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    204: {"description": "every point stored"},
    **{status: {"description": what, "content": {"application/json": {"schema": _ERROR}}}
       for status, what in ((400, "a bad line, named; nothing stored"), (401, "token missing or wrong"),
                            (413, "body over 5 MiB (decompressed) or too many points"),
                            (415, "unsupported Content-Encoding"),
                            (503, "database or Redis unavailable: retry"))},
}
# An empty body (or one of comments) holds no point: 204, nothing stored.
_BODY = {"requestBody": {"required": False, "content": {"text/plain": {"schema": {"type": "string"}}}}}


class WriteRefused(Exception):
    """A write answered with an InfluxDB-shaped error."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def influx_error(status: int, code: str, message: str, v1: bool = False) -> Response:
    body: dict[str, str] = {"code": code, "message": message}
    if v1:
        body["error"] = message
    headers = {"Retry-After": "1"} if status == 503 else None
    if status == 401:
        headers = {"WWW-Authenticate": 'Token realm="chronoview"'}
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


@cache
def _parser(tags: tuple[str, ...] | None) -> LineProtocol:
    """One parser (and its name cache) per LINE_PROTOCOL_TAGS value."""
    return LineProtocol(tags)


@router.post(LINE_PROTOCOL_V2_PATH, status_code=204, responses=_RESPONSES, openapi_extra=_BODY)
async def write_v2(
    request: Request,
    precision: Annotated[str, Query(description="ns | us | ms | s")] = "ns",
    org: str | None = None,
    bucket: str | None = None,
) -> Response:
    """Line protocol, InfluxDB 2 style (`org` and `bucket` are accepted and ignored)."""
    return await _write(request, precision, PRECISION_V2, v1=False)


@router.post(LINE_PROTOCOL_V1_PATH, status_code=204, responses=_RESPONSES, openapi_extra=_BODY)
async def write_v1(
    request: Request,
    precision: Annotated[str, Query(description="n | u | ms | s")] = "n",
    db: str | None = None,
) -> Response:
    """Line protocol, InfluxDB 1 style (`db` is accepted and ignored)."""
    return await _write(request, precision, PRECISION_V1, v1=True)


async def _write(request: Request, precision: str, units: dict[str, int], v1: bool) -> Response:
    services = services_of(request)
    try:
        _check_token(request, services.settings.ingest_token)
        per_second = units.get(precision)
        if per_second is None:
            raise WriteRefused(400, "invalid", f"precision must be one of {', '.join(units)}, "
                                               f"not {precision[:20]!r}")
        text = _text(await _body(request))
        try:
            points = _parser(selected_tags(services.settings.line_protocol_tags)).parse(
                text, per_second, time.time(), MAX_POINTS)
        except LineError as exc:
            raise WriteRefused(400, "invalid", str(exc)) from None
        except TooManyPoints as exc:
            raise WriteRefused(413, "request too large", f"{exc}; split the batch") from None
        if points:
            await services.pipeline.ingest(points, source="line_protocol")
    except WriteRefused as refused:
        return influx_error(refused.status, refused.code, refused.message, v1)
    except StorageUnavailable:
        return influx_error(503, "unavailable", "database unavailable, try again shortly", v1)
    except WindowUnavailable:
        return influx_error(503, "unavailable", "redis unavailable, try again shortly", v1)
    except InvalidPoint as exc:  # the pipeline's own check (SPEC §5), should the parser let one by
        return influx_error(400, "invalid", str(exc), v1)
    return Response(status_code=204)


def _check_token(request: Request, token: str) -> None:
    if not token:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() not in ("token", "bearer") or not hmac.compare_digest(
            given.strip().encode(), token.encode()):
        raise WriteRefused(401, "unauthorized", "missing or wrong token "
                                                "(Authorization: Token <INGEST_TOKEN>)")


async def _body(request: Request) -> bytes:
    """The body, gunzipped if it says so; 413 past MAX_BODY_BYTES either way."""
    try:
        raw = await request.body()  # the BodySizeLimit middleware bounds what is read
    except HTTPException as exc:
        if exc.status_code == 413:
            raise WriteRefused(413, "request too large", str(exc.detail)) from None
        raise
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding == "gzip":
        return gunzip(raw, MAX_BODY_BYTES)
    if encoding != "identity":
        raise WriteRefused(415, "unsupported media type",
                           f"Content-Encoding {encoding[:20]!r} is not supported (gzip or identity)")
    return raw


def gunzip(data: bytes, limit: int) -> bytes:
    """Decompress a gzip body (members one after another, as gzip allows) up to `limit` bytes.

    Inflates at most `limit + 1` bytes in all, so a gzip bomb costs `limit` of memory, not its size.
    """
    out = bytearray()
    try:
        while data:
            member = zlib.decompressobj(_GZIP)
            while True:
                out += member.decompress(data, limit + 1 - len(out))
                if len(out) > limit:
                    raise WriteRefused(413, "request too large",
                                       f"decompressed body over {limit} bytes")
                if member.eof:
                    data = member.unused_data
                    break
                data = member.unconsumed_tail
                if not data:
                    raise WriteRefused(400, "invalid", "gzip body is truncated")
    except zlib.error:
        raise WriteRefused(400, "invalid", "body is not valid gzip") from None
    return bytes(out)


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise WriteRefused(400, "invalid", f"line {line}: not valid UTF-8") from None
