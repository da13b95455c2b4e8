"""The demo tells the truth (issue 15): the simulator's seeded series, run offline through the
window for 10 simulated minutes per metric, alert only at the anomalies it injected, and do
inject a few."""

from __future__ import annotations

import random

import pytest

from chronoview.points import Point
from chronoview.simulator import DEFAULT_PROFILE, PROFILES, Series
from chronoview.window import MemoryWindow, WindowParams

DEFAULTS = WindowParams(seconds=300.0, sigma=2.5, min_points=5)
# Different hours of the day: the rhythm is steepest mid-morning and mid-evening.
STARTS = [1_750_000_000.0 + hours * 3600 for hours in (0, 3, 6, 9, 12, 15, 18, 21)]


@pytest.mark.parametrize("metric", [*PROFILES, "humidity"])
@pytest.mark.parametrize("seed", range(6))
async def test_ten_simulated_minutes_alert_only_at_injected_anomalies(metric: str, seed: int) -> None:
    start = STARTS[seed % len(STARTS)] + seed * 137.0
    series = Series(PROFILES.get(metric, DEFAULT_PROFILE), random.Random(seed))
    window = MemoryWindow(DEFAULTS)
    await window.rebuild(metric, [])
    points, injected = [], []
    for i in range(600):  # 10 minutes at the default 1 s interval
        ts = start + i
        points.append(Point(metric, ts, series.next(ts)))
        injected.append(series.anomalous)
    scores = await window.score(points)
    alerts = [i for i, score in enumerate(scores) if score is not None and score.alert]
    false_alarms = [(i, points[i].value, scores[i]) for i in alerts if not injected[i]]
    assert false_alarms == []
    episodes = [i for i in range(600) if injected[i] and (i == 0 or not injected[i - 1])]
    assert 1 <= len(episodes) <= 10  # "a few per 10 minutes per metric"
    # Every anomaly is a clear one: the first point of each episode alerts (once a baseline exists).
    assert all(i in alerts for i in episodes if i >= DEFAULTS.min_points)


async def test_a_long_run_keeps_its_promise() -> None:
    """A day of traffic at 1 s: still no alert away from an injected anomaly."""
    series = Series(PROFILES["traffic"], random.Random(99))
    window = MemoryWindow(DEFAULTS)
    await window.rebuild("traffic", [])
    points, injected = [], []
    for i in range(86_400):
        ts = STARTS[0] + i
        points.append(Point("traffic", ts, series.next(ts)))
        injected.append(series.anomalous)
    scores = await window.score(points)
    assert not [i for i, s in enumerate(scores) if s is not None and s.alert and not injected[i]]
