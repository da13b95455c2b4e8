"""The uvicorn settings every ChronoView server runs with, in one place (`python -m chronoview
serve` passes them to uvicorn.run)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from chronoview.config import Settings
from chronoview.httpprotocol import guarded_protocol
from chronoview.wsprotocol import StreamProtocol


def uvicorn_options(settings: Settings, uncapped: Collection[str] = ()) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run` / `uvicorn.Config`, besides the app.

    `uncapped`: client addresses exempt from the per-client connection cap (trusted proxies).
    """
    return {
        "host": settings.app_host,
        "port": settings.app_port,
        "log_level": "info",
        "access_log": False,
        "timeout_graceful_shutdown": 10,
        # Read timeouts and the per-client connection cap (chronoview.httpprotocol).
        "http": guarded_protocol(exempt=uncapped),
        "timeout_keep_alive": 5,
        "ws": StreamProtocol,
        "ws_ping_interval": 20,
        "ws_ping_timeout": 20,
        # Compressing each frame once per socket cost half the fan-out CPU and ~34 KiB per socket.
        "ws_per_message_deflate": False,
        # A WebSocket message from a client is read and ignored: no reason to accept 16 MiB ones.
        "ws_max_size": 64 * 1024,
    }
