"""The application: `create_app()` and a lifespan that builds storage, window and bus.

Nothing connects at import time; every engine and client is created in the lifespan and closed
after it, so tests can build as many apps as they like, each with its own settings.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketClose

from chronoview import selfmetrics, serving
from chronoview.alerting.resolver import Resolver
from chronoview.alerting.rules import RuleBook
from chronoview.api import (
    alerting,
    channels,
    export,
    health,
    history,
    lineprotocol,
    metric_admin,
    metrics,
    notifications,
    silences,
    snapshots,
    stream,
)
from chronoview.api import selfmetrics as selfmetrics_api
from chronoview.api.web import mount_web
from chronoview.bus import create_bus
from chronoview.bus.hub import Hub
from chronoview.config import Settings, get_settings
from chronoview.drain import CloseWhileDraining, Drain, drain_on_exit
from chronoview.hostguard import refuse_host, refused_host
from chronoview.ingest import WRITES_IN_FLIGHT, Pipeline, WindowUnavailable
from chronoview.middleware import BodySizeLimit, SecurityHeaders
from chronoview.notify.service import Notifications
from chronoview.ratelimit import create_limiter
from chronoview.retention import RetentionTask
from chronoview.services import Services
from chronoview.simulator import Simulator
from chronoview.solo import SoleProcessTaken, claim_sole_process
from chronoview.storage import SqlStorage, StorageUnavailable, create_storage
from chronoview.validation import KnownNames
from chronoview.window import WindowParams, create_window

if TYPE_CHECKING:
    from chronoview.sources.mqtt import MqttSubscriber

log = logging.getLogger("chronoview")

DEFAULT_DIST = Path(__file__).resolve().parents[3] / "frontend" / "dist"
_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _start_mqtt(settings: Settings, pipeline: Pipeline) -> MqttSubscriber | None:
    if not settings.mqtt_url:
        return None
    from chronoview.sources.mqtt import MqttSubscriber
    from chronoview.sources.mqtt_link import default_client_id

    subscriber = MqttSubscriber(pipeline, settings.mqtt_url, settings.mqtt_topics,
                                settings.mqtt_client_id or default_client_id(),
                                shared=bool(settings.redis_url))
    subscriber.start()
    return subscriber


# The youngest generation is collected after this many new container objects, not CPython's 700:
# a 10,000-point batch's points, scores and messages live until its answer, so at 700 they were
# walked again and again and promoted, ~1 µs of a batched point's ~10 µs (profiles in BENCHMARKS.md);
# a young collection of 20,000 objects takes ~0.5 ms.
YOUNG_COLLECTION_THRESHOLD = 20_000


def settle_collector() -> None:
    """The garbage collector's policy for a started server process.

    What start-up built (modules, the app, its routes and schemas) lives as long as the process:
    frozen, out of the collector's sight, a full collection no longer walks it mid-request.
    """
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, older, oldest)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    storage = create_storage(settings.database_url, settings.database_pooler)
    redis_client = None
    try:
        await storage.migrate()
        if settings.redis_url:
            from redis.asyncio import Redis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff
            from redis.exceptions import ConnectionError as RedisConnectionError

            # A client made by from_url has no retries: after Redis restarts, each pooled
            # connection to the old server would fail one request. One retry on a fresh
            # connection, for a dead connection only: not after a timeout, which may have run the
            # command (a connection cut mid-reply might have too; then Redis is gone or restarted).
            redis_client = Redis.from_url(
                settings.redis_url, socket_connect_timeout=5, socket_timeout=10,
                health_check_interval=15,
                retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
            )
        params = WindowParams(
            settings.alert_window_seconds, settings.alert_sigma, settings.alert_min_points,
            settings.alert_window_max_points,
        )
        window = create_window(redis_client, params)
        bus = create_bus(redis_client)
        hub = Hub(storage, max_queue=settings.ws_queue_max)
        rules = RuleBook(storage, params)
        await rules.start()
        # SQLite has one writer at a time: overlapping its commits would only add lock waits.
        overlap = 1 if settings.database_url.startswith("sqlite") else WRITES_IN_FLIGHT
        pipeline = Pipeline(storage, window, bus, rules, overlap)
        assert isinstance(storage, SqlStorage)  # the outbox needs its connections and transactions
        notifier = Notifications.create(storage, storage, settings)
        services = Services(settings, storage, window, bus, pipeline, redis_client, hub,
                            app.state.drain, create_limiter(redis_client), rules, notifier,
                            KnownNames())
        app.state.services = services
        await notifier.start()
        pipeline.on_incidents = notifier.wake
        await bus.start(hub)
        pipeline.start()
        resolver = Resolver(pipeline, storage, redis_client)
        resolver.start()
        simulator = Simulator(pipeline, storage, settings.simulated_metrics,
                              settings.simulation_interval_seconds, redis_client)
        simulator.start()
        retention = RetentionTask(storage, settings.retention_days)
        retention.start()
        services.mqtt = _start_mqtt(settings, pipeline)
        # uvicorn closes connections itself on SIGTERM (WebSockets get 1012): drain.py goes first.
        undo_signals = drain_on_exit(app.state.drain, hub, settings.shutdown_drain_seconds)
        settle_collector()
        try:
            yield
        finally:
            undo_signals()
            if services.mqtt is not None:  # first: its batch in hand is stored and acked
                await services.mqtt.stop()
            await simulator.stop()
            await hub.close()
            await retention.stop()
            await resolver.stop()
            await pipeline.close()
            await notifier.stop()
            await rules.stop()
            await bus.close()
            await window.close()
            selfmetrics.process_exit()
    finally:
        if redis_client is not None:
            await redis_client.aclose()
        await storage.close()


WebSocketEndpoint = Callable[[WebSocket], Awaitable[None]]


class WebSocketRoutes:
    """The app's WebSocket routes (the live stream is the only one), by exact path.

    Plain endpoints: FastAPI's dependency injection would keep exit stacks and solved-dependency
    state alive for as long as a socket is open, ~4.5 KiB each.
    """

    def __init__(self, routes: dict[str, WebSocketEndpoint]) -> None:
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.routes.get(scope["path"])
        if endpoint is None:
            await WebSocketClose()(scope, receive, send)  # as a router does: 403 on the handshake
            return
        await endpoint(WebSocket(scope, receive, send))


class ChronoViewApp(FastAPI):
    """FastAPI, with the Host check (ALLOWED_HOSTS) first, and a short way of its own for WebSockets.

    HTTP requests take the middleware stack and FastAPI's router. A WebSocket takes `websockets`
    (set by create_app): the proxy headers, then `WebSocketRoutes`. None of the HTTP middleware acts
    on a WebSocket, yet each layer's frame would stay alive as long as the socket does: about 8 KiB
    of an idle socket's 25.
    """

    allowed_hosts: frozenset[str] = frozenset()
    websockets: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            host = refused_host(scope, self.allowed_hosts)
            if host is not None:
                await refuse_host(scope, receive, send, host)
                return
        if scope["type"] == "websocket":
            scope["app"] = self  # what Starlette sets for a route: the endpoints find services there
            await self.websockets(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, dist: Path | None = None) -> FastAPI:
    """The app; `uvicorn --factory chronoview.main:create_app` calls it with no arguments."""
    serving.configure_logging()
    if settings is None:
        settings = get_settings()
        try:
            claim_sole_process(settings)
        except SoleProcessTaken as exc:
            log.error("%s", exc)
            # uvicorn's "startup failed" code: its worker supervisor stops rather than restarting.
            raise SystemExit(3) from None
    else:
        claim_sole_process(settings)  # `chronoview serve` reports a refusal itself (exit code 2)
    app = ChronoViewApp(
        title="ChronoView",
        version=version("chronoview"),
        description="Live metrics with smart alerts, snapshots and CSV export.",
        lifespan=_lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.drain = Drain()
    app.allowed_hosts = settings.host_allow_list
    app.include_router(health.router)
    app.include_router(selfmetrics_api.router)
    app.include_router(metrics.router)
    app.include_router(lineprotocol.router)
    app.include_router(metric_admin.router)
    app.include_router(history.router)
    app.include_router(export.router)
    app.include_router(snapshots.router)
    app.include_router(alerting.router)
    app.include_router(channels.router)
    app.include_router(silences.router)
    app.include_router(notifications.router)
    mount_web(app, dist or DEFAULT_DIST)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
            allow_headers=["Content-Type", "Authorization", "Prefer", "X-Delete-Key"],
        )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodySizeLimit)
    app.add_middleware(CloseWhileDraining, drain=app.state.drain)
    app.add_middleware(selfmetrics.RequestMetrics)
    app.add_middleware(serving.trust_proxies, forwarded_allow_ips=settings.forwarded_allow_ips)
    serving.cap_connections(settings.max_connections_per_client)
    app.websockets = serving.trust_proxies(WebSocketRoutes({stream.STREAM_PATH: stream.stream}),
                                           settings.forwarded_allow_ips)
    _install_error_handlers(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StorageUnavailable)
    async def _storage_down(_request: Request, _exc: StorageUnavailable) -> JSONResponse:
        return JSONResponse({"detail": "database unavailable, try again shortly"}, status_code=503)

    @app.exception_handler(WindowUnavailable)
    async def _window_down(_request: Request, _exc: WindowUnavailable) -> JSONResponse:
        return JSONResponse({"detail": "redis unavailable, try again shortly"}, status_code=503)

    @app.exception_handler(ClientDisconnect)
    async def _client_left(_request: Request, _exc: ClientDisconnect) -> Response:
        # The client left mid-body: nobody reads the answer, and it is no server error to log.
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, _exc: Exception) -> JSONResponse:
        # SPEC §5: errors are JSON, never a stack trace. The server still logs the exception.
        return JSONResponse({"detail": "internal server error"}, status_code=500)

    @app.exception_handler(405)
    async def _method_not_allowed(request: Request, _exc: Exception) -> JSONResponse:
        # Starlette's Allow header names only the first route matching the path; list them all.
        # Ask every route (FastAPI keeps an included router as one route) about each method.
        allowed = [
            method for method in _METHODS
            if any(route.matches({**request.scope, "method": method})[0] == Match.FULL
                   for route in app.routes)
        ]
        return JSONResponse({"detail": "Method Not Allowed"}, status_code=405,
                            headers={"Allow": ", ".join(allowed)})

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)
