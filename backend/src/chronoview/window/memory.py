"""In-process rolling windows (SPEC §4): one pair of deques per metric, O(1) amortised per point.

The baseline is kept as running sums of the values shifted by an anchor (s1 = Σd, s2 = Σd², with
d = x − anchor). Every update also adds a bound on the rounding it may have introduced; when the
bound could matter for the statistics in use — the mean drifted away from the anchor, a huge value
left the window, or rounding simply accumulated — the sums are re-anchored at the mean and
recomputed exactly (math.fsum) from the window's contents. With ordinary data that happens once every
tens of thousands of updates, so the cost stays O(1) amortised whatever the window holds.
window.lua mirrors this file step by step for Redis.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence

from chronoview.points import Point, Score
from chronoview.window.base import WindowParams

# One rounding, counted twice over: the unit roundoff of a double is 2**-53.
EPS = 2.0**-52
# Recompute when the rounding bound on Σ(x − μ)² could exceed this fraction of it (σ then carries
# half of it, far below the 1e-9 the contract promises).
TOL = 1e-11
# Absolute floors, relative to max(1, |μ|), so an exactly flat line never forces recomputes: σ and
# |x − μ| are known to 1e-18·max(1, |μ|), a billionth of the "σ is zero" threshold of SPEC §4.5.
FLOOR_M2 = 1e-36
FLOOR_S1 = 1e-20
# SPEC §4.5: σ (and |x − μ|) at or below this fraction of max(1, |μ|) counts as zero.
FLAT = 1e-9
EPS3 = 3.0 * EPS


def latest_window(
    history: Iterable[tuple[float, float]], seconds: float
) -> tuple[float, list[tuple[float, float]]]:
    """The newest timestamp of `history` and the points a window over it holds, sorted by time.

    Replaying history point by point would keep exactly these: a point too old when it arrived is
    older still against the final newest timestamp, and every other point is only ever evicted by it.
    """
    pairs = list(history)
    if not pairs:
        return -math.inf, []
    newest = max(ts for ts, _ in pairs)
    cutoff = newest - seconds
    return newest, sorted((p for p in pairs if p[0] > cutoff), key=lambda p: p[0])


class _Series:
    """One metric: timestamps and values in parallel deques sorted by time, plus anchored sums."""

    __slots__ = ("anchor", "e1", "e2", "fresh", "newest", "s1", "s2", "stamps", "values")

    def __init__(self, newest: float, points: Sequence[tuple[float, float]]) -> None:
        self.newest = newest
        self.stamps: deque[float] = deque(ts for ts, _ in points)
        self.values: deque[float] = deque(x for _, x in points)
        self.anchor = self.s1 = self.s2 = self.e1 = self.e2 = 0.0
        self.fresh = True
        if points:
            self.recompute()

    def push(self, ts: float, x: float, params: WindowParams) -> Score:
        """Steps 1–7 of SPEC §4 for one point; the hot path, so written out in one piece."""
        newest = self.newest
        if ts > newest:
            self.newest = newest = ts
        cutoff = newest - params.seconds
        stamps, values = self.stamps, self.values
        anchor, s1, s2, e1, e2 = self.anchor, self.s1, self.s2, self.e1, self.e2
        fresh = self.fresh
        if stamps and stamps[0] <= cutoff:
            while stamps and stamps[0] <= cutoff:
                stamps.popleft()
                d = values.popleft() - anchor
                s1 -= d
                s2 -= d * d
                e1 += EPS * abs(s1)
                e2 += EPS * abs(s2)
            fresh = False
        n = len(stamps)
        if n == 0:  # an empty window starts over, exactly, anchored at its first value
            self.s1 = self.s2 = self.e1 = self.e2 = 0.0
            self.fresh = True
            if ts <= cutoff:
                return Score(None, False, None, None, 0)
            self.anchor = x
            stamps.append(ts)
            values.append(x)
            return Score(None, False, None, None, 0)

        # Step 3: the baseline, from the sums unless rounding may have reached them.
        shift = s1 / n
        m2 = s2 - s1 * shift
        if m2 < 0.0:
            m2 = 0.0
        mean = anchor + shift
        std = math.sqrt(m2 / (n - 1)) if n > 1 else None
        if not fresh:
            scale = mean if mean > 1.0 else -mean if mean < -1.0 else 1.0
            if e2 + EPS3 * abs(s2) + 2.0 * abs(shift) * e1 > TOL * m2 + FLOOR_M2 * scale * scale * n or (
                e1 > n * (TOL * (std or 0.0) + FLOOR_S1 * scale)
            ):
                self.anchor, self.s1, self.s2 = anchor, s1, s2
                self.recompute()
                anchor, s1, s2, e1, e2 = self.anchor, self.s1, self.s2, self.e1, self.e2
                fresh = True
                shift = s1 / n
                m2 = s2 - s1 * shift
                if m2 < 0.0:
                    m2 = 0.0
                mean = anchor + shift
                std = math.sqrt(m2 / (n - 1)) if n > 1 else None

        if ts <= cutoff:  # step 2: too old; stored by the caller, never part of a baseline
            self.s1, self.s2, self.e1, self.e2, self.fresh = s1, s2, e1, e2, fresh
            return Score(None, False, mean, std, n)

        # Steps 4-6.
        d = x - anchor
        if n < params.min_points:
            score = Score(None, False, mean, std, n)
        else:
            tiny = FLAT * (mean if mean > 1.0 else -mean if mean < -1.0 else 1.0)
            deviation = d - shift
            if std is None or std <= tiny:  # one point alone has no σ: a flat line too
                score = Score(None, abs(deviation) > tiny, mean, std, n)
            else:
                zscore = deviation / std
                score = Score(zscore, abs(zscore) >= params.sigma, mean, std, n)

        # Step 7.
        if ts >= stamps[-1]:
            stamps.append(ts)
            values.append(x)
        else:  # a late point: its place is usually a few steps from the right
            i = n - 1
            while i > 0 and stamps[i - 1] > ts:
                i -= 1
            stamps.insert(i, ts)
            values.insert(i, x)
        s1 += d
        s2 += d * d
        self.s1, self.s2 = s1, s2
        self.e1 = e1 + EPS * abs(s1)
        self.e2 = e2 + EPS * abs(s2)
        self.fresh = False
        return score

    def recompute(self) -> None:
        """Re-anchor at the mean and rebuild the sums from the window, correctly rounded."""
        values = self.values
        n = len(values)
        anchor = math.fsum(values) / n
        deviations = [x - anchor for x in values]
        self.anchor = anchor
        self.s1 = math.fsum(deviations)
        self.s2 = math.fsum([d * d for d in deviations])
        self.e1 = EPS * abs(self.s1)
        self.e2 = EPS * self.s2
        self.fresh = True


class MemoryWindow:
    """Windows held in this process (the embedded shape); a metric has state once rebuilt."""

    def __init__(self, params: WindowParams | None = None) -> None:
        self.params = params or WindowParams()
        self._series: dict[str, _Series] = {}

    async def score(self, points: Sequence[Point]) -> list[Score | None]:
        series, params = self._series, self.params
        scores: list[Score | None] = []
        for point in points:
            state = series.get(point.metric)
            scores.append(None if state is None else state.push(point.ts, point.value, params))
        return scores

    async def rebuild(self, metric: str, history: Sequence[tuple[float, float]]) -> None:
        if metric not in self._series:
            self._series[metric] = _Series(*latest_window(history, self.params.seconds))

    async def forget(self, metrics: Sequence[str]) -> None:
        for metric in metrics:
            self._series.pop(metric, None)

    async def close(self) -> None:
        self._series.clear()
