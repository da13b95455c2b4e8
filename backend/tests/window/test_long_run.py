"""Long runs: rounding must not drift, however many points pass through one window (SPEC §4 cost)."""

from __future__ import annotations

import gc
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence

import pytest

from chronoview.points import Point, Score
from chronoview.window import MemoryWindow, WindowParams
from chronoview.window.memory import _Touches
from tests.window.owned import OwnedRedisWindow
from tests.window.reference import two_pass

T0 = 1_750_000_000.0
SPAN = 1000  # points in a window: one per second, W = 1000 s, so a baseline is the previous 999
PARAMS = WindowParams(seconds=float(SPAN), sigma=2.5, min_points=5)
BATCH = 10_000
REGIME_LENGTH = 50_000


def regimes(seed: int) -> Iterator[list[float]]:
    """Batches of values that are hard on running sums, one regime after another."""
    rnd = random.Random(seed)
    uniform = rnd.random
    i = 0
    while True:
        regime = (i // REGIME_LENGTH) % 6
        if regime == 0:  # around a billion, σ ≈ 0.5
            batch = [1e9 + (uniform() - 0.5) * 1.7 for _ in range(BATCH)]
        elif regime == 1:  # a steady climb: the mean walks away from any anchor
            batch = [1e6 + 0.37 * (i + k) + uniform() for k in range(BATCH)]
        elif regime == 2:  # small values with a 1e12 spike every 1,000 points, which then leaves
            batch = [1e12 if (i + k) % 1000 == 0 else uniform() for k in range(BATCH)]
        elif regime == 3:  # a flat line
            batch = [42.0] * BATCH
        elif regime == 4:  # tiny spread around a negative level
            batch = [-7.0 + 1e-3 * uniform() for _ in range(BATCH)]
        else:  # ordinary noise around zero
            batch = [uniform() * 2.0 - 1.0 for _ in range(BATCH)]
        i += BATCH
        yield batch


def assert_baseline_exact(score: Score | None, window_values: list[float]) -> None:
    """The reported μ and σ agree with a fresh exact two-pass computation to 1e-9 relative."""
    assert score is not None
    exact = two_pass(window_values)
    assert exact.mean is not None
    assert exact.std is not None
    assert score.n == exact.n == SPAN - 1
    assert score.mean is not None
    assert score.std is not None
    assert math.isclose(score.mean, exact.mean, rel_tol=1e-9, abs_tol=1e-9 * exact.std + 1e-300)
    assert math.isclose(score.std, exact.std, rel_tol=1e-9, abs_tol=1e-18 * max(1.0, abs(exact.mean)))


Scorer = Callable[[int, list[float]], Awaitable[Sequence[Score | None]]]


async def run_through(score: Scorer, total: int, seed: int) -> None:
    """Score `total` points in batches, checking baselines against exact two-pass statistics."""
    batches = regimes(seed)
    previous: list[float] = []
    for start in range(0, total, BATCH):
        values = next(batches)
        scores = await score(start, values)
        if previous:
            recent = previous[-(SPAN - 1) :] + values
            # Every batch's last point; in every fifth batch also k = 0 (in the spiky regime the
            # previous spike has just left), k = 1 (a spike is in) and the middle.
            for k in (0, 1, BATCH // 2, BATCH - 1) if start % (5 * BATCH) == 0 else (BATCH - 1,):
                assert_baseline_exact(scores[k], recent[k : k + SPAN - 1])
        previous = values


def points(start: int, values: list[float]) -> list[Point]:
    return [Point("long", T0 + (start + k), v) for k, v in enumerate(values)]


@pytest.mark.slow
async def test_ten_million_points_through_one_memory_window() -> None:
    window = MemoryWindow(PARAMS)
    await window.rebuild("long", [])
    # MemoryWindow.score hands each metric's points to the metric's state in one run; fed to it
    # directly here, without the grouping by metric and the assessment around it.
    state, tracker = window._series["long"], window._trackers["long"]

    async def score(start: int, values: list[float]) -> Sequence[Score | None]:
        if start < 5 * BATCH:  # the public door first: the same state either way
            return await window.score(points(start, values))
        return state.run("long", points(start, values), PARAMS, tracker, _Touches(), start)

    wall, cpu = time.perf_counter(), time.process_time()
    gc.disable()  # 10^7 short-lived scores: collecting them would add a fifth and test nothing
    try:
        await run_through(score, total=10_000_000, seed=1)
    finally:
        gc.enable()
    print(f"10^7 points through MemoryWindow: {time.perf_counter() - wall:.1f} s "
          f"({time.process_time() - cpu:.1f} s CPU)")


@pytest.mark.slow
async def test_a_million_points_through_one_redis_window(redis_url: str) -> None:
    window = OwnedRedisWindow(redis_url, PARAMS)
    await window.rebuild("long", [])

    async def score(start: int, values: list[float]) -> Sequence[Score | None]:
        return await window.score(points(start, values))

    wall, cpu = time.perf_counter(), time.process_time()
    try:
        await run_through(score, total=1_000_000, seed=2)
    finally:
        await window.close()
    print(f"10^6 points through RedisWindow: {time.perf_counter() - wall:.1f} s "
          f"({time.process_time() - cpu:.1f} s CPU here, the rest in Redis)")


async def test_a_big_window_is_not_recomputed_every_few_thousand_points(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """O(1) amortised needs recomputes (O(window) each) further apart than the window is long."""
    from chronoview.window import memory

    size = 200_000
    params = WindowParams(seconds=float(size), sigma=2.5, min_points=5, max_points=size)
    window = MemoryWindow(params)
    rnd = random.Random(7)
    await window.rebuild("big", [(T0 + i, 100.0 + rnd.gauss(0.0, 5.0)) for i in range(size)])
    recomputes = 0
    recompute = memory._Series.recompute

    def counting(self: memory._Series) -> None:
        nonlocal recomputes
        recomputes += 1
        recompute(self)

    monkeypatch.setattr(memory._Series, "recompute", counting)
    state, tracker = window._series["big"], window._trackers["big"]
    values = [98.0 + rnd.gauss(0.0, 5.0) for _ in range(size)]  # the level shifts a little, too
    later = [Point("big", T0 + size + k, value) for k, value in enumerate(values)]
    scores = state.run("big", later, params, tracker, _Touches(), 0)
    assert scores[-1].n == size - 1
    assert recomputes <= 1
