"""ALLOWED_HOSTS: requests naming another Host are refused before any route sees them.

A page on evil.example whose name is re-pointed at 127.0.0.1 (DNS rebinding) reaches the server
as a same-origin request, with `Host: evil.example`: the Host header is the one thing that tells.
Browsers always send it; a request without one (HTTP/1.0 probes) cannot come from such a page.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send


def requested_hosts(scope: Scope) -> list[str]:
    """The names of the Host headers (one, in any valid request), lower-cased, without their port
    (IPv6 without brackets)."""
    hosts: list[str] = []
    for name, value in scope["headers"]:
        if name == b"host":
            host = value.decode("latin-1").strip().lower()
            if host.startswith("["):
                host = host[1:host.find("]")] if "]" in host else host
            elif host.count(":") == 1:
                host = host.rsplit(":", 1)[0]
            hosts.append(host)
    return hosts


def host_allowed(host: str, allowed: Collection[str]) -> bool:
    if "*" in allowed or host in allowed:
        return True
    return any(pattern.startswith("*.") and host.endswith(pattern[1:]) for pattern in allowed)


def refused_host(scope: Scope, allowed: Collection[str]) -> str | None:
    """The first Host the request names that is not allowed (every one must be), or None."""
    for host in requested_hosts(scope):
        if not host_allowed(host, allowed):
            return host
    return None


async def refuse_host(scope: Scope, receive: Receive, send: Send, host: str) -> None:
    """400 for HTTP; a WebSocket is closed before its handshake completes (HTTP 403)."""
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 1008, "reason": "host not allowed"})
        return
    detail = f"Host {host[:100]!r} is not allowed; list it in ALLOWED_HOSTS"
    await JSONResponse({"detail": detail}, status_code=400)(scope, receive, send)
