"""The in-process window scores a call's points metric by metric (one run per metric): what it
gives must be exactly what scoring the same points one call per point gives, point-at-a-time
order, on a fresh window: scores, states, seqs, and the incident changes with their order.

Line-protocol bodies interleave their series point by point; the scenarios here interleave a few
metrics at random, each under its own rule (tiny window caps, for_points, directions, short
resolve_after so that incidents open and resolve within a call), with late and too-old points,
metrics that need a rebuild and windows whose length changed.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chronoview.alerting.incidents import Incident, IncidentChange
from chronoview.points import Point, Score
from chronoview.window import MemoryWindow, WindowParams

T0 = 1_750_000_000.0
METRICS = ("a", "b", "c", "d")


@dataclass(frozen=True)
class Scenario:
    rules: dict[str, WindowParams]
    # metric → (history, window length it is built for, open incident) for those rebuilt first
    built: dict[str, tuple[list[tuple[float, float]], float, Incident | None]]
    batches: list[list[Point]]


RULES = st.builds(
    WindowParams,
    seconds=st.sampled_from([3.0, 10.0, 30.0]),
    sigma=st.sampled_from([0.5, 1.0, 2.0]),
    min_points=st.integers(2, 4),
    max_points=st.sampled_from([2, 3, 5, 8, 100_000]),
    direction=st.sampled_from(["both", "above", "below"]),
    for_points=st.integers(1, 3),
    resolve_after=st.sampled_from([0.5, 2.0, 60.0]),
    enabled=st.sampled_from([True, True, True, False]),
)
# How far a point's timestamp moves from its metric's newest, in window lengths: mostly forward,
# some late (still inside), some too old, a few jumps.
MOVES = st.one_of(
    st.sampled_from([0.0, 0.05, 0.1, 0.2]),
    st.floats(0.0, 0.3, allow_nan=False),
    st.floats(-0.9, 0.0, allow_nan=False),
    st.sampled_from([-1.0, -1.5, 0.6, 1.2]),
)
VALUES = st.one_of(
    st.sampled_from([-1.0, 0.0, 0.5, 1.0]),
    st.floats(-2.0, 2.0, allow_nan=False),
    st.sampled_from([-40.0, 25.0, 1e6]),  # outliers: alerts and incidents
)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    metrics = METRICS[: draw(st.integers(2, len(METRICS)))]
    rules = {m: draw(RULES) for m in metrics}
    newest = dict.fromkeys(metrics, T0)

    def point(metric: str) -> Point:
        newest_ts = newest[metric]
        ts = newest_ts + draw(MOVES) * rules[metric].seconds
        newest[metric] = max(newest_ts, ts)
        return Point(metric, ts, 100.0 + draw(VALUES))

    built: dict[str, tuple[list[tuple[float, float]], float, Incident | None]] = {}
    for metric in metrics:
        how = draw(st.sampled_from(["built", "built", "built", "open incident", "other length", "none"]))
        if how == "none":  # never rebuilt: its points come back as None
            continue
        history = [(p.ts, p.value) for p in (point(metric) for _ in range(draw(st.integers(0, 6))))]
        seconds = rules[metric].seconds * (2.0 if how == "other length" else 1.0)
        incident = None
        if how == "open incident":
            incident = Incident(f"stored-{metric}", metric, T0 - 5.0, T0 - 1.0, 130.0, 3.0, 2)
        built[metric] = (history, seconds, incident)
    stream = [point(metric) for metric in draw(st.lists(st.sampled_from(metrics), min_size=1, max_size=80))]
    cuts = sorted(draw(st.sets(st.integers(1, max(len(stream) - 1, 1)), max_size=4)))
    bounds = [0, *[c for c in cuts if c < len(stream)], len(stream)]
    batches = [stream[lo:hi] for lo, hi in itertools.pairwise(bounds)]
    return Scenario(rules, built, [batch for batch in batches if batch])


def merged(calls: Sequence[list[IncidentChange]]) -> list[IncidentChange]:
    """The changes of consecutive calls as one call reports them: one per incident, in the order
    they were first touched, as it stood at the end, with every event any of them produced."""
    out: dict[str, IncidentChange] = {}
    for changes in calls:
        for change in changes:
            seen = out.get(change.incident.id)
            if seen is None:
                out[change.incident.id] = replace(change)
            else:
                seen.incident = change.incident
                seen.opened |= change.opened
                seen.resolved |= change.resolved
    return list(out.values())


class Names:
    """Incident ids are random: each side's are named by their order of first appearance."""

    def __init__(self) -> None:
        self.names: dict[str, int] = {}

    def __call__(self, changes: Sequence[IncidentChange]) -> list[tuple[Any, ...]]:
        out = []
        for change in changes:
            incident = change.incident
            name = self.names.setdefault(incident.id, len(self.names))
            out.append((name, incident.metric, incident.started_at, incident.last_alert_at,
                        incident.peak_value, incident.peak_zscore, incident.alert_points,
                        incident.resolved_at, change.opened, change.resolved))
        return out


