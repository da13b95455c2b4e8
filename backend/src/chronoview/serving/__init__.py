"""The uvicorn seam: every uvicorn detail ChronoView relies on lives in this package.

- `serve()` is what `chronoview serve` and `python -m chronoview` run: uvicorn with the options
  below, one process or N workers (N > 1 only with Redis: each process would otherwise keep its
  own windows, fan-out and simulator).
- `websocket_protocol()`: `protocol.StreamProtocol`, which subclasses uvicorn's private sans-I/O
  WebSocket protocol for the hub's fast write path, with `TESTED_UVICORN`; with any other uvicorn,
  uvicorn's own sans-I/O protocol, and the stream takes its portable path (`AsgiSink`), so an
  upgrade degrades speed, never behaviour. tests/serving/test_seam.py fails when the pinned version
  moves. `chronoview serve` uses it, and `uvicorn --factory chronoview.main:create_app --ws
  chronoview.serving.ws:Protocol` (`ws.py`) names it.
- `trust_proxies()` applies uvicorn's proxy-header middleware inside the app, with the app's own
  `FORWARDED_ALLOW_IPS`, so the real client is the same whoever started the server.
- `configure_logging()`: ChronoView's log lines, also when `uvicorn --factory
  chronoview.main:create_app` (which configures only uvicorn's loggers) started the app.

What the app does for itself under any server: the drain and close on SIGTERM (drain.py), 1001 to
open sockets, pings are uvicorn's defaults (20 s / 20 s) either way. What only `serve()` sets:
`timeout_graceful_shutdown`, `timeout_keep_alive` (above the proxy's upstream keepalive), no
per-message deflate, no access log, the read timeouts and per-client connection cap (`http.py`);
README says which uvicorn flags give the same. And the notification dispatcher in a child process
of each server process (NOTIFY_DISPATCHER=process, notify/process.py; under `uvicorn --factory`
it stays in the serving loop unless that variable says otherwise).
"""

from __future__ import annotations

import logging
import logging.config
import os
import shutil
import sys
import tempfile
from importlib.metadata import version
from typing import TYPE_CHECKING, Any, cast

from starlette.types import ASGIApp

from chronoview.config import Settings

if TYPE_CHECKING:
    import asyncio

TESTED_UVICORN = "0.54.0"
PING_SECONDS = 20.0
# Above the upstream keepalive_timeout of deploy/nginx.conf (60 s): the proxy, not the server,
# closes an idle kept-alive connection, so it never sends a request into one being closed.
KEEP_ALIVE_SECONDS = 75
GRACEFUL_SHUTDOWN_SECONDS = 10
APP_FACTORY = "chronoview.main:create_app"
METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

log = logging.getLogger("chronoview")


def _log_config(loggers: tuple[str, ...]) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": LOG_FORMAT}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                                "stream": "ext://sys.stderr"}},
        "loggers": {name: {"handlers": ["stderr"], "level": "INFO", "propagate": False}
                    for name in loggers},
    }


LOG_CONFIG = _log_config(("uvicorn", "chronoview"))


def configure_logging() -> None:
    """Give ChronoView's loggers a handler unless something (a test, an operator) configured logging."""
    if not logging.getLogger("chronoview").handlers and not logging.getLogger().handlers:
        logging.config.dictConfig(_log_config(("chronoview",)))


