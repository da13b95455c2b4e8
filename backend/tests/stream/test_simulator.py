"""The simulator on its own: plausible series, leases in Redis, and a loop that outlives failures."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import pytest
from redis.asyncio import Redis

from chronoview.lease import RedisLease
from chronoview.points import Point
from chronoview.simulator import DEFAULT_PROFILE, PROFILES, Series, Simulator
from chronoview.window.base import WindowParams
from chronoview.window.memory import MemoryWindow
from tests.stream.harness import eventually


class FakePipeline:
    """Records what the simulator ingests; `behaviour(n)` runs for the n-th call (1-based)."""

    def __init__(self, behaviour: Callable[[int], Awaitable[None]] | None = None) -> None:
        self.points: list[Point] = []
        self.active = 0
        self.most_active = 0
        self._behaviour = behaviour

    async def ingest(self, points: Sequence[Point], simulated: bool = False, source: str = "http") -> None:
        assert simulated
        assert source == "simulator"
        self.points += points
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        try:
            if self._behaviour is not None:
                await self._behaviour(len(self.points))
        finally:
            self.active -= 1


class NoCatalog:
    async def catalog(self) -> list[object]:
        return []


def simulator(pipeline: FakePipeline, metrics: list[str], interval: float, redis: Redis | None = None,
              ttl: float = 3.0, seed: int = 1) -> Simulator:
    return Simulator(pipeline, NoCatalog(), metrics, interval, redis,  # type: ignore[arg-type]
                     lease_ttl=ttl, rng=random.Random(seed))


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_failed_and_stalled_ingests_do_not_stop_the_loop_or_pile_up() -> None:
    async def database(n: int) -> None:
        if n <= 3:
            raise ConnectionError("database down")
        if n == 4:
            await asyncio.sleep(0.5)  # stalled: the ticks meanwhile are skipped

    pipeline = FakePipeline(database)
    sim = simulator(pipeline, ["cpu"], 0.05)
    sim.start()
    await asyncio.sleep(1.3)
    assert len(pipeline.points) >= 10  # it went on after three failures and a stall
    assert len(pipeline.points) <= 1.3 / 0.05 - 5  # the stall skipped ticks instead of queueing them
    assert pipeline.most_active == 1
    stamps = [p.ts for p in pipeline.points]
    assert stamps == sorted(stamps)
    await sim.stop()


@pytest.mark.parametrize("metric", ["traffic", "cpu", "orders", "humidity"])
@pytest.mark.parametrize("seed", [1, 2])
async def test_series_are_plausible_and_alert_now_and_then(metric: str, seed: int) -> None:
    series = Series(PROFILES.get(metric, DEFAULT_PROFILE), random.Random(seed))
    window = MemoryWindow(WindowParams(seconds=300, sigma=2.5, min_points=5))
    await window.rebuild(metric, [])
    start = time.time()
    points = [Point(metric, start + i, series.next(start + i)) for i in range(20_000)]
    values = [p.value for p in points]
    assert min(values) >= 0
    if metric == "cpu":
        assert max(values) <= 100
    if metric == "orders":
        assert all(v == int(v) for v in values)
    else:
        assert len(set(values)) > 100  # a living series, not a few levels
    alerts = sum(1 for s in await window.score(points) if s is not None and s.alert)
    assert 0.001 * len(points) < alerts < 0.05 * len(points), alerts


async def test_a_lease_is_held_by_one_token_renewed_by_it_and_released_by_it(redis_client: Redis) -> None:
    a = RedisLease(redis_client, "test:leased", 0.4, "pid-a")
    b = RedisLease(redis_client, "test:leased", 0.4, "pid-b")
    assert await a.acquire()
    assert not await b.acquire()
    assert not await b.renew()
    assert await a.renew()
    assert await a.acquire()  # its holder may take it again (after a renewal it could not confirm)
    await b.release()  # not b's to release
    assert await redis_client.get("test:leased") == b"pid-a"
    await a.release()
    assert await redis_client.get("test:leased") is None
    assert await b.acquire()
    assert await redis_client.pttl("test:leased") > 300
    await asyncio.sleep(0.6)  # b stops renewing (it died): the lease expires
    assert await a.acquire()
    assert not await b.renew()


async def test_one_of_two_simulators_produces_and_the_other_takes_over_when_it_stops(
    redis_client: Redis,
) -> None:
    first, second = FakePipeline(), FakePipeline()
    one = simulator(first, ["traffic"], 0.05, redis_client, ttl=0.6)
    other = simulator(second, ["traffic"], 0.05, redis_client, ttl=0.6)
    one.start()
    await eventually(lambda: first.points, 5, "the first simulator to produce")
    other.start()
    await asyncio.sleep(0.8)
    assert second.points == []
    await one.stop()  # hands the lease back
    stopped = time.monotonic()
    await eventually(lambda: second.points, 5, "the second simulator to take over")
    assert time.monotonic() - stopped < 0.5
    await other.stop()
