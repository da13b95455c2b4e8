"""Demo sources (SPEC §3): one producer per simulated metric across all processes.

Each metric has a lease. Embedded, the one process always holds it. With Redis it is a key set
with NX and a TTL holding a token; the holder renews it with a compare-and-renew script and deletes
it on shutdown, so if the holder dies another process takes the metric over within a few seconds.
The holder feeds a point every SIMULATION_INTERVAL_SECONDS into the same pipeline as posted points.
A tick whose previous point is still being ingested (the database stalled) is skipped, never
queued, and a failed ingest is logged: the loop lives on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import random
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from chronoview.bus.base import cancel_and_wait
from chronoview.ingest import Pipeline
from chronoview.points import Point
from chronoview.storage.base import Storage

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

LEASE_PREFIX = "chronoview:simulator:"
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class Lease(Protocol):
    async def acquire(self) -> bool: ...

    async def renew(self) -> bool:
        """True while still ours; False once someone else holds it (or nobody does)."""
        ...

    async def release(self) -> None: ...


class LocalLease:
    """Embedded: this process is the only one."""

    async def acquire(self) -> bool:
        return True

    async def renew(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class RedisLease:
    def __init__(self, redis: Redis, name: str, ttl: float, token: str, prefix: str = LEASE_PREFIX) -> None:
        self.key = prefix + name
        self.token = token
        self._redis = redis
        self._ttl_ms = max(1, round(ttl * 1000))
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    async def acquire(self) -> bool:
        return bool(await self._redis.set(self.key, self.token, nx=True, px=self._ttl_ms))

    async def renew(self) -> bool:
        return bool(await self._renew(keys=[self.key], args=[self.token, self._ttl_ms]))

    async def release(self) -> None:
        await self._release(keys=[self.key], args=[self.token])


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
        lease_ttl: float = 3.0,
    ) -> None:
        self._pipeline = pipeline
        self._storage = storage
        self._metrics = list(dict.fromkeys(metrics))
        self._interval = interval
        self._redis = redis
        self._ttl = lease_ttl
        self._token = f"{os.getpid()}@{socket.gethostname()}/{uuid.uuid4().hex[:12]}"
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._failing: set[str] = set()

    def lease(self, metric: str) -> Lease:
        if self._redis is None:
            return LocalLease()
        return RedisLease(self._redis, metric, self._ttl, self._token)

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._run(metric), name=f"simulator-{metric}") for metric in self._metrics
        ]

    async def stop(self) -> None:
        """Stop producing and hand the leases back, so another process can take over at once."""
        self._stopping = True
        await asyncio.gather(*(cancel_and_wait(task) for task in self._tasks))
        self._tasks = []

    async def _run(self, metric: str) -> None:
        lease = self.lease(metric)
        series = Series(PROFILES.get(metric, DEFAULT_PROFILE))
        try:
            while not self._stopping:
                if await _attempt(lease.acquire, self._ttl / 3):
                    log.info("simulator: producing %s every %ss", metric, self._interval)
                    await self._resume(metric, series)
                    await self._produce(metric, lease, series)
                    if not self._stopping:
                        log.info("simulator: lost the lease of %s", metric)
                await asyncio.sleep(self._ttl / 6)
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
                held = await _attempt(lease.renew, renew_every)
                if held is False:
                    return
                next_renew = loop.time() + (renew_every if held else 0.2)
                if held:
                    confirmed = now
            if loop.time() - confirmed > self._ttl * 0.8:  # it may expire: another may take it
                return
            await asyncio.sleep(max(0.0, min(next_tick, next_renew) - loop.time()))

    async def _ingest(self, metric: str, series: Series) -> None:
        ts = round(time.time(), 3)  # messages carry milliseconds
        try:
            await self._pipeline.ingest([Point(metric, ts, series.next(ts))], simulated=True)
        except Exception as exc:  # the database or Redis is down: try again next tick
            if metric not in self._failing:
                log.warning("simulator: ingest of %s failed (%r); retrying every tick", metric, exc)
                self._failing.add(metric)
        else:
            if metric in self._failing:
                log.info("simulator: %s is flowing again", metric)
                self._failing.discard(metric)


async def _attempt(call: Callable[[], Awaitable[bool]], limit: float) -> bool | None:
    """The call's answer, or None when it failed or took too long (Redis unreachable)."""
    try:
        return await asyncio.wait_for(call(), limit)
    except Exception as exc:
        log.debug("simulator: lease call failed: %r", exc)
        return None
