"""Demo sources (SPEC §3): one producer per simulated metric across all processes.

Each metric has a lease (lease.py). Its holder renews it three times per TTL and stops producing
once it could not confirm it for 0.8 TTL, before anyone else may hold it; the others try to
acquire it every TTL/10, so when the holder is killed another process takes the metric over within
TTL + TTL/10 (1.32 s by default; issue 14 asks for 2 s). The points the dead holder did not send
are not made up: the gap stays a gap. The holder feeds a point every SIMULATION_INTERVAL_SECONDS
into the same pipeline as posted points. A tick whose previous point is still being ingested (the
database stalled) is skipped, never queued, and a failed ingest is logged: the loop lives on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chronoview.bus.base import cancel_and_wait
from chronoview.ingest import Pipeline
from chronoview.lease import Lease, LocalLease, RedisLease, attempt, lease_token
from chronoview.points import Point
from chronoview.storage.base import Storage

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

LEASE_PREFIX = "chronoview:simulator:"
LEASE_TTL_SECONDS = 1.2


@dataclass(frozen=True, slots=True)
class Profile:
    """The shape of a demo series; values are `base` times a daily rhythm, plus bounded noise."""

    base: float
    daily: float  # amplitude of the daily rhythm, as a fraction of base
    noise: float  # half-width of each point's relative noise
    high: float = math.inf
    decimals: int = 2
    anomaly_chance: float = 1 / 200  # per point: about three anomalies per 10 minutes at 1 s


PROFILES = {
    "traffic": Profile(base=120.0, daily=0.35, noise=0.03),  # requests per second
    "cpu": Profile(base=38.0, daily=0.25, noise=0.04, high=100.0, decimals=1),  # percent
    # Whole orders: a level in the tens keeps rounding small against the noise.
    "orders": Profile(base=30.0, daily=0.4, noise=0.3, decimals=0),  # per interval
}
DEFAULT_PROFILE = Profile(base=100.0, daily=0.2, noise=0.03)
GOLDEN = (math.sqrt(5) - 1) / 2


class Series:
    """A demo series that tells the truth (issue 15): its ordinary variation never alerts, and now
    and then it injects a clear anomaly (a spike or a dip of one to three points), so every alert a
    newcomer sees is a real, visible one.

    Ordinary values are a daily rhythm (peak mid-afternoon UTC, far too slow to matter within a
    window) times noise bounded to ±`noise`. Bounded is not enough while a window holds few
    points — five random draws can sit close together and make the sixth look wild — so the noise
    walks the golden-ratio sequence, which spreads any few consecutive draws across the whole
    range: |z| of an ordinary point stays under about 1.8 from the fifth point on.
    `anomalous` says whether the last value was injected (tests/alerting/test_simulator.py).
    """

    def __init__(self, profile: Profile, rng: random.Random | None = None) -> None:
        self.profile = profile
        self._rng = rng or random.Random()
        self._level = 1.0
        self._phase = self._rng.random()
        self._event_left = 0
        self._event_factor = 1.0
        self.anomalous = False

    def rhythm(self, ts: float) -> float:
        hours = (ts % 86_400) / 3600
        return self.profile.base * (1 + self.profile.daily * math.sin(2 * math.pi * (hours - 9) / 24))

    def resume(self, value: float, ts: float) -> None:
        """Continue from a stored value (after taking a metric over) instead of jumping."""
        if value > 0:
            self._level = min(2.0, max(0.5, value / self.rhythm(ts)))

    def next(self, ts: float) -> float:
        p, rng = self.profile, self._rng
        self._phase = (self._phase + GOLDEN) % 1.0
        value = self.rhythm(ts) * self._level * (1 + p.noise * (2 * self._phase - 1))
        if not self._event_left and rng.random() < p.anomaly_chance:
            self._event_left = rng.randint(1, 3)
            # A dip is only clear where the noise is small: a count of a few (orders) only spikes.
            spike = p.noise > 0.1 or rng.random() < 0.6
            self._event_factor = rng.uniform(2.2, 3.0) if spike else rng.uniform(0.1, 0.3)
        self.anomalous = self._event_left > 0
        if self.anomalous:
            self._event_left -= 1
            value *= self._event_factor
        return round(min(p.high, max(0.0, value)), p.decimals)


class Simulator:
    def __init__(
        self,
        pipeline: Pipeline,
        storage: Storage,
        metrics: Sequence[str],
        interval: float,
        redis: Redis | None = None,
        *,
        lease_ttl: float = LEASE_TTL_SECONDS,
        rng: random.Random | None = None,
    ) -> None:
        self._pipeline = pipeline
        self._storage = storage
        self._metrics = list(dict.fromkeys(metrics))
        self._interval = interval
        self._redis = redis
        self._ttl = lease_ttl
        self._token = lease_token()
        self._rng = rng or random.Random()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._failing: set[str] = set()

    def lease(self, metric: str) -> Lease:
        if self._redis is None:
            return LocalLease()
        return RedisLease(self._redis, LEASE_PREFIX + metric, self._ttl, self._token)

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._run(metric, Series(PROFILES.get(metric, DEFAULT_PROFILE),
                                                         random.Random(self._rng.getrandbits(64)))),
                                name=f"simulator-{metric}")
            for metric in self._metrics
        ]

    async def stop(self) -> None:
        """Stop producing and hand the leases back, so another process can take over at once."""
        self._stopping = True
        await asyncio.gather(*(cancel_and_wait(task) for task in self._tasks))
        self._tasks = []

    async def _run(self, metric: str, series: Series) -> None:
        lease = self.lease(metric)
        try:
            while not self._stopping:
                if await attempt(lease.acquire, self._ttl / 3):
                    log.info("simulator: producing %s every %ss", metric, self._interval)
                    await self._resume(metric, series)
                    await self._produce(metric, lease, series)
                    if not self._stopping:
                        log.info("simulator: lost the lease of %s", metric)
                await asyncio.sleep(self._ttl / 10)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(lease.release(), 1.0)

    async def _resume(self, metric: str, series: Series) -> None:
        with contextlib.suppress(Exception):
            for entry in await asyncio.wait_for(self._storage.catalog(), 2.0):
                if entry.metric == metric:
                    series.resume(entry.last_value, time.time())

    async def _produce(self, metric: str, lease: Lease, series: Series) -> None:
        """Tick until the lease is lost (or cannot be confirmed before it would expire)."""
        loop = asyncio.get_running_loop()
        renew_every = self._ttl / 3
        confirmed = next_tick = loop.time()
        next_renew = confirmed + renew_every
        inflight: asyncio.Task[None] | None = None
        while not self._stopping:
            now = loop.time()
            if now >= next_tick:
                if inflight is None or inflight.done():
                    inflight = asyncio.create_task(self._ingest(metric, series))
                next_tick += self._interval
                if next_tick <= now:  # fell behind (stalled loop): skip ticks, never burst
                    next_tick = now + self._interval
            if now >= next_renew:
                held = await attempt(lease.renew, renew_every)
                if held is False:
                    return
                next_renew = loop.time() + (renew_every if held else self._ttl / 10)
                if held:
                    confirmed = now
            if loop.time() - confirmed > self._ttl * 0.8:  # it may expire: another may take it
                return
            await asyncio.sleep(max(0.0, min(next_tick, next_renew) - loop.time()))

    async def _ingest(self, metric: str, series: Series) -> None:
        ts = round(time.time(), 3)  # messages carry milliseconds
        try:
            await self._pipeline.ingest(
                [Point(metric, ts, series.next(ts))], simulated=True, source="simulator"
            )
        except Exception as exc:  # the database or Redis is down: try again next tick
            if metric not in self._failing:
                log.warning("simulator: ingest of %s failed (%r); retrying every tick", metric, exc)
                self._failing.add(metric)
        else:
            if metric in self._failing:
                log.info("simulator: %s is flowing again", metric)
                self._failing.discard(metric)

