"""Line-protocol writes while PostgreSQL or Redis is down: 503 in InfluxDB's shape, so Telegraf
retries, nothing stored, and the very same body accepted once the service is back (SPEC §3, §12).

A real `python -m chronoview serve` on a PostgreSQL cluster (and a Redis) of the test's own, which
the test stops and starts again on the same port.
"""

from __future__ import annotations

import gzip
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.faults.helpers import LEAKS, stored_points, wait_until
from tests.server import start_server
from tests.services import PostgresServer, RedisServer

T0 = 1_750_000_000
BODY = gzip.compress("\n".join(
    f"room,site=lab temp={20 + i % 3},hum={50 + i % 5}i {T0 + i}" for i in range(50)).encode())
HEADERS = {"Content-Encoding": "gzip", "Authorization": "Token tok"}


def _write(http: httpx.Client) -> httpx.Response:
    return http.post("/api/v2/write?org=o&bucket=b&precision=s", content=BODY, headers=HEADERS)


def _assert_unavailable(response: httpx.Response, what: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["retry-after"] == "1"
    body = response.json()
    assert body == {"code": "unavailable", "message": f"{what} unavailable, try again shortly"}
    for leak in LEAKS:
        assert leak not in response.text.lower()


@pytest.mark.slow
def test_postgres_stopped_then_the_same_body_is_accepted(
    tmp_path: Path, own_postgres: PostgresServer
) -> None:
    db_url = own_postgres.url()
    server = start_server(tmp_path, DATABASE_URL=db_url, INGEST_TOKEN="tok")
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert http.post("/api/v2/write?precision=s", content=f"warm v=1 {T0}",
                             headers=HEADERS | {"Content-Encoding": "identity"}).status_code == 204
            own_postgres.stop("fast")
            for _ in range(3):  # the first on a dead pooled connection, then on none at all
                _assert_unavailable(_write(http), "database")
            own_postgres.start()
            wait_until(lambda: http.get("/ready").status_code == 200, 60, "/ready after PostgreSQL")
            assert stored_points(db_url, "room.lab.temp") == []
            response = _write(http)
            assert response.status_code == 204, response.text
        assert [v for _, v in stored_points(db_url, "room.lab.temp")] == [20.0 + i % 3 for i in range(50)]
        assert [v for _, v in stored_points(db_url, "room.lab.hum")] == [50.0 + i % 5 for i in range(50)]
        assert server.process.poll() is None
    finally:
        server.stop()


@pytest.mark.slow
def test_redis_killed_then_the_same_body_is_accepted(
    tmp_path: Path, own_postgres: PostgresServer, own_redis: RedisServer
) -> None:
    db_url = own_postgres.url()
    server = start_server(tmp_path, DATABASE_URL=db_url, REDIS_URL=own_redis.url(0), INGEST_TOKEN="tok")
    bearer = {"Authorization": "Bearer tok"}
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            # Concurrent writes leave several connections to this Redis in the client's pool: after
            # the restart each of them is dead, and none may cost a request its answer.
            with ThreadPoolExecutor(8) as pool:
                warm = list(pool.map(lambda i: httpx.post(
                    f"{server.url}/metrics", json={"metric": f"warm{i}", "value": 1.0, "ts": T0},
                    headers=bearer, timeout=30).status_code, range(32)))
            assert warm == [201] * 32
            own_redis.kill()
            _assert_unavailable(_write(http), "redis")
            own_redis.start()
            wait_until(lambda: http.get("/ready").status_code == 200, 60, "/ready after Redis")
            assert stored_points(db_url, "room.lab.temp") == []
            response = _write(http)
            assert response.status_code == 204, response.text
            for i in range(8):  # and every JSON write after it
                point = {"metric": f"warm{i}", "value": 2.0, "ts": T0 + 1}
                posted = http.post("/metrics", json=point, headers=bearer)
                assert posted.status_code == 201, posted.text
                assert posted.json()["n"] == 1  # the window rebuilt from the stored warm point
        assert len(stored_points(db_url, "room.lab.temp")) == 50
    finally:
        server.stop()
