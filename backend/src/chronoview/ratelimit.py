"""A per-client token bucket, in process (each API process limits on its own)."""

from __future__ import annotations

import time
from collections.abc import Callable


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

    def acquire(self, key: str) -> float:
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
