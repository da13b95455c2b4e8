"""When to try a delivery again (SPEC §11): pure functions of the attempt, the count and the clock.

Backoff ≈ 5 s, 30 s, 2 min, 10 min, 30 min, then hourly, each ±20 % jitter so that deliveries
that failed together do not retry in lockstep; a receiver's Retry-After wins over the schedule;
a delivery still failing 24 h after it was written fails for good.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from chronoview.notify.kinds import Attempt

SCHEDULE = (5.0, 30.0, 120.0, 600.0, 1800.0)
HOURLY = 3600.0
JITTER = 0.2
GIVE_UP_AFTER = 24 * 3600.0
MIN_DELAY = 1.0  # a Retry-After of 0 must not become a busy loop

DeliveryState = Literal["delivered", "pending", "failed"]


@dataclass(frozen=True, slots=True)
class Decision:
    state: DeliveryState
    next_attempt_at: float | None = None
    reason: str | None = None
    disable_channel: bool = False


def backoff(attempts: int, rng: Callable[[], float]) -> float:
    """The pause after the `attempts`-th failed attempt (1 for the first)."""
    base = SCHEDULE[attempts - 1] if 1 <= attempts <= len(SCHEDULE) else HOURLY
    return base * (1.0 + JITTER * (2.0 * rng() - 1.0))


def decide(attempt: Attempt, attempts: int, created_at: float, now: float,
           rng: Callable[[], float]) -> Decision:
    """What becomes of a delivery after its `attempts`-th attempt ended as `attempt` at `now`."""
    if attempt.outcome == "ok":
        return Decision("delivered")
    if attempt.outcome == "gone":
        return Decision("failed", reason=f"{attempt.error or 'HTTP 410'}: the channel is disabled",
                        disable_channel=True)
    if attempt.outcome == "fail":
        return Decision("failed", reason=attempt.error)
    deadline = created_at + GIVE_UP_AFTER
    if now >= deadline:
        return Decision("failed", reason=f"still failing after 24 h ({attempts} attempts): {attempt.error}")
    delay = attempt.retry_after if attempt.retry_after is not None else backoff(attempts, rng)
    return Decision("pending", min(now + max(delay, MIN_DELAY), deadline))