def verdicts(scores: Sequence[Score | None]) -> list[tuple[Any, ...] | None]:
    """Every field, those left out of Score's equality (state, pending, seq) included."""
    return [None if s is None else (s.zscore, s.alert, s.mean, s.std, s.n, s.state, s.pending, s.seq)
            for s in scores]


async def check(scenario: Scenario) -> int:
    """Returns how many incident changes the scenario produced (for the coverage check)."""
    grouped, single = MemoryWindow(), MemoryWindow()
    for window in (grouped, single):
        for metric, (history, seconds, incident) in scenario.built.items():
            params = replace(scenario.rules[metric], seconds=seconds)
            await window.rebuild(metric, history, params, incident and replace(incident), last_seq=3)
    rules = scenario.rules.__getitem__
    names_grouped, names_single = Names(), Names()
    changed = 0
    for batch in scenario.batches:
        got = await grouped.assess(batch, rules)
        ones = [await single.assess([p], rules) for p in batch]
        want_scores = [one.scores[0] for one in ones]
        assert verdicts(got.scores) == verdicts(want_scores), batch
        want_changes = merged([one.changes for one in ones])
        assert names_grouped(got.changes) == names_single(want_changes), batch
        changed += len(got.changes)
    return changed


def test_interleaved_points_score_as_one_at_a_time() -> None:
    seen = {"changes": 0, "with": 0}

    @settings(derandomize=True, database=None, deadline=None, max_examples=400,
              suppress_health_check=[HealthCheck.too_slow])
    @given(scenarios())
    def run(scenario: Scenario) -> None:
        changes = asyncio.run(check(scenario))
        seen["changes"] += changes
        seen["with"] += changes > 1

    run()
    # The scenarios must reach what the reordering is about: calls with several incident changes.
    assert seen["with"] >= 5, seen


async def test_changes_of_several_metrics_keep_the_order_of_their_first_points() -> None:
    """A hand-made case: b's incident opens (its 4th point) before a's (its 4th point, later),
    then a's point resolves nothing and b's resolves, then opens again; one call."""
    rule = WindowParams(seconds=100.0, sigma=1.0, min_points=3, for_points=1, resolve_after=5.0)
    window = MemoryWindow(rule)
    for metric in "ab":
        await window.rebuild(metric, [])
    points = [Point(m, T0 + i, 1.0 + i % 2) for i in range(3) for m in "ab"]
    points += [Point("b", T0 + 3, 50.0), Point("a", T0 + 3.5, 50.0), Point("b", T0 + 20, 90.0)]
    got = await window.assess(points)
    assert [(c.incident.metric, c.opened, c.resolved) for c in got.changes] == [
        ("b", True, True), ("a", True, False), ("b", True, False)]
    assert [s.seq for s in got.scores if s is not None] == [1, 1, 2, 2, 3, 3, 4, 4, 5]
