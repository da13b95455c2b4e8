"""The downsampler's promises, as properties: alerts, extremes and both ends always kept."""

from __future__ import annotations

from bisect import bisect_left

from hypothesis import given, settings
from hypothesis import strategies as st

from chronoview.downsample import MIN_POINTS, bucket_count, bucket_edges, downsample

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@st.composite
def series(draw: st.DrawFn) -> tuple[list[float], list[float], list[bool]]:
    n = draw(st.integers(min_value=0, max_value=600))
    gaps = draw(st.lists(st.sampled_from([0.0, 0.001, 1.0, 1.0, 1.0, 7.5, 3600.0]), min_size=n, max_size=n))
    ts, now = [], 1_750_000_000.0
    for gap in gaps:
        now += gap
        ts.append(now)
    values = draw(st.lists(finite, min_size=n, max_size=n))
    alert = draw(st.lists(st.sampled_from([False, False, False, True]), min_size=n, max_size=n))
    return ts, values, alert


@settings(max_examples=150, deadline=None)
@given(data=series(), max_points=st.integers(min_value=MIN_POINTS, max_value=200))
def test_keeps_alerts_extremes_and_ends(
    data: tuple[list[float], list[float], list[bool]], max_points: int
) -> None:
    ts, values, alert = data
    keep = downsample(ts, values, alert, max_points)
    assert keep == sorted(set(keep))
    assert all(0 <= i < len(ts) for i in keep)
    if len(ts) <= max_points:
        assert keep == list(range(len(ts)))
        return
    kept = set(keep)
    alerts = [i for i, a in enumerate(alert) if a]
    assert set(alerts) <= kept
    assert {0, len(ts) - 1} <= kept
    assert min(values) in {values[i] for i in keep}
    assert max(values) in {values[i] for i in keep}
    assert len(keep) <= max(max_points, len(alerts) + 4)
    if len(alerts) + 4 <= max_points:
        assert len(keep) <= max_points


@settings(max_examples=100, deadline=None)
@given(data=series(), max_points=st.integers(min_value=MIN_POINTS, max_value=100))
def test_every_bucket_keeps_its_spikes(
    data: tuple[list[float], list[float], list[bool]], max_points: int
) -> None:
    """Not just the global extremes: each bucket's minimum and maximum survive (spikes visible)."""
    ts, values, alert = data
    if len(ts) <= max_points:
        return
    kept = set(downsample(ts, values, alert, max_points))
    buckets = bucket_count(max_points, sum(alert))
    edges = bucket_edges(ts[0], ts[-1], buckets)
    lo = 0
    for b in range(1, buckets + 1):
        hi = len(ts) if b == buckets else bisect_left(ts, edges[b], lo)
        if hi > lo:
            inside = {values[i] for i in kept if lo <= i < hi}
            assert min(values[lo:hi]) in inside
            assert max(values[lo:hi]) in inside
        lo = hi


def test_a_single_spike_in_a_long_flat_series_survives() -> None:
    n = 86_400
    ts = [float(i) for i in range(n)]
    values = [10.0] * n
    values[51_234] = 99.0
    values[70_001] = -42.0
    keep = downsample(ts, values, [False] * n, 1_000)
    assert 51_234 in keep
    assert 70_001 in keep
    assert len(keep) <= 1_000


def test_alerts_beyond_the_budget_are_all_kept() -> None:
    n = 1_000
    alert = [i % 2 == 0 for i in range(n)]
    keep = downsample([float(i) for i in range(n)], [float(i % 7) for i in range(n)], alert, 100)
    assert {i for i in range(n) if alert[i]} <= set(keep)


def test_equal_timestamps_and_a_flat_line() -> None:
    keep = downsample([5.0] * 50, [1.0] * 50, [False] * 50, 10)
    assert keep[0] == 0
    assert keep[-1] == 49
    assert len(keep) <= 10
