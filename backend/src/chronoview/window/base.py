"""The rolling window interface (SPEC §4): score points against each metric's recent baseline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from chronoview.points import Point, Score


@dataclass(frozen=True, slots=True)
class WindowParams:
    seconds: float = 300.0
    sigma: float = 2.5
    min_points: int = 5
    # ALERT_WINDOW_MAX_POINTS: past it, the oldest points (by timestamp) leave the window first.
    max_points: int = 100_000


class Window(Protocol):
    async def score(self, points: Sequence[Point]) -> list[Score | None]:
        """Score points in order and add them to their windows, atomically per metric.

        A metric with no state yet (start-up, Redis flushed or evicted) is left untouched and its
        points come back as None: the caller rebuilds it from the database and scores them again.
        """
        ...

    async def rebuild(self, metric: str, history: Sequence[tuple[float, float]]) -> None:
        """Install a metric's state from stored (ts, value) pairs in arrival order, unless present."""
        ...

    async def forget(self, metrics: Sequence[str]) -> None:
        """Drop state so the next score rebuilds from the database (used after a failed write)."""
        ...

    async def close(self) -> None: ...
