"""An independent reference for SPEC §4, used only by tests: slow, obvious and exact.

It keeps each metric's window as a plain list, filters it afresh for every point and computes the
baseline in two passes over exact integers (every float is an integer times a power of two), so each
reported number is the true value rounded once. Nothing here shares code with the backends.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from chronoview.points import Point, Score
from chronoview.window.base import WindowParams

FLAT = 1e-12  # SPEC §4.5 (1e-9 until 2026-11-29)


@dataclass(frozen=True)
class Baseline:
    """The exact statistics of some values, each rounded once to a float."""

    n: int
    mean: float | None
    std: float | None  # sample standard deviation (ddof = 1)
    deviation: float | None  # x − μ for the point being scored


def two_pass(values: Sequence[float], x: float | None = None) -> Baseline:
    """Mean, sample σ and x − μ of `values`, computed exactly and rounded once."""
    n = len(values)
    if n == 0:
        return Baseline(0, None, None, None)
    everything = [*values, x] if x is not None else list(values)
    ratios = [value.as_integer_ratio() for value in everything]
    bits = max(den.bit_length() - 1 for _, den in ratios)  # denominators are powers of two
    scaled = [num << (bits - (den.bit_length() - 1)) for num, den in ratios]
    window = scaled[:n]
    total = sum(window)  # first pass: n·μ·2^bits
    unit = n << bits
    mean = total / unit  # int / int is correctly rounded in Python
    std = None
    if n > 1:
        squares = sum((n * v - total) ** 2 for v in window)  # second pass: n²·Σ(x − μ)²·4^bits
        std = math.sqrt(squares / ((n * n * (n - 1)) << (2 * bits)))
    deviation = (n * scaled[n] - total) / unit if x is not None else None
    return Baseline(n, mean, std, deviation)


def judge(base: Baseline, params: WindowParams) -> Score:
    """Steps 4–6 of SPEC §4, written from the text."""
    if base.n < params.min_points or base.mean is None or base.deviation is None:
        return Score(None, False, base.mean, base.std, base.n)
    tiny = FLAT * max(1.0, abs(base.mean))
    sigma = base.std if base.std is not None else 0.0
    if sigma <= tiny:
        alert = abs(base.deviation) > tiny and _towards(base.deviation, params)
        return Score(None, alert and params.enabled, base.mean, base.std, base.n)
    zscore = base.deviation / sigma
    alert = abs(zscore) >= params.sigma and _towards(zscore, params)
    return Score(zscore, alert and params.enabled, base.mean, base.std, base.n)


def _towards(signed: float, params: WindowParams) -> bool:
    """Whether a deviation of this sign may alert under the rule's `direction` (SPEC §4)."""
    return params.direction == "both" or (signed > 0) == (params.direction == "above")


@dataclass
class _Metric:
    newest: float = -math.inf
    window: list[tuple[float, float]] = field(default_factory=list)
    oldest: float = math.inf  # the smallest timestamp in `window`, so filtering is skipped when idle


class ReferenceWindow:
    """SPEC §4 point by point; synchronous, O(window) per point."""

    def __init__(self, params: WindowParams) -> None:
        self.params = params
        self.metrics: dict[str, _Metric] = {}

    def _step(self, state: _Metric, ts: float, x: float, scored: bool = True) -> Score | None:
        state.newest = max(state.newest, ts)
        cutoff = state.newest - self.params.seconds
        if state.oldest <= cutoff:
            state.window = [(t, v) for t, v in state.window if t > cutoff]
            state.oldest = min((t for t, _ in state.window), default=math.inf)
        values = [v for _, v in state.window] if scored else []
        if ts <= cutoff:
            base = two_pass(values)
            return Score(None, False, base.mean, base.std, base.n)
        score = judge(two_pass(values, x), self.params) if scored else None
        state.window.append((ts, x))
        state.oldest = min(state.oldest, ts)
        if len(state.window) > self.params.max_points:  # the oldest leaves; the first among equals
            del state.window[min(range(len(state.window)), key=lambda i: state.window[i][0])]
            state.oldest = min(t for t, _ in state.window)
        return score

    def score(self, points: Sequence[Point]) -> list[Score | None]:
        scores: list[Score | None] = []
        for point in points:
            state = self.metrics.get(point.metric)
            scores.append(None if state is None else self._step(state, point.ts, point.value))
        return scores

    def rebuild(self, metric: str, history: Sequence[tuple[float, float]]) -> None:
        if metric in self.metrics:
            return
        state = _Metric()
        for ts, x in history:
            self._step(state, ts, x, scored=False)
        self.metrics[metric] = state

    def forget(self, metrics: Sequence[str]) -> None:
        for metric in metrics:
            self.metrics.pop(metric, None)

    def values(self, metric: str) -> list[float]:
        return [v for _, v in self.metrics[metric].window]


def close(got: float, want: float, rel: float, floor: float = 0.0) -> bool:
    return abs(got - want) <= rel * abs(want) + floor


def assert_matches(got: Score | None, want: Score | None, x: float, params: WindowParams) -> None:
    """`got` is `want` up to rounding: numbers to ~1e-9 relative, verdicts equal unless borderline."""
    if want is None or got is None:
        assert got is want, f"{got} != {want}"
        return
    assert got.n == want.n, f"n: {got} != {want}"
    if want.mean is None:
        assert got.mean is None, f"{got} != {want}"
        assert got.std is None, f"{got} != {want}"
        assert got.zscore is None, f"{got} != {want}"
        assert not got.alert, f"{got} != {want}"
        return
    assert got.mean is not None, f"{got} != {want}"
    spread = want.std or 0.0
    scale = max(1.0, abs(want.mean))
    assert close(got.mean, want.mean, 1e-9, 1e-9 * spread + 1e-15 * scale), f"mean: {got} != {want}"
    if want.std is None:
        assert got.std is None, f"std: {got} != {want}"
    else:
        assert got.std is not None, f"std: {got} != {want}"
        assert close(got.std, want.std, 1e-9, 1e-15 * scale), f"std: {got} != {want}"
    tiny = FLAT * scale
    borderline_flat = want.std is not None and abs(want.std - tiny) <= 1e-6 * tiny
    if want.zscore is None or got.zscore is None:
        assert (got.zscore is None) == (want.zscore is None) or borderline_flat, f"z: {got} != {want}"
        if got.zscore is None and want.zscore is None and want.n >= params.min_points:
            deviation = abs(x - want.mean)
            borderline = borderline_flat or abs(deviation - tiny) <= 1e-6 * tiny
            assert got.alert == want.alert or borderline, f"alert: {got} != {want}"
        elif want.n < params.min_points:
            assert not got.alert, f"alert: {got} != {want}"
        return
    assert close(got.zscore, want.zscore, 1e-9, 1e-9), f"z: {got} != {want}"
    borderline = abs(abs(want.zscore) - params.sigma) <= 1e-9 * params.sigma
    assert got.alert == want.alert or borderline, f"alert: {got} != {want}"


def assert_all_match(
    got: Sequence[Score | None], want: Sequence[Score | None], points: Sequence[Point], params: WindowParams
) -> None:
    assert len(got) == len(want) == len(points)
    for i, (g, w, p) in enumerate(zip(got, want, points, strict=True)):
        try:
            assert_matches(g, w, p.value, params)
        except AssertionError as exc:
            raise AssertionError(f"point {i} {p}: {exc}") from None
