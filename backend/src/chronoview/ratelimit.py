"""Per-client token buckets: in the process, or in Redis when configured (shared by every process).

The client is the address the app sees, which is the real client's behind a proxy listed in
`FORWARDED_ALLOW_IPS` (serving.trust_proxies) and the socket's peer otherwise.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

SNAPSHOTS_PER_MINUTE = 30


class Limiter(Protocol):
    async def acquire(self, key: str) -> float:
        """Take one token: 0.0 when allowed, else the seconds until one is available."""
        ...


class TokenBucketLimiter:
    """`burst` requests at once per key, refilled at `per_minute` a minute."""

    def __init__(
        self, per_minute: float = 30.0, burst: int = 30, max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, when)

    def take(self, key: str) -> float:
        """Take one token: 0.0 when allowed, else the seconds until one is available."""
        now = self._clock()
        tokens, when = self._buckets.get(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - when) * self._rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self._rate
        if key not in self._buckets and len(self._buckets) >= self._max_keys:
            self._forget_idle(now)
        self._buckets[key] = (tokens - 1.0, now)
        return 0.0

    async def acquire(self, key: str) -> float:
        return self.take(key)

    def _forget_idle(self, now: float) -> None:
        """Drop keys whose bucket has refilled (they are as good as new); at worst, the oldest half."""
        full_after = self._burst / self._rate
        idle = [k for k, (_, when) in self._buckets.items() if now - when >= full_after]
        for key in idle:
            del self._buckets[key]
        if len(self._buckets) >= self._max_keys:
            oldest = sorted(self._buckets, key=lambda k: self._buckets[k][1])
            for key in oldest[: len(oldest) // 2]:
                del self._buckets[key]


# The same bucket as TokenBucketLimiter, on Redis's clock, in one atomic call; an idle key expires
# once it would be full again, so Redis holds only clients seen within the last refill time.
_BUCKET_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'when')
local tokens = tonumber(state[1]) or burst
local when = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - when) * rate)
local wait = 0
if tokens < 1 then wait = (1 - tokens) / rate else tokens = tokens - 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'when', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(wait)
"""


class RedisTokenBucketLimiter:
    """One bucket per key for every process on this Redis; the process's own bucket while Redis
    does not answer (the limit then holds per process, and requests are not refused for it)."""

    def __init__(self, redis: Redis, name: str, per_minute: float, burst: int) -> None:
        self._script = redis.register_script(_BUCKET_SCRIPT)
        self._prefix = f"chronoview:ratelimit:{name}:"
        self._args = (per_minute / 60.0, burst)
        self._fallback = TokenBucketLimiter(per_minute, burst)

    async def acquire(self, key: str) -> float:
        try:
            wait = await self._script(keys=[self._prefix + key], args=self._args)
        except Exception as exc:  # whatever the Redis client raises
            log.warning("rate limit in Redis unavailable (%r); limiting in this process", exc)
            return self._fallback.take(key)
        return float(wait)


def create_limiter(redis: Redis | None, name: str = "snapshots",
                   per_minute: int = SNAPSHOTS_PER_MINUTE) -> Limiter:
    if redis is None:
        return TokenBucketLimiter(per_minute, per_minute)
    return RedisTokenBucketLimiter(redis, name, per_minute, per_minute)
