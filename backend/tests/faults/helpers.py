"""Helpers for the fault tests: read what the database really holds, feed points, wait for states."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import asyncpg
import httpx

T = TypeVar("T")

# Words that would mean an error body leaks internals: a traceback, SQL or a driver's name.
LEAKS = ("traceback", "file \"", "sqlalchemy", "asyncpg", "aiosqlite", "psycopg", "select ",
         "insert into", "sqlstate", "redis.exceptions", "connectionrefused", "errno")


def stored_points(database_url: str, metric: str) -> list[tuple[float, float]]:
    """(epoch ts rounded to the millisecond, value) of every stored point of a metric, by ts."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1]
        with contextlib.closing(sqlite3.connect(path)) as conn:
            rows = conn.execute(
                "SELECT ts, value FROM points WHERE metric = ? ORDER BY ts, id", (metric,)
            ).fetchall()
        from datetime import UTC, datetime

        return [(round(datetime.fromisoformat(ts).replace(tzinfo=UTC).timestamp(), 3), value)
                for ts, value in rows]

    async def fetch() -> list[tuple[float, float]]:
        conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"),
                                     timeout=10)
        try:
            rows = await conn.fetch(
                "SELECT extract(epoch FROM ts)::float8 AS ts, value FROM points "
                "WHERE metric = $1 ORDER BY ts, id", metric)
        finally:
            await conn.close()
        return [(round(r["ts"], 3), r["value"]) for r in rows]

    return asyncio.run(fetch())


def wait_until(check: Callable[[], T | None], timeout: float, what: str, every: float = 0.2) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            last = check()
            if last:
                return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def assert_clean_error(response: httpx.Response, status: int, *named: str) -> dict[str, object]:
    """A JSON `{"detail": ...}` error with this status, naming `named`, leaking no internals."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body, dict)
    assert set(body) == {"detail"}, body
    text = response.text.lower()
    for leak in LEAKS:
        assert leak not in text, f"error body leaks {leak!r}: {response.text[:500]}"
    for name in named:
        assert name.lower() in text, f"error does not name {name!r}: {response.text[:500]}"
    return body


@dataclass
class Outcome:
    """One POST /metrics: what was sent and how it ended (status, or the transport error)."""

    points: list[dict[str, float | str]]
    status: int | None
    body: object = None
    error: str | None = None
    started: float = 0.0  # time.monotonic() around the request
    ended: float = 0.0


@dataclass
class Feeder:
    """A thread posting points of one metric in order (ts = base + i / 100) until stopped."""

    url: str
    metric: str
    base: float
    batch: int = 1
    pause: float = 0.02
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _next: int = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"feeder-{self.metric}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(60)
            assert not self._thread.is_alive(), "feeder did not stop"

    def acknowledged(self) -> list[Outcome]:
        return [o for o in list(self.outcomes) if o.status is not None and 200 <= o.status < 300]

    def failed(self) -> list[Outcome]:
        return [o for o in list(self.outcomes) if o.status is None or o.status >= 300]

    def _points(self) -> list[dict[str, float | str]]:
        points: list[dict[str, float | str]] = []
        for _ in range(self.batch):
            i = self._next
            self._next += 1
            points.append({"metric": self.metric, "ts": round(self.base + i / 100, 3),
                           "value": float(100 + i % 7)})
        return points

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while not self._stop.is_set():
                points = self._points()
                body = points if self.batch > 1 else points[0]
                started = time.monotonic()
                try:
                    response = http.post("/metrics", json=body)
                except httpx.HTTPError as exc:
                    self.outcomes.append(Outcome(points, None, error=repr(exc), started=started,
                                                 ended=time.monotonic()))
                else:
                    content = response.json() if response.headers.get(
                        "content-type", "").startswith("application/json") else response.text
                    self.outcomes.append(Outcome(points, response.status_code, content, started=started,
                                                 ended=time.monotonic()))
                time.sleep(self.pause)


def keys(points: list[dict[str, float | str]]) -> set[tuple[float, float]]:
    return {(round(float(p["ts"]), 3), float(p["value"])) for p in points}
