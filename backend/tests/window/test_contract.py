"""The window contract (SPEC §4), once per backend, each score also checked against the reference."""

from __future__ import annotations

import math

import pytest

from chronoview.points import Point, Score
from chronoview.window import WindowParams
from tests.window.conftest import WindowFactory
from tests.window.harness import Checked

T0 = 1_750_000_000.0
SPEC = WindowParams(seconds=300.0, sigma=2.5, min_points=5)


def series(metric: str, values: list[float], start: float = T0, step: float = 1.0) -> list[Point]:
    return [Point(metric, start + i * step, v) for i, v in enumerate(values)]


def history(values: list[float], start: float = T0, step: float = 1.0) -> list[tuple[float, float]]:
    return [(start + i * step, v) for i, v in enumerate(values)]


@pytest.fixture
async def checked(make_window: WindowFactory) -> Checked:
    return Checked(make_window(SPEC), SPEC)


async def after_baseline(checked: Checked, metric: str, baseline: list[float], x: float) -> Score:
    """The score of x against a window rebuilt from `baseline` (one point a second before it)."""
    await checked.rebuild(metric, history(baseline))
    [score] = await checked.score([Point(metric, T0 + len(baseline), x)])
    assert score is not None
    return score


async def test_a_metric_without_state_scores_none_and_nothing_is_applied(checked: Checked) -> None:
    points = series("cpu", [1.0, 2.0, 3.0])
    assert await checked.score(points) == [None, None, None]
    await checked.rebuild("cpu", [])
    scores = await checked.score(points)
    assert [s.n for s in scores if s] == [0, 1, 2]  # the first attempt left nothing behind


async def test_an_empty_batch_scores_nothing(checked: Checked) -> None:
    assert await checked.score([]) == []


async def test_fewer_than_min_points_never_alert(checked: Checked) -> None:
    await checked.rebuild("cpu", [])
    scores = await checked.score(series("cpu", [1.0, 2.0, 3.0, 4.0, 1e6]))
    assert scores[0] == Score(None, False, None, None, 0)
    assert scores[1] == Score(None, False, 1.0, None, 1)
    assert scores[2] == Score(None, False, 1.5, pytest.approx(math.sqrt(0.5)), 2)
    last = scores[4]
    assert last is not None
    assert (last.zscore, last.alert, last.n) == (None, False, 4)  # 1e6 is wild, but n = 4 < m = 5
    [fifth] = await checked.score([Point("cpu", T0 + 5, 1e7)])
    assert fifth is not None
    assert fifth.n == 5
    assert fifth.alert


async def test_a_flat_line_that_moves_alerts_without_a_zscore(checked: Checked) -> None:
    score = await after_baseline(checked, "temp", [20.0] * 5, 20.5)
    assert score == Score(None, True, 20.0, 0.0, 5)


async def test_a_flat_line_that_stays_flat_does_not_alert(checked: Checked) -> None:
    await checked.rebuild("temp", [])
    scores = await checked.score(series("temp", [20.0] * 12))
    assert scores[11] == Score(None, False, 20.0, 0.0, 11)
    assert not any(s and s.alert for s in scores)


async def test_a_flat_line_at_a_large_level_tolerates_rounding_only(checked: Checked) -> None:
    level = 1e9 + 0.25
    still = await after_baseline(checked, "big", [level] * 6, level)
    assert still == Score(None, False, level, 0.0, 6)
    # |x − μ| ≤ 1e-12·|μ| ≈ 0.001
    [within] = await checked.score([Point("big", T0 + 7, level + 0.0005)])
    assert within == Score(None, False, level, 0.0, 7)
    [moved] = await checked.score([Point("big", T0 + 8, level + 0.5)])
    assert moved is not None
    assert (moved.zscore, moved.alert) == (None, True)


