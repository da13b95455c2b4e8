"""Who may call the management endpoints (SPEC §11): rules, channels, silences, metric deletion.

With `ADMIN_TOKEN` set they need `Authorization: Bearer <ADMIN_TOKEN>`. Without it they answer
only a loopback client that did not come through a proxy: a request that carries `Forwarded` or
`X-Forwarded-For` was relayed for someone else, whatever address it arrives from.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Annotated

from fastapi import Depends, HTTPException
from starlette.requests import HTTPConnection

from chronoview.deps import services_of

_PROXY_HEADERS = (b"forwarded", b"x-forwarded-for")


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _direct_client_address(connection: HTTPConnection) -> str | None:
    # uvicorn's proxy_headers may have put a forwarded address into scope["client"]: the socket's
    # own peer is what counts here, and a relayed request is never "local".
    if any(name in _PROXY_HEADERS for name, _ in connection.scope["headers"]):
        return None
    client = connection.scope.get("client")
    return client[0] if client else None


async def require_admin(connection: HTTPConnection) -> None:
    """Let the request through, or raise 401 (wrong token) / 403 (a token is needed)."""
    token = services_of(connection).settings.admin_token
    if token:
        scheme, _, given = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(401, "management endpoints need Authorization: Bearer <ADMIN_TOKEN>",
                                headers={"WWW-Authenticate": "Bearer"})
        return
    if not _is_loopback(_direct_client_address(connection)):
        raise HTTPException(
            403, "management endpoints answer only local clients until ADMIN_TOKEN is set; "
                 "set ADMIN_TOKEN and send Authorization: Bearer <ADMIN_TOKEN>",
        )


AdminDep = Annotated[None, Depends(require_admin)]


def check_token(connection: HTTPConnection, token: str) -> None:
    """401 unless the request carries `Authorization: Bearer <token>` (when a token is set): the
    INGEST_TOKEN guard of POST /metrics and of snapshots that freeze data."""
    if not token:
        return
    scheme, _, given = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})
