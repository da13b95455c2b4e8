"""The token bucket behind the snapshot rate limit, on a fake clock."""

from __future__ import annotations

import pytest

from chronoview.ratelimit import TokenBucketLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refill() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(per_minute=30, burst=30, clock=clock)
    assert all(limiter.take("a") == 0.0 for _ in range(30))
    assert limiter.take("a") == pytest.approx(2.0)  # one token every 2 s
    assert limiter.take("b") == 0.0  # per client
    clock.now += 1.0
    assert limiter.take("a") == pytest.approx(1.0)
    clock.now += 1.0
    assert limiter.take("a") == 0.0
    assert limiter.take("a") > 0.0
    clock.now += 3600
    assert all(limiter.take("a") == 0.0 for _ in range(30))  # never more than the burst
    assert limiter.take("a") > 0.0


def test_memory_is_bounded_by_forgetting_idle_clients() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(per_minute=60, burst=2, max_keys=100, clock=clock)
    for i in range(100):
        limiter.take(f"old{i}")
    clock.now += 10  # every old bucket has refilled: forgetting them loses nothing
    for i in range(1_000):
        limiter.take(f"new{i}")
    assert len(limiter._buckets) <= 100