@pytest.mark.parametrize(("x", "alert"), [(1e-12, False), (-1e-12, False), (2e-12, True), (-2e-12, True)])
async def test_a_flat_line_alerts_only_above_the_tolerance(checked: Checked, x: float, alert: bool) -> None:
    # |x − μ| must exceed 1e-12·max(1, |μ|); exactly 1e-12 away from 0 does not.
    score = await after_baseline(checked, "zero", [0.0] * 5, x)
    assert score == Score(None, alert, 0.0, 0.0, 5)


async def test_zscore_is_signed(checked: Checked) -> None:
    # mean 3, σ = sqrt(2.5)
    up = await after_baseline(checked, "up", [1.0, 2.0, 3.0, 4.0, 5.0], 7.0)
    down = await after_baseline(checked, "down", [1.0, 2.0, 3.0, 4.0, 5.0], -1.0)
    assert up.zscore == pytest.approx(4 / math.sqrt(2.5), rel=1e-12)
    assert down.zscore == pytest.approx(-4 / math.sqrt(2.5), rel=1e-12)
    assert up.alert
    assert down.alert
    assert (up.mean, up.std, up.n) == (3.0, pytest.approx(math.sqrt(2.5), rel=1e-12), 5)


@pytest.mark.parametrize(
    ("x", "alert"), [(2.5, True), (-2.5, True), (2.4999999, False), (-2.4999999, False), (0.0, False)]
)
async def test_alert_from_k_sigma_inclusive(checked: Checked, x: float, alert: bool) -> None:
    # mean 0 and σ exactly 1, so z = x.
    score = await after_baseline(checked, "k", [-1.0, -1.0, 1.0, 1.0, 0.0], x)
    assert score.std == 1.0
    assert score.zscore == pytest.approx(x, abs=1e-15)
    assert score.alert is alert


async def test_the_point_is_excluded_from_its_own_baseline(checked: Checked) -> None:
    score = await after_baseline(checked, "own", [1.0, 2.0, 3.0, 4.0, 5.0], 100.0)
    # Including 100 the largest reachable |z| would be (n−1)/√n < 2.5; excluded it is 61.3.
    assert score.zscore == pytest.approx(97 / math.sqrt(2.5), rel=1e-12)
    assert score.alert
    assert (score.mean, score.n) == (3.0, 5)