def trust_proxies(app: ASGIApp, forwarded_allow_ips: list[str]) -> ASGIApp:
    """Take the client address (and scheme) from X-Forwarded-For/-Proto sent by these proxies only."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    from chronoview.serving.http import GuardedHttpProtocol

    # The proxies' connections carry many clients: not capped per address (in a worker process too,
    # which builds its app here but was handed the protocol class without its settings).
    GuardedHttpProtocol.exempt = frozenset(forwarded_allow_ips)
    if not forwarded_allow_ips:  # nothing to trust: no layer (it held a frame per open socket)
        return app
    # uvicorn types ASGI apps with its own (stricter) aliases: the same protocol.
    middleware = ProxyHeadersMiddleware(app, trusted_hosts=forwarded_allow_ips)  # type: ignore[arg-type]
    return cast("ASGIApp", middleware)


def cap_connections(max_per_client: int) -> None:
    """MAX_CONNECTIONS_PER_CLIENT for this process's protocol class: a worker process builds its app
    here but was handed the class without its settings (see guarded_protocol)."""
    from chronoview.serving.http import GuardedHttpProtocol

    GuardedHttpProtocol.max_per_client = max_per_client


def stop_accepting(signal_handler: object) -> bool:
    """Close the listening sockets of the uvicorn server whose signal handler this is (connections
    already accepted stay open); False when it is not one (another server started the app).

    uvicorn's own shutdown closes the listener and, in the same step, every connection without a
    request in progress, so a connection accepted a moment earlier is reset before its request is
    read: behind a proxy that is a failed POST, which the proxy may not retry.
    """
    from uvicorn.server import Server

    server = getattr(signal_handler, "__self__", None)
    if not isinstance(server, Server):
        return False
    for listener in server.servers:
        listener.close()
    return True


def websocket_protocol(installed: str | None = None) -> type[asyncio.Protocol]:
    """Our protocol on the uvicorn it was written against, uvicorn's own (sans-I/O) otherwise.

    `installed`: the uvicorn version to decide for (default: the one installed).
    """
    installed = version("uvicorn") if installed is None else installed
    if installed != TESTED_UVICORN:
        log.warning("uvicorn %s is not the tested %s: WebSockets take the portable path",
                    installed, TESTED_UVICORN)
        from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

        return WebSocketsSansIOProtocol
    from chronoview.serving.protocol import StreamProtocol

    return StreamProtocol


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    from chronoview.serving.http import guarded_protocol

    return {
        "host": settings.app_host,
        "port": settings.app_port,
        "log_config": LOG_CONFIG,
        "access_log": False,
        # The app applies FORWARDED_ALLOW_IPS itself (trust_proxies), with its own safe default.
        "proxy_headers": False,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        "ws": websocket_protocol(),
        "ws_ping_interval": PING_SECONDS,
        "ws_ping_timeout": PING_SECONDS,
        # Compressing each frame once per socket cost half the fan-out CPU and ~34 KiB per socket.
        "ws_per_message_deflate": False,
        # A WebSocket message from a client is read and ignored: no reason to accept 16 MiB ones.
        "ws_max_size": 64 * 1024,
        # Read timeouts and the per-client connection cap (serving/http.py); a trusted proxy carries
        # many clients, so its connections are not capped.
        "http": guarded_protocol(settings.max_connections_per_client, settings.forwarded_allow_ips),
    }


def refusal(settings: Settings, workers: int) -> str | None:
    """Why this start would split state, or None."""
    if workers > 1 and not settings.redis_url:
        return (f"--workers {workers} needs REDIS_URL: without Redis each process would keep its own "
                "alert windows, WebSocket fan-out and simulator")
    return None


def serve(settings: Settings, workers: int = 1) -> int:
    """Run the server in the foreground until SIGTERM/SIGINT; returns the exit code."""
    reason = refusal(settings, workers)
    if reason is not None:
        print(f"chronoview: {reason}", file=sys.stderr)
        return 2
    import uvicorn

    if settings.notify_dispatcher == "auto":  # each server process sends from a child of its own
        settings = settings.model_copy(update={"notify_dispatcher": "process"})
    if workers == 1:
        from chronoview.main import create_app
        from chronoview.solo import SoleProcessTaken

        try:
            app = create_app(settings)
        except SoleProcessTaken as exc:
            print(f"chronoview: {exc}", file=sys.stderr)
            return 2
        uvicorn.run(app, **uvicorn_options(settings))
        return 0
    # Workers are spawned and read their settings from the environment: the command line's host and
    # port go there too. Their self-metrics meet in a directory that exists for this start only.
    os.environ["APP_HOST"], os.environ["APP_PORT"] = settings.app_host, str(settings.app_port)
    os.environ["NOTIFY_DISPATCHER"] = settings.notify_dispatcher
    metrics_dir = tempfile.mkdtemp(prefix="chronoview-metrics-")
    os.environ[METRICS_DIR_VARIABLE] = metrics_dir
    try:
        uvicorn.run(APP_FACTORY, factory=True, workers=workers, **uvicorn_options(settings))
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0
