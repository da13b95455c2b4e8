"""Redis killed and restarted (empty) while points stream into a real server (SPEC §3).

The server runs in the single-server shape: its own PostgreSQL cluster and its own redis-server,
which the test kills with SIGKILL and starts again on the same port, with nothing persisted.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import httpx
import pytest

from tests.faults.helpers import Feeder, keys, stored_points, wait_until
from tests.server import start_server
from tests.services import PostgresServer, RedisServer


@pytest.mark.slow
def test_redis_killed_and_restarted_while_points_stream_in(
    tmp_path: Path, own_postgres: PostgresServer, own_redis: RedisServer
) -> None:
    db_url = own_postgres.url()
    server = start_server(tmp_path, DATABASE_URL=db_url, REDIS_URL=own_redis.url(0))
    feeder = Feeder(server.url, "flow", base=float(int(time.time())) - 120)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert http.get("/ready").status_code == 200
            feeder.start()
            wait_until(lambda: len(feeder.acknowledged()) >= 30, 60, "30 points before the outage")

            own_redis.kill()
            down = wait_until(lambda: (r := http.get("/ready")).status_code == 503 and r, 30,
                              "/ready to report Redis down")
            assert down.json()["redis"] == "down"
            assert down.json()["database"] == "ok"
            health = http.get("/health")
            assert (health.status_code, health.json()["redis"]) == (200, "down")
            # Reads need only the database.
            assert http.get("/metrics").status_code == 200
            assert http.get("/alerts").status_code == 200
            assert http.get("/metrics/flow/series").status_code == 200
            failed_before = len(feeder.failed())
            wait_until(lambda: len(feeder.failed()) >= failed_before + 10, 60, "posts during the outage")

            acked_before_restart = len(feeder.acknowledged())  # nothing is acknowledged while down
            own_redis.start()  # same port, empty: every window is gone
            up = wait_until(lambda: (r := http.get("/ready")).status_code == 200 and r, 60,
                            "/ready after Redis returns")
            assert up.json()["redis"] == "ok"
            ready_at = time.monotonic()
            acked_at_restart = len(feeder.acknowledged())
            wait_until(lambda: len(feeder.acknowledged()) >= acked_at_restart + 30, 60,
                       "30 points after Redis returns")
            feeder.stop()

            stored = stored_points(db_url, "flow")
            stored_keys = set(stored)
            acknowledged = feeder.acknowledged()
            for outcome in acknowledged:  # every 2xx is durable
                assert keys(outcome.points) <= stored_keys, outcome
            refused = feeder.failed()
            assert refused, "the outage refused nothing"
            for outcome in refused:  # a refusal is a clean 503 naming Redis, and stores nothing
                assert outcome.status == 503, outcome
                assert isinstance(outcome.body, dict), outcome
                assert set(outcome.body) == {"detail"}, outcome
                assert "redis" in str(outcome.body["detail"]).lower(), outcome
                assert not keys(outcome.points) & stored_keys, outcome
            assert len(stored) == len(acknowledged)
            # Once /ready says Redis is back, every post is accepted: none is lost to a connection
            # the client had pooled to the killed server.
            after_ready = [o for o in feeder.outcomes if o.started > ready_at]
            assert after_ready
            assert [o for o in after_ready if o.status != 201] == []

            # The first point scored after the restart saw the baseline rebuilt from the database:
            # every point stored before it (all are inside the 300 s window).
            first_after = acknowledged[acked_before_restart]
            ts = float(first_after.points[0]["ts"])
            before = [v for t, v in stored if t < round(ts, 3)]
            assert isinstance(first_after.body, dict)
            assert first_after.body["n"] == len(before)
            assert first_after.body["mean"] == pytest.approx(statistics.fmean(before), rel=1e-9)

            # And a point now is scored against everything stored, with no process restart.
            last_ts = max(t for t, _ in stored)
            scored = http.post("/metrics", json={"metric": "flow", "value": 103.0, "ts": last_ts + 1})
            assert scored.status_code == 201, scored.text
            values = [v for _, v in stored]
            assert scored.json()["n"] == len(values)
            assert scored.json()["mean"] == pytest.approx(statistics.fmean(values), rel=1e-9)
            assert scored.json()["std"] == pytest.approx(statistics.stdev(values), rel=1e-9)
            assert server.process.poll() is None  # the same process throughout: no restart
    finally:
        feeder.stop()
        server.stop()