async def test_a_late_point_is_scored_and_enters_the_window(checked: Checked) -> None:
    await checked.rebuild("late", history([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
    [late] = await checked.score([Point("late", T0 + 2.5, 3.5)])
    assert late is not None
    assert late.n == 6
    [after] = await checked.score([Point("late", T0 + 6, 3.5)])
    assert after is not None
    assert after.n == 7
    assert after.mean == pytest.approx((21.0 + 3.5) / 7)


async def test_a_too_old_point_is_scored_but_never_enters(checked: Checked) -> None:
    await checked.rebuild("old", history([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], start=T0 + 1000))
    newest = T0 + 1005
    [old, boundary] = await checked.score([
        Point("old", T0, 1e9),  # far too old
        Point("old", newest - SPEC.seconds, 1e9),  # exactly T − W is too old too
    ])
    assert old is not None
    assert boundary is not None
    for score in (old, boundary):
        assert (score.zscore, score.alert, score.n) == (None, False, 6)
    [just_inside] = await checked.score([Point("old", newest - SPEC.seconds + 0.001, 3.5)])
    assert just_inside is not None
    assert just_inside.n == 6
    assert just_inside.mean == 3.5  # the 1e9 values never entered
    [after] = await checked.score([Point("old", newest, 3.5)])
    assert after is not None
    assert after.n == 7


async def test_eviction_at_exactly_t_minus_w(checked: Checked) -> None:
    await checked.rebuild("edge", [(T0, 100.0), (T0 + 1, 1.0), (T0 + 2, 2.0)])
    [just_before, at_edge] = await checked.score([
        Point("edge", T0 + SPEC.seconds - 0.5, 3.0),  # T − W = T0 − 0.5: everything stays
        Point("edge", T0 + SPEC.seconds, 4.0),  # T − W = T0: the point at T0 leaves
    ])
    assert just_before is not None
    assert at_edge is not None
    assert (just_before.n, just_before.mean) == (3, pytest.approx(103.0 / 3))
    assert (at_edge.n, at_edge.mean) == (3, 2.0)


async def test_a_jump_in_time_empties_the_window(checked: Checked) -> None:
    await checked.rebuild("gap", history([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
    [after_gap, next_one] = await checked.score(series("gap", [50.0, 51.0], start=T0 + 10_000))
    assert after_gap == Score(None, False, None, None, 0)
    assert next_one == Score(None, False, 50.0, None, 1)


async def test_rebuild_sets_newest_timestamp_and_window(checked: Checked) -> None:
    # 0.0 at T0 is older than T − W once T0 + 400 is known, so only the last five count.
    await checked.rebuild("rb", [(T0, 0.0), *history([10.0, 11.0, 12.0, 13.0, 14.0], start=T0 + 396)])
    [too_old, scored] = await checked.score([Point("rb", T0 + 100, 50.0), Point("rb", T0 + 401, 12.0)])
    assert too_old is not None
    assert scored is not None
    assert (too_old.zscore, too_old.alert, too_old.n) == (None, False, 5)
    assert (scored.n, scored.mean, scored.zscore) == (5, 12.0, 0.0)


async def test_rebuild_replays_late_and_too_old_points_like_live_scoring(checked: Checked) -> None:
    pairs = [
        (T0 + 500, 1.0), (T0 + 100, 99.0),  # too old on arrival
        (T0 + 498, 2.0), (T0 + 215, 98.0), (T0 + 505, 4.0),  # late but inside
        (T0 + 520, 3.0),  # evicts 98
        (T0 + 219, 97.0), (T0 + 221, 6.0),  # too old, and late but inside
    ]
    await checked.rebuild("replay", pairs)
    [score] = await checked.score([Point("replay", T0 + 520.5, 3.0)])
    assert score is not None
    assert (score.n, score.mean) == (5, pytest.approx(3.2))


async def test_rebuild_only_installs_when_absent(checked: Checked) -> None:
    await checked.rebuild("once", history([1.0, 2.0, 3.0, 4.0, 5.0]))
    await checked.rebuild("once", history([7.0] * 50))
    [score] = await checked.score([Point("once", T0 + 5, 3.0)])
    assert score is not None
    assert (score.n, score.mean) == (5, 3.0)


async def test_rebuild_with_empty_history_creates_state(checked: Checked) -> None:
    await checked.rebuild("empty", [])
    assert await checked.score([Point("empty", T0, 1.0)]) == [Score(None, False, None, None, 0)]


async def test_forget_drops_state(checked: Checked) -> None:
    await checked.rebuild("gone", history([1.0, 2.0, 3.0]))
    await checked.forget(["gone", "never-seen"])
    assert await checked.score([Point("gone", T0 + 10, 1.0)]) == [None]
    await checked.rebuild("gone", [])
    [fresh] = await checked.score([Point("gone", T0 + 10, 1.0)])
    assert fresh == Score(None, False, None, None, 0)


async def test_several_metrics_in_one_batch(checked: Checked) -> None:
    await checked.rebuild("a", history([1.0, 2.0, 3.0, 4.0, 5.0]))
    await checked.rebuild("b", history([10.0] * 5))
    batch = [
        Point("a", T0 + 5, 3.0), Point("b", T0 + 5, 10.0), Point("c", T0 + 5, 1.0),
        Point("a", T0 + 6, 30.0), Point("b", T0 + 6, 11.0), Point("c", T0 + 6, 2.0),
    ]
    a1, b1, c1, a2, b2, c2 = await checked.score(batch)
    assert c1 is None
    assert c2 is None
    assert a1 is not None
    assert a2 is not None
    assert b1 == Score(None, False, 10.0, 0.0, 5)
    assert b2 == Score(None, True, 10.0, 0.0, 6)
    assert (a1.zscore, a1.n) == (0.0, 5)
    assert a2.n == 6
    assert a2.alert
    await checked.rebuild("c", [])
    [c] = await checked.score([Point("c", T0 + 7, 1.0)])
    assert c == Score(None, False, None, None, 0)  # the None points of "c" were not applied


async def test_equal_values_at_different_times_all_count(checked: Checked) -> None:
    await checked.rebuild("same", [])
    await checked.score(series("same", [5.0] * 7))
    await checked.score([Point("same", T0 + 3, 5.0)])  # a late duplicate of value and neighbours
    [score] = await checked.score([Point("same", T0 + 8, 5.0)])
    assert score == Score(None, False, 5.0, 0.0, 8)


async def test_the_same_timestamp_twice_counts_twice(checked: Checked) -> None:
    await checked.rebuild("twice", [])
    await checked.score([Point("twice", T0, 1.0), Point("twice", T0, 1.0), Point("twice", T0, 3.0)])
    [score] = await checked.score([Point("twice", T0, 0.0)])
    assert score is not None
    assert (score.n, score.mean) == (3, pytest.approx(5 / 3))


NOISE = [0.5, -0.5, 0.25, -0.25, 0.0, 0.75, -0.75, 0.5]
NOISE_MEAN = sum(NOISE) / len(NOISE)
NOISE_STD = math.sqrt(sum((v - NOISE_MEAN) ** 2 for v in NOISE) / (len(NOISE) - 1))


async def test_half_unit_noise_around_a_billion_scores_z(checked: Checked) -> None:
    # σ ≈ 0.5 is above 1e-12·|μ| = 0.001, so it scores as a number (SPEC §4.5 since 2026-11-29;
    # under the old 1e-9 threshold it counted as a flat line).
    base = 1e9
    await checked.rebuild("huge", history([base + v for v in NOISE]))
    [quiet, loud] = await checked.score([
        Point("huge", T0 + 8, base + NOISE_MEAN + 2.0 * NOISE_STD),
        Point("huge", T0 + 9, base + NOISE_MEAN - 3.0 * NOISE_STD),
    ])
    assert quiet is not None
    assert loud is not None
    assert quiet.std == pytest.approx(NOISE_STD, rel=1e-9)
    assert quiet.zscore == pytest.approx(2.0, rel=1e-6)
    assert not quiet.alert
    assert loud.zscore is not None
    assert loud.zscore < -2.5
    assert loud.alert


async def test_half_unit_noise_around_a_million_scores_z(checked: Checked) -> None:
    base = 1e6
    await checked.rebuild("large", history([base + v for v in NOISE]))
    [quiet, loud] = await checked.score([
        Point("large", T0 + 8, base + NOISE_MEAN + 2.0 * NOISE_STD),
        Point("large", T0 + 9, base + NOISE_MEAN - 3.0 * NOISE_STD),
    ])
    assert quiet is not None
    assert loud is not None
    assert quiet.std == pytest.approx(NOISE_STD, rel=1e-9)
    assert quiet.zscore == pytest.approx(2.0, abs=1e-9)  # x itself is rounded to 1.2e-10
    assert not quiet.alert
    assert loud.zscore is not None
    assert loud.zscore < -2.5
    assert loud.alert


async def test_a_huge_outlier_leaving_does_not_spoil_the_baseline(checked: Checked) -> None:
    await checked.rebuild("spike", [])
    values = [1.0, 2.0, 1e15, 3.0, 4.0] + [float(i % 7) for i in range(400)]
    await checked.score(series("spike", values))
    # After the spike left, σ must be that of small numbers again (checked by the reference).
    [score] = await checked.score([Point("spike", T0 + len(values), 3.0)])
    assert score is not None
    assert score.std is not None
    assert score.std < 3.0


async def test_enormous_values_do_not_break_scoring(checked: Checked) -> None:
    window = checked.window  # the exact reference cannot represent these statistics
    await window.rebuild("vast", [])
    scores = await window.score(series("vast", [1e308, -1e308, 1e308, 5.0, 1e308, 1e308, 7.0]))
    assert [s.n for s in scores if s] == [0, 1, 2, 3, 4, 5, 6]  # statistics may overflow; no crash
    ordinary = series("vast", [float(i % 7) for i in range(400)], start=T0 + 7)
    await window.score(ordinary)
    # Once the enormous values left, the statistics are sound again.
    after = Checked(window, SPEC)
    after.reference.rebuild("vast", [(p.ts, p.value) for p in ordinary])
    await after.score(series("vast", [3.0, 30.0], start=T0 + 407))


async def test_past_the_point_cap_the_oldest_points_leave_first(make_window: WindowFactory) -> None:
    """ALERT_WINDOW_MAX_POINTS: a window never holds more; in-order, late and rebuilt points alike."""
    params = WindowParams(seconds=300.0, sigma=2.5, min_points=3, max_points=8)
    checked = Checked(make_window(params), params)
    await checked.rebuild("cpu", history([float(i % 5) for i in range(20)]))
    scores = await checked.score(series("cpu", [10.0, 11.0, 12.0, 1e3], start=T0 + 20))
    assert [s.n for s in scores if s] == [8, 8, 8, 8]
    # A late point older than everything held enters and is the one to leave at once.
    late = await checked.score([Point("cpu", T0 + 1, 5.0), Point("cpu", T0 + 24.5, 7.0)])
    assert [s.n for s in late if s] == [8, 8]
    assert checked.reference.values("cpu") == [2.0, 3.0, 4.0, 10.0, 11.0, 12.0, 1e3, 7.0]


async def test_a_late_point_after_the_cap_let_newer_points_leave_in_the_same_batch(
    make_window: WindowFactory,
) -> None:
    """Past the cap, points leave oldest first even when a late one arrives in the same batch after
    others left (in Redis they are removed at the end of the call, by rank)."""
    params = WindowParams(seconds=300.0, sigma=2.5, min_points=3, max_points=8)
    checked = Checked(make_window(params), params)
    await checked.rebuild("cpu", history([float(i % 5) for i in range(8)], start=T0 + 10))
    batch = series("cpu", [30.0, 31.0, 32.0], start=T0 + 18)  # T0 + 10 … T0 + 12 leave
    batch += [Point("cpu", T0 + 11.5, 40.0), Point("cpu", T0 + 5, 50.0)]  # older than some that left
    batch += series("cpu", [33.0, 34.0, 1e3], start=T0 + 21)
    scores = await checked.score(batch)
    assert [s.n for s in scores if s] == [8] * 8
    assert checked.reference.values("cpu") == [1.0, 2.0, 30.0, 31.0, 32.0, 33.0, 34.0, 1e3]
    await checked.score(series("cpu", [5.0] * 10, start=T0 + 24))  # the right ones left, not others


async def test_each_metric_numbers_its_points_densely_and_never_reuses_a_number(
    make_window: WindowFactory,
) -> None:
    """SPEC §6: the seq is handed out with the score, 1, 2, 3, … per metric; a failed write's
    numbers (forgotten window) are not handed out again, and a rebuild resumes above the stored
    maximum."""
    window = make_window(SPEC)
    await window.rebuild("a", [])
    await window.rebuild("b", [])
    batch = series("a", [1.0, 2.0]) + series("b", [5.0]) + series("a", [3.0], start=T0 + 5)
    scores = await window.score(batch)
    assert [(s.seq if s else None) for s in scores] == [1, 2, 1, 3]
    await window.forget(["a"])
    await window.rebuild("a", history([1.0, 2.0]), last_seq=2)  # 3 was released, not stored
    [again] = await window.score(series("a", [4.0], start=T0 + 6))
    assert again is not None
    assert again.seq == 4
    await window.rebuild("b", [], last_seq=10)  # present already: only the counter is raised
    [raised] = await window.score(series("b", [6.0], start=T0 + 1))
    assert raised is not None
    assert raised.seq == 11
