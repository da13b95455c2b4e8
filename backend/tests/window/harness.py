"""A window under test driven side by side with the reference, comparing every score."""

from __future__ import annotations

from collections.abc import Sequence

from chronoview.points import Point, Score
from chronoview.window import Window, WindowParams
from tests.window.reference import ReferenceWindow, assert_all_match


class Checked:
    """Scores points on a backend and on the reference, asserting that they agree point by point."""

    def __init__(self, window: Window, params: WindowParams) -> None:
        self.window = window
        self.params = params
        self.reference = ReferenceWindow(params)

    async def score(self, points: Sequence[Point]) -> list[Score | None]:
        got = await self.window.score(points)
        assert_all_match(got, self.reference.score(points), points, self.params)
        return got

    async def rebuild(self, metric: str, history: Sequence[tuple[float, float]]) -> None:
        await self.window.rebuild(metric, history)
        self.reference.rebuild(metric, history)

    async def forget(self, metrics: Sequence[str]) -> None:
        await self.window.forget(metrics)
        self.reference.forget(metrics)
