"""SPEC §10's incident state machine on both window backends against tests/alerting/reference.py,
over long random sequences: for_points 1–5, several resolve_after, every direction, late points."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from chronoview.alerting.incidents import Incident, IncidentChange
from chronoview.alerting.rules import Rule
from chronoview.points import Point
from chronoview.window import WindowParams
from tests.alerting.reference import ReferenceIncidents
from tests.window.conftest import WindowFactory
from tests.window.reference import ReferenceWindow

T0 = 1_750_000_000.0


def sequence(rng: random.Random, length: int) -> list[Point]:
    """Noise with spikes and dips in bursts, irregular steps, silences and some late points."""
    points, ts, burst, size = [], T0, 0, 1.0
    for _ in range(length):
        ts += rng.choice([0.5, 1.0, 1.0, 2.0]) if rng.random() > 0.01 else rng.uniform(20, 90)
        if burst == 0 and rng.random() < 0.04:
            # Each point of a burst far beyond the last, so it alerts over a baseline holding them.
            burst, size = rng.randint(1, 8), rng.choice([-15.0, 15.0])
        value = 100.0 + rng.gauss(0.0, 2.0)
        if burst:
            burst -= 1
            size *= 3.0
            value += size * rng.uniform(1.0, 1.5)
        late = rng.random() < 0.03
        points.append(Point("m", ts - rng.uniform(1, 40) if late else ts, round(value, 3)))
    return points


class Model:
    """ReferenceWindow for the scores, ReferenceIncidents for the state machine."""

    def __init__(self, params: WindowParams) -> None:
        self.window = ReferenceWindow(params)
        self.window.rebuild("m", [])
        self.incidents = ReferenceIncidents(params.for_points, params.resolve_after)
        self.params = params
        self.newest = float("-inf")

    def feed(self, point: Point) -> tuple[str, int, bool]:
        [score] = self.window.score([point])
        assert score is not None
        self.newest = max(self.newest, point.ts)
        inside = point.ts > self.newest - self.params.seconds
        if inside and score.n >= self.params.min_points:
            state = self.incidents.scored(point.ts, point.value, score.zscore, score.alert)
        else:
            state = self.incidents.state()
        return (*state, score.alert)


CASES = [
    (for_points, resolve_after, direction, seed)
    for seed, (for_points, resolve_after, direction) in enumerate([
        (1, 5.0, "both"), (2, 10.0, "both"), (3, 3.0, "above"), (4, 30.0, "below"),
        (5, 8.0, "both"), (2, 1.0, "above"), (1, 60.0, "below"), (3, 15.0, "both"),
    ])
]


@pytest.mark.parametrize(("for_points", "resolve_after", "direction", "seed"), CASES)
async def test_incidents_follow_the_reference(
    make_window: WindowFactory, for_points: int, resolve_after: float, direction: str, seed: int
) -> None:
    params = WindowParams(seconds=30.0, sigma=2.5, min_points=4, direction=direction,  # type: ignore[arg-type]
                          for_points=for_points, resolve_after=resolve_after)
    rng = random.Random(seed)
    points = sequence(rng, 3000)
    window = make_window(params)
    await window.rebuild("m", [])
    model = Model(params)
    seen: dict[str, Incident] = {}
    events: list[tuple[str, str]] = []
    alerts = 0
    start = 0
    while start < len(points):
        batch = points[start : start + rng.randint(1, 40)]
        start += len(batch)
        assessment = await window.assess(batch)
        for point, score in zip(batch, assessment.scores, strict=True):
            assert score is not None
            state, pending, alert = model.feed(point)
            alerts += alert
            assert (score.alert, score.state, score.pending) == (alert, state, pending), point
        record(assessment.changes, seen, events)
        if rng.random() < 0.05:  # the metric goes quiet: the wall clock resolves what is due
            now = batch[-1].ts + rng.uniform(0, 2 * resolve_after)
            model.incidents.wall_clock(now)
            change = await window.expire("m", now, params)
            record([change] if change else [], seen, events)

    want = model.incidents.incidents
    assert alerts > 50
    assert len(want) >= 3  # the sequence exercises the machine
    got = list(seen.values())
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert (g.started_at, g.last_alert_at, g.alert_points, g.resolved_at) == (
            w.started_at, w.last_alert_at, len(w.points), w.resolved_at)
        peak_value, peak_z = w.peak
        assert g.peak_value == peak_value
        assert (g.peak_zscore is None) == (peak_z is None)
        if peak_z is not None:
            assert g.peak_zscore == pytest.approx(peak_z, rel=1e-9)
    # Every incident was announced opened once, and resolved once if it resolved.
    for incident in got:
        kinds = [kind for ident, kind in events if ident == incident.id]
        assert kinds == (["opened", "resolved"] if incident.resolved_at is not None else ["opened"])


def record(changes: list[IncidentChange], seen: dict[str, Incident], events: list[tuple[str, str]]) -> None:
    for change in changes:
        seen[change.incident.id] = change.incident
        events.extend((change.incident.id, event.kind) for event in change.events())


async def test_a_disabled_rule_scores_but_never_alerts(make_window: WindowFactory) -> None:
    params = WindowParams(seconds=60.0, sigma=2.5, min_points=4, enabled=False)
    window = make_window(params)
    await window.rebuild("m", [(T0 + i, 10.0 + i % 2) for i in range(10)])
    assessment = await window.assess([Point("m", T0 + 11, 1000.0)])
    [score] = assessment.scores
    assert score is not None
    assert score.zscore is not None
    assert score.zscore > 100
    assert (score.alert, score.state) == (False, "normal")
    assert assessment.changes == []


async def test_a_changed_window_length_rebuilds_and_keeps_the_open_incident(
    make_window: WindowFactory,
) -> None:
    short = WindowParams(seconds=60.0, sigma=2.5, min_points=4)
    window = make_window(short)
    await window.rebuild("m", [(T0 + i, 10.0 + i % 2) for i in range(10)])
    opened = await window.assess([Point("m", T0 + 11, 1000.0)])
    [change] = opened.changes
    assert change.opened
    longer = WindowParams(seconds=120.0, sigma=2.5, min_points=4)
    params_of: Callable[[str], WindowParams] = lambda _metric: longer  # noqa: E731
    missing = await window.assess([Point("m", T0 + 12, 10.0)], params_of)
    assert missing.scores == [None]  # the caller must rebuild for the new length
    await window.rebuild("m", [(T0 + i, 10.0 + i % 2) for i in range(10)], longer, None)
    again = await window.assess([Point("m", T0 + 12, 1000.0)], params_of)
    [score] = again.scores
    assert score is not None
    assert score.state == "firing"
    [extended] = again.changes
    assert extended.incident.id == change.incident.id
    assert extended.incident.alert_points == 2
    assert not extended.opened


async def test_a_rule_keeps_the_settings_point_cap(make_window: WindowFactory) -> None:
    """ALERT_WINDOW_MAX_POINTS holds under a rule too: a rebuild for the rule's window keeps the
    newest points up to the cap, and scoring never lets the window grow past it."""
    defaults = WindowParams(seconds=60.0, sigma=2.5, min_points=3, max_points=8)
    ruled = Rule(id=1, match="m", window_seconds=600.0, sigma=3.0).params(defaults)
    assert (ruled.seconds, ruled.max_points) == (600.0, 8)
    window = make_window(defaults)
    await window.rebuild("m", [(T0 + i, 1000.0 if i < 12 else 10.0 + i % 2) for i in range(20)], ruled, None)
    params_of: Callable[[str], WindowParams] = lambda _metric: ruled  # noqa: E731
    assessment = await window.assess([Point("m", T0 + 20 + i, 10.5) for i in range(3)], params_of)
    # Only the newest 8 (values 10 and 11) form the baseline: the 1000s before them left.
    assert [s.n if s else None for s in assessment.scores] == [8, 8, 8]
    first = assessment.scores[0]
    assert first is not None
    assert first.mean == pytest.approx(10.5)
