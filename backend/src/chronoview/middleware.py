"""ASGI middleware: request-size limits and security headers; the JSON content-type check."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 5 * 1024 * 1024
# The line-protocol write routes (SPEC §12) answer in InfluxDB's error shape, which its clients parse.
LINE_PROTOCOL_V2_PATH = "/api/v2/write"
LINE_PROTOCOL_V1_PATH = "/write"

_CSP = (
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
# FastAPI's Swagger UI page starts itself with an inline script.
_DOCS_CSP = _CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
_ALWAYS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
           (b"x-frame-options", b"DENY"))


def require_json(request: Request) -> None:
    """415 unless the request says its body is JSON: for routes that read the body themselves."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise HTTPException(415, "Content-Type must be application/json")


class HttpMiddleware:
    """A pure ASGI middleware that handles HTTP requests in `http`; WebSockets and lifespan events
    pass straight through to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class BodySizeLimit(HttpMiddleware):
    """Refuse bodies over the limit with 413 before they are parsed (or even fully read)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        super().__init__(app)
        self.limit = limit

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.limit):
                message = f"request body over {self.limit} bytes"
                body: dict[str, str] = {"detail": message}
                if scope["path"] in (LINE_PROTOCOL_V2_PATH, LINE_PROTOCOL_V1_PATH):
                    body = {"code": "request too large", "message": message}
                    if scope["path"] == LINE_PROTOCOL_V1_PATH:
                        body["error"] = message
                response = JSONResponse(body, status_code=413)
                await response(scope, receive, send)
                return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise HTTPException(413, f"request body over {self.limit} bytes")
            return message

        await self.app(scope, limited, send)


async def read_body(request: Request, limit: int) -> bytes:
    """The body of a route with a smaller limit than MAX_BODY_BYTES: refused with 413 on its declared
    length before anything is read, else as soon as the bytes read pass the limit, so an oversized
    body never reaches the JSON parser (a 5 MiB snapshot once cost 0.7 s of event loop)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise HTTPException(413, f"request body over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"request body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class SecurityHeaders(HttpMiddleware):
    """Adds the security headers a response does not set itself (on every response: kept cheap)."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                added = [pair for pair in _ALWAYS if pair[0] not in present]
                if b"content-security-policy" not in present and any(
                    name == b"content-type" and value.startswith(b"text/html") for name, value in headers
                ):
                    docs = scope["path"].startswith("/docs")
                    added.append((b"content-security-policy", (_DOCS_CSP if docs else _CSP).encode()))
                if added:
                    message["headers"] = headers + added
            await send(message)

        await self.app(scope, receive, with_headers)
