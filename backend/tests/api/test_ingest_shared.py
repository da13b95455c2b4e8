"""The ingest pipeline in the single-server / scaled-out shape: PostgreSQL + Redis, several apps."""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from fastapi.testclient import TestClient

from chronoview.points import Point
from chronoview.window.base import WindowParams
from tests.api.conftest import MakeClient
from tests.window.reference import ReferenceWindow

T0 = 1_750_000_000


def post(client: TestClient, points: list[dict[str, object]]) -> list[dict[str, object]]:
    response = client.post("/metrics", content=json.dumps(points),
                           headers={"content-type": "application/json"})
    assert response.status_code == 201, response.text
    results: list[dict[str, object]] = response.json()["results"]
    return results


@pytest.fixture
def shared(make_client: MakeClient, pg_url: str, redis_url: str) -> tuple[TestClient, TestClient]:
    return (make_client(database_url=pg_url, redis_url=redis_url),
            make_client(database_url=pg_url, redis_url=redis_url))


def test_two_apps_share_one_window_in_the_order_redis_applied(
    shared: tuple[TestClient, TestClient]
) -> None:
    rng = random.Random(7)
    batches = [
        [{"metric": "load", "value": round(rng.gauss(100, 5), 3) if rng.random() > 0.05 else 200.0,
          "ts": T0 + (b * 50 + i) * 0.1}  # 200 s in all: nothing leaves the 300 s window
         for i in range(50)]
        for b in range(40)
    ]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda ib: post(shared[ib[0] % 2], ib[1]), enumerate(batches)))
    # Every batch is scored atomically: the size of the baseline its first point saw tells where
    # Redis applied it, so the reference can replay the batches in that order.
    order = sorted(range(len(batches)), key=lambda i: answers[i][0]["n"])  # type: ignore[arg-type,return-value]
    params = WindowParams(seconds=300, sigma=2.5, min_points=5)
    reference = ReferenceWindow(params)
    reference.rebuild("load", [])
    for i in order:
        want = reference.score([Point("load", float(p["ts"]), float(p["value"])) for p in batches[i]])  # type: ignore[arg-type]
        for got, expected in zip(answers[i], want, strict=True):
            assert expected is not None
            assert got["n"] == expected.n
            assert got["alert"] == expected.alert
            if expected.zscore is None:
                assert got["zscore"] is None
            else:
                assert got["zscore"] == pytest.approx(expected.zscore, rel=1e-9)
    assert sum(1 for a in answers for p in a if p["alert"]) > 0


def test_window_rebuilt_after_redis_flush(shared: tuple[TestClient, TestClient], redis_url: str) -> None:
    a, b = shared
    post(a, [{"metric": "t", "value": v, "ts": T0 + i} for i, v in enumerate([5, 6, 5, 6, 5, 6])])
    redis.Redis.from_url(redis_url).flushdb()
    [scored] = post(b, [{"metric": "t", "value": 50, "ts": T0 + 7}])
    assert scored["n"] == 6
    assert scored["mean"] == pytest.approx(5.5)
    assert scored["alert"] is True

