"""PostgreSQL stopped under a running server (SPEC §3): 503 JSON, nothing kept, recovery by itself.

A real `python -m chronoview serve` process on a PostgreSQL cluster of the test's own, which the test
stops with `pg_ctl stop -m fast` (every session is cut) and starts again on the same port.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest

from tests.faults.helpers import assert_clean_error, stored_points, wait_until
from tests.server import start_server
from tests.services import PostgresServer, RedisServer

T0 = 1_750_000_000.0  # fixed timestamps: the test controls every window exactly


def _post(http: httpx.Client, body: object) -> httpx.Response:
    return http.post("/metrics", json=body)


def _baseline(http: httpx.Client, metric: str, values: list[float]) -> None:
    response = _post(http, [{"metric": metric, "value": v, "ts": T0 + i} for i, v in enumerate(values)])
    assert response.status_code == 201, response.text


@pytest.mark.slow
@pytest.mark.parametrize("window", ["memory", "redis"])
def test_postgres_stopped_then_back(
    tmp_path: Path, own_postgres: PostgresServer, request: pytest.FixtureRequest, window: str
) -> None:
    redis_url = ""
    if window == "redis":
        redis_server: RedisServer = request.getfixturevalue("own_redis")
        redis_url = redis_server.url(0)
    db_url = own_postgres.url()
    server = start_server(tmp_path, DATABASE_URL=db_url, REDIS_URL=redis_url)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            _baseline(http, "temp", [10, 11] * 5)
            _baseline(http, "hum", [50, 52] * 5)
            snapshot = http.post("/snapshots", json={"state": {"selectedMetric": "temp"}})
            assert snapshot.status_code == 201, snapshot.text

            own_postgres.stop("fast")

            # A single point whose metric has a window, and a batch that mixes such a metric with
            # one the window has never seen (its rebuild needs the database): both refused whole.
            down = _post(http, {"metric": "hum", "value": 5000, "ts": T0 + 20})
            assert_clean_error(down, 503, "database")
            down = _post(http, [{"metric": "temp", "value": 1000, "ts": T0 + 20},
                                {"metric": "fresh", "value": 1, "ts": T0 + 20}])
            assert_clean_error(down, 503, "database")

            # Reads fail cleanly too.
            for path in ("/metrics", "/alerts", "/metrics/temp/series?hours=1",
                         f"/snapshots/{snapshot.json()['id']}",
                         f"/export/csv?metric=temp&from={T0 - 1}&to={T0 + 100}"):
                assert_clean_error(http.get(path), 503, "database")
            assert_clean_error(http.post("/snapshots", json={"state": {"a": 1}}), 503, "database")

            ready = http.get("/ready")
            assert ready.status_code == 503
            assert ready.json()["database"] == "down"
            assert ready.json()["redis"] == ("ok" if redis_url else "disabled")
            health = http.get("/health")
            assert (health.status_code, health.json()["database"]) == (200, "down")

            own_postgres.start()

            # Pre-ping replaces the pool's dead connections: no restart of the server.
            wait_until(lambda: http.get("/ready").status_code == 200, 60, "/ready after PostgreSQL")
            assert http.get("/metrics").status_code == 200

            # The refused points were neither stored nor kept in a window: baselines are exactly
            # what the database holds.
            for metric, value, expected_mean in (("temp", 10.5, 10.5), ("hum", 51.0, 51.0)):
                assert [v for _, v in stored_points(db_url, metric)] == (
                    [10.0, 11.0] * 5 if metric == "temp" else [50.0, 52.0] * 5)
                scored = _post(http, {"metric": metric, "value": value, "ts": T0 + 21})
                assert scored.status_code == 201, scored.text
                body = scored.json()
                assert body["n"] == 10, body
                assert body["mean"] == pytest.approx(expected_mean)
                assert body["alert"] is False
            assert stored_points(db_url, "fresh") == []
            assert {m["metric"] for m in http.get("/metrics").json()} == {"temp", "hum"}
            # A 503 meant "unreachable", nothing else: the same reads answer as usual again.
            assert http.get(f"/snapshots/{snapshot.json()['id']}").status_code == 200
            assert_clean_error(http.get(f"/snapshots/{uuid.uuid4()}"), 404, "snapshot")
            assert server.process.poll() is None
    finally:
        server.stop()


def test_nothing_is_published_for_a_refused_point(tmp_path: Path, own_postgres: PostgresServer) -> None:
    """The bus (what every socket is fed from) sees the stored point and never the refused ones,
    only the release of their seqs (catalog announcements, under the incident events' key, aside)."""
    from fastapi.testclient import TestClient

    from chronoview.alerting.incidents import STREAM_KEY
    from chronoview.bus.base import Message
    from chronoview.config import Settings
    from chronoview.main import create_app

    settings = Settings(database_url=own_postgres.url(), redis_url="", simulated_metrics=[],
                        _env_file=None)  # type: ignore[call-arg]
    published: list[Message] = []
    with TestClient(create_app(settings, dist=tmp_path / "no-dist"), base_url="http://localhost") as client:
        bus = client.app.state.services.bus  # type: ignore[attr-defined]
        publish = bus.publish

        async def recording(messages: Sequence[Message]) -> None:
            published.extend(message for message in messages if message.metric != STREAM_KEY)
            await publish(messages)

        bus.publish = recording  # the pipeline publishes through this very object
        assert client.post("/metrics", json={"metric": "pub", "value": 1.0, "ts": T0}).status_code == 201
        assert [m.metric for m in published] == ["pub"]
        own_postgres.stop("fast")
        assert_clean_error(client.post("/metrics", json={"metric": "pub", "value": 2.0, "ts": T0 + 1}),
                           503, "database")
        assert_clean_error(client.post("/metrics", json=[{"metric": "pub", "value": 3.0, "ts": T0 + 2},
                                                         {"metric": "new", "value": 3.0, "ts": T0 + 2}]),
                           503, "database")
        # Only the seq of the one that was scored goes out, released (no message), so no socket
        # waits for it; the next batch could not even be scored (its window's rebuild failed).
        assert [(m.metric, m.seq, m.released) for m in published] == [("pub", 1, False), ("pub", 2, True)]
        own_postgres.start()
        wait_until(lambda: client.get("/ready").status_code == 200, 60, "/ready after PostgreSQL")
        scored = client.post("/metrics", json={"metric": "pub", "value": 4.0, "ts": T0 + 3})
        assert scored.status_code == 201
        assert scored.json()["n"] == 1  # the refused points are in no baseline
        # seq 3: the counter never goes back, even to a number only released (the window is in
        # this process: its counter outlived the failed write).
        assert [(m.metric, m.seq, m.released) for m in published][2:] == [("pub", 3, False)]
        assert b'"value":4.0' in published[-1].data


def test_a_restarted_postgres_costs_at_most_one_refused_write(
    tmp_path: Path, own_postgres: PostgresServer
) -> None:
    """The pool is not pre-pinged: the first write on a dead connection must clear out the rest."""
    from fastapi.testclient import TestClient

    from chronoview.config import Settings
    from chronoview.main import create_app

    settings = Settings(database_url=own_postgres.url(), redis_url="", simulated_metrics=[],
                        _env_file=None)  # type: ignore[call-arg]
    with TestClient(create_app(settings, dist=tmp_path / "no-dist"), base_url="http://localhost") as client:
        storage = client.app.state.services.storage  # type: ignore[attr-defined]

        async def fill_pool() -> None:  # several idle connections, as a busy server has
            async def hold() -> None:
                async with storage.connect():
                    await asyncio.sleep(0.2)

            await asyncio.gather(*(hold() for _ in range(5)))

        # The metric's window is built now, so after the restart the write is the first thing to
        # touch the database, on the driver directly, where SQLAlchemy cannot see the failure.
        assert client.post("/metrics", json={"metric": "rs", "value": 0.0, "ts": T0 - 1}).status_code == 201
        client.portal.call(fill_pool)  # type: ignore[union-attr]
        assert storage.engine.pool.checkedin() >= 5
        own_postgres.stop("fast")
        own_postgres.start()
        codes = [client.post("/metrics", json={"metric": "rs", "value": float(i), "ts": T0 + i}).status_code
                 for i in range(6)]
        assert codes.count(503) <= 1, codes
        assert codes[-1] == 201, codes
