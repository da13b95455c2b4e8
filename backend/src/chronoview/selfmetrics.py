"""Self-metrics in the Prometheus text format (SPEC §13), correct with N workers.

prometheus_client decides when it is imported where values live: in this process, or, when
`PROMETHEUS_MULTIPROC_DIR` is set (`chronoview serve --workers N` sets it to a directory made for that
start, before any worker exists), in memory-mapped files there that every worker writes and any
worker sums on a scrape. Only the metrics below are exposed (their own registry: no process or
runtime collectors, whose values would be per worker).
"""

from __future__ import annotations

import os
import time

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from starlette.types import Message, Receive, Scope, Send

from chronoview.middleware import HttpMiddleware

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# `*_created` series exist only in single-process mode: leave them out so every shape looks the same.
disable_created_metrics()  # type: ignore[no-untyped-call]
REGISTRY = CollectorRegistry(auto_describe=True)
HTTP_REQUESTS = Counter("chronoview_http_requests_total", "HTTP requests answered",
                        ["method", "route", "status"], registry=REGISTRY)
HTTP_DURATION = Histogram("chronoview_http_request_duration_seconds",
                          "Time from a request's arrival to the end of its answer", registry=REGISTRY)
POINTS_INGESTED = Counter("chronoview_points_ingested_total", "Points stored, by source",
                          ["source"], registry=REGISTRY)
ALERTS = Counter("chronoview_alerts_total", "Stored points scored as alerts", registry=REGISTRY)
INCIDENTS_OPENED = Counter("chronoview_incidents_opened_total", "Incidents opened", registry=REGISTRY)
WEBSOCKETS = Gauge("chronoview_websocket_connections", "Open live-stream WebSockets",
                   registry=REGISTRY, multiprocess_mode="livesum")
WEBSOCKETS_CLOSED = Counter("chronoview_websocket_closed_total", "Live-stream WebSockets closed, by code",
                            ["code"], registry=REGISTRY)
WINDOW_REBUILDS = Counter("chronoview_window_rebuilds_total",
                          "Alert windows rebuilt from the database", registry=REGISTRY)
NOTIFICATIONS = Counter("chronoview_notifications_total", "Notification delivery attempts",
                        ["kind", "result"], registry=REGISTRY)


def exposition() -> bytes:
    """Every metric in the text format: this process's, or the sum over every worker of this start."""
    if not MULTIPROCESS:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def process_exit() -> None:
    """A stopping worker's open sockets leave the live gauge (its counters stay in the sum)."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


class RequestMetrics(HttpMiddleware):
    """Counts every HTTP answer by method, route template (not path: bounded) and status."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            HTTP_DURATION.observe(time.perf_counter() - started)
