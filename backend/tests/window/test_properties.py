"""Property tests: random irregular series through each backend agree with the exact reference."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chronoview.points import Point
from chronoview.window import MemoryWindow, Window, WindowParams
from tests.window.owned import OwnedRedisWindow
from tests.window.reference import ReferenceWindow, assert_all_match

T0 = 1_750_000_000.0


def stable(examples: int) -> settings:
    """A fixed number of examples, the same ones on every run."""
    return settings(
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=examples,
        suppress_health_check=[HealthCheck.too_slow],
    )


@dataclass(frozen=True)
class Scenario:
    params: WindowParams
    histories: dict[str, list[tuple[float, float]]]  # rebuilt before the batches
    batches: list[list[Point]]
    refresh_after: frozenset[int]  # batch numbers after which the window forgets and rebuilds


# How a point's timestamp relates to the newest one so far: mostly small steps forward, some late
# points (× W back, still inside), some too old (× W back; 1.0 is exactly T − W), a few jumps (× W).
TIMING = st.one_of(
    st.tuples(st.just("step"), st.sampled_from([0.0, 0.25, 0.5, 1.0])),
    st.tuples(st.just("step"), st.floats(0.0, 1.0, allow_nan=False)),
    st.tuples(st.just("step"), st.sampled_from([0.0, 0.25, 0.5, 1.0])),
    st.tuples(st.just("step"), st.floats(0.0, 1.0, allow_nan=False)),
    st.tuples(st.just("late"), st.floats(0.0, 0.99)),
    st.tuples(st.just("old"), st.sampled_from([1.0, 1.25, 3.0])),
    st.tuples(st.just("jump"), st.sampled_from([0.5, 1.0, 1.5])),
)
# The value as units of spread around the level: repeated small values, any float, outliers.
VALUE = st.one_of(
    st.tuples(st.just("same"), st.just(0.0)),  # repeat the previous value: flat runs
    st.tuples(st.just("units"), st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0])),
    st.tuples(st.just("units"), st.floats(-3.0, 3.0, allow_nan=False)),
    st.tuples(st.just("units"), st.sampled_from([-1e3, 40.0, 1e6])),
)
# (level, spread) of a metric's values.
LEVELS = st.sampled_from(
    [(0.0, 1.0), (100.0, 2.0), (-50.0, 0.1), (1e6, 0.5), (1e9, 0.5), (1e9, 3.0), (5e-3, 1e-4)]
)


@st.composite
def scenarios(draw: st.DrawFn, max_points: int = 150) -> Scenario:
    params = WindowParams(
        seconds=draw(st.sampled_from([4.0, 10.0, 30.0])),
        sigma=draw(st.sampled_from([1.0, 2.0, 2.5])),
        min_points=draw(st.integers(2, 6)),
    )
    metrics = ["m0", "m1"][: draw(st.integers(1, 2))]
    levels = {m: draw(LEVELS) for m in metrics}
    newest = dict.fromkeys(metrics, T0)
    last = {m: levels[m][0] for m in metrics}

    def point(metric: str) -> tuple[float, float]:
        (how, amount), (kind, units) = draw(TIMING), draw(VALUE)
        w = params.seconds
        ts = {
            "step": newest[metric] + amount,
            "jump": newest[metric] + amount * w,
            "late": newest[metric] - amount * w,
            "old": newest[metric] - amount * w,
        }[how]
        newest[metric] = max(newest[metric], ts)
        level, spread = levels[metric]
        value = last[metric] if kind == "same" else level + units * spread
        last[metric] = value
        return ts, value

    histories = {m: [point(m) for _ in range(draw(st.integers(0, 12)))] for m in metrics}
    order = draw(st.lists(st.sampled_from(metrics), min_size=20, max_size=max_points))
    stream = [(m, *point(m)) for m in order]
    cuts = sorted(draw(st.sets(st.integers(1, max(len(stream) - 1, 1)), max_size=6)))
    bounds = [0, *[c for c in cuts if c < len(stream)], len(stream)]
    batches = [[Point(m, ts, v) for m, ts, v in stream[a:b]] for a, b in itertools.pairwise(bounds)]
    refresh = frozenset(draw(st.sets(st.integers(0, len(batches) - 1), max_size=2)))
    return Scenario(params, histories, [b for b in batches if b], refresh)


async def check(window: Window, scenario: Scenario, prefix: str) -> None:
    """Every score equals the reference's; forgetting and rebuilding from all stored points is seamless."""
    reference = ReferenceWindow(scenario.params)
    stored: dict[str, list[tuple[float, float]]] = {}
    for metric, history in scenario.histories.items():
        await window.rebuild(prefix + metric, history)
        reference.rebuild(prefix + metric, history)
        stored[prefix + metric] = list(history)
    for number, batch in enumerate(scenario.batches):
        points = [Point(prefix + p.metric, p.ts, p.value) for p in batch]
        assert_all_match(await window.score(points), reference.score(points), points, scenario.params)
        for p in points:
            stored[p.metric].append((p.ts, p.value))
        if number in scenario.refresh_after:
            # What the pipeline does after a restart: rebuild from everything in the database.
            await window.forget(list(stored))
            for metric, history in stored.items():
                await window.rebuild(metric, history)


def test_memory_matches_reference() -> None:
    @stable(300)
    @given(scenarios())
    def run(scenario: Scenario) -> None:
        asyncio.run(check(MemoryWindow(scenario.params), scenario, ""))

    run()


def test_redis_matches_reference(redis_url: str) -> None:
    with asyncio.Runner() as runner:

        @stable(120)
        @given(scenarios())
        def run(scenario: Scenario) -> None:
            async def go() -> None:
                window = OwnedRedisWindow(redis_url, scenario.params)
                try:
                    await check(window, scenario, f"p{uuid.uuid4().hex[:8]}.")
                finally:
                    await window.close()

            runner.run(go())

        run()


@pytest.mark.parametrize("level", [1e9, -1e9, 1e12])
def test_half_unit_noise_at_large_levels(level: float, redis_url: str) -> None:
    """Values around 1e9 (and beyond) with σ = 0.5: mean, σ and verdicts still exact on both backends."""
    params = WindowParams(seconds=50.0, sigma=2.5, min_points=5)

    @stable(25)
    @given(st.lists(st.floats(-1.5, 1.5, allow_nan=False), min_size=5, max_size=200))
    def run(noise: list[float]) -> None:
        points = [Point("big", T0 + i * 0.5, level + n) for i, n in enumerate(noise)]

        async def go() -> None:
            for window in (MemoryWindow(params), OwnedRedisWindow(redis_url, params)):
                reference = ReferenceWindow(params)
                metric = f"big{uuid.uuid4().hex[:8]}"
                await window.rebuild(metric, [])
                reference.rebuild(metric, [])
                batch = [Point(metric, p.ts, p.value) for p in points]
                assert_all_match(await window.score(batch), reference.score(batch), batch, params)
                await window.close()

        asyncio.run(go())

    run()
