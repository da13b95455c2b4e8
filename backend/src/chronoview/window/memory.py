"""In-process rolling windows (SPEC §4): one pair of deques per metric, O(1) amortised per point.

The baseline is kept as running sums of the values shifted by an anchor (s1 = Σd, s2 = Σd², with
d = x − anchor). Every update also adds a bound on the rounding it may have introduced; when the
bound could matter for the statistics in use — the mean drifted away from the anchor, a huge value
left the window, or rounding simply accumulated — the sums are re-anchored at the mean and
recomputed exactly (math.fsum) from the window's contents. With ordinary data that happens about once
every 1.8 million updates (TOL / EPS), so even a window of a few hundred thousand points costs a
fraction of a step per update: O(1) amortised for any window the settings allow at sane rates.
window.lua takes the same steps in Redis.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Sequence
from typing import cast

from chronoview.alerting.incidents import NORMAL, Incident, IncidentChange, OpenIncident, Touched, Tracker
from chronoview.points import Point, Score
from chronoview.window.base import Assessment, ParamsOf, WindowParams

# One rounding, counted twice over: the unit roundoff of a double is 2**-53.
EPS = 2.0**-52
# Recompute when the rounding bound on Σ(x − μ)² could exceed this fraction of it: σ then carries
# half of it, 2e-10, five times inside the 1e-9 the contract promises (a worst-case bound: real
# rounding errors are far smaller). The bound grows by about EPS·Σd² per update, so this also sets
# the period between recomputes, ~TOL / EPS = 1.8 million updates: a recompute, O(window), then
# costs a fraction of a step per update for any window of up to hundreds of thousands of points.
TOL = 4e-10
# Absolute floors, relative to max(1, |μ|), so an exactly flat line never forces recomputes: σ and
# |x − μ| are known to 1e-18·max(1, |μ|), a billionth of the "σ is zero" threshold of SPEC §4.5.
FLOOR_M2 = 1e-36
FLOOR_S1 = 1e-20
# SPEC §4.5: σ (and |x − μ|) at or below this fraction of max(1, |μ|) counts as zero.
FLAT = 1e-12
EPS3 = 3.0 * EPS


def latest_window(
    history: Iterable[tuple[float, float]], seconds: float, max_points: int
) -> tuple[float, list[tuple[float, float]]]:
    """The newest timestamp of `history` and the points a window over it holds, sorted by time.

    Replaying history point by point would keep exactly these: a point too old when it arrived is
    older still against the final newest timestamp, every other point is only ever evicted by it,
    and past `max_points` the oldest leave first.
    """
    pairs = list(history)
    if not pairs:
        return -math.inf, []
    newest = max(ts for ts, _ in pairs)
    cutoff = newest - seconds
    kept = sorted((p for p in pairs if p[0] > cutoff), key=lambda p: p[0])
    return newest, kept[-max_points:]


def drifted(n: int, mean: float, m2: float, std: float, e1: float, bound: float) -> bool:
    """Whether rounding may have reached the statistics in use (the cheap test said it might)."""
    scale = mean if mean > 1.0 else -mean if mean < -1.0 else 1.0
    return not (bound <= TOL * m2 + FLOOR_M2 * scale * scale * n and e1 <= n * (TOL * std + FLOOR_S1 * scale))


class _Touches(Touched):
    """The incidents one call touched, each with the point that first did: `metric` and `at`
    (the point's place among that metric's points in the call) are set before each step."""

    __slots__ = ("at", "first", "metric")

    def __init__(self) -> None:
        super().__init__()
        self.metric = ""
        self.at = 0
        self.first: list[tuple[str, int]] = []  # per change, in the order of `_changes`

    def _get(self, incident: Incident) -> IncidentChange:
        change = self._changes.get(incident.id)
        if change is None:
            change = self._changes[incident.id] = IncidentChange(incident)
            self.first.append((self.metric, self.at))
        return change

    def ordered(self, points: Sequence[Point]) -> list[IncidentChange]:
        """`changes()` in the order of the points that first touched them: the order scoring the
        points one at a time gives (one point may touch two incidents: resolve one, open the
        next; they stay in the order it touched them)."""
        changes = self.changes()
        metrics = {metric for metric, _ in self.first}
        if len(metrics) < 2:
            return changes
        places: dict[str, list[int]] = {metric: [] for metric in metrics}
        for i, point in enumerate(points):
            place = places.get(point.metric)
            if place is not None:
                place.append(i)
        keys = [places[metric][at] for metric, at in self.first]
        return [changes[i] for i in sorted(range(len(changes)), key=keys.__getitem__)]


class _Series:
    """One metric: timestamps and values in parallel deques sorted by time, plus anchored sums."""

    __slots__ = ("anchor", "e1", "e2", "newest", "s1", "s2", "seconds", "stamps", "values")

    def __init__(self, seconds: float, newest: float, points: Sequence[tuple[float, float]]) -> None:
        self.seconds = seconds  # the window length it was built for: another one needs a rebuild
        self.newest = newest
        self.stamps: deque[float] = deque(ts for ts, _ in points)
        self.values: deque[float] = deque(x for _, x in points)
        self.anchor = self.s1 = self.s2 = self.e1 = self.e2 = 0.0
        if points:
            self.recompute()

    def run(
        self, metric: str, points: Sequence[Point], params: WindowParams, tracker: Tracker,
        touched: _Touches, seq: int,
    ) -> list[Score]:
        """Steps 1–7 of SPEC §4 for points of this metric, in order, each scored point stepping
        the metric's incident state machine (SPEC §10); past `params.max_points` the oldest point
        leaves the window. The points get the seqs after `seq`, one each.

        The hot path: the state lives in local variables for the whole run. An incident the
        machine touches is noted in `touched` with the place of the point (its index in `points`).
        """
        scores: list[Score] = []
        emit = scores.append
        stamps, kept = self.stamps, self.values
        newest, anchor, s1, s2, e1, e2 = self.newest, self.anchor, self.s1, self.s2, self.e1, self.e2
        seconds, sigma, min_points = params.seconds, params.sigma, params.min_points
        # Which sign of z alerts: +1 above, -1 below, 0 both; a disabled rule never alerts.
        sign = 1.0 if params.direction == "above" else -1.0 if params.direction == "below" else 0.0
        enabled, for_points, resolve_after = params.enabled, params.for_points, params.resolve_after
        max_points = params.max_points
        for point in points:
            ts, x = point.ts, point.value
            seq += 1
            # Step 1, and the end of the last point's step 7: past ALERT_WINDOW_MAX_POINTS the oldest
            # point leaves (so between runs a window may hold one point over the cap).
            if ts > newest:
                newest = ts
            cutoff = newest - seconds
            if stamps and (stamps[0] <= cutoff or len(stamps) > max_points):
                while stamps and (stamps[0] <= cutoff or len(stamps) > max_points):
                    stamps.popleft()
                    d = kept.popleft() - anchor
                    s1 -= d
                    s2 -= d * d
                    e1 += EPS * (s1 if s1 > 0.0 else -s1)
                    e2 += EPS * (s2 if s2 > 0.0 else -s2)
            n = len(stamps)
            if n == 0:  # an empty window starts over, exactly, anchored at its first value
                s1 = s2 = e1 = e2 = 0.0
                if ts > cutoff:
                    anchor = x
                    stamps.append(ts)
                    kept.append(x)
                emit(Score(None, False, None, None, 0, *tracker.state, seq))
                continue

            # Step 3: the baseline, from the sums unless rounding may have reached them. Written
            # so that NaN (statistics of values near 1e308) counts as drifted too.
            shift = s1 / n
            m2 = s2 - s1 * shift
            if m2 < 0.0:
                m2 = 0.0
            std = math.sqrt(m2 / (n - 1)) if n > 1 else 0.0
            bound = e2 + EPS3 * (s2 if s2 > 0.0 else -s2) + 2.0 * (shift if shift > 0.0 else -shift) * e1
            if not (bound <= TOL * m2 and e1 <= n * TOL * std) and drifted(
                n, anchor + shift, m2, std, e1, bound
            ):
                self.recompute()
                anchor, s1, s2, e1, e2 = self.anchor, self.s1, self.s2, self.e1, self.e2
                shift = s1 / n
                m2 = s2 - s1 * shift
                if m2 < 0.0:
                    m2 = 0.0
                std = math.sqrt(m2 / (n - 1)) if n > 1 else 0.0
            mean = anchor + shift

            if ts <= cutoff:  # step 2: too old; stored by the caller, never part of a baseline
                emit(Score(None, False, mean, std if n > 1 else None, n, *tracker.state, seq))
                continue

            # Steps 4–6; one point alone has no σ (reported as None): a flat line too.
            d = x - anchor
            if n < min_points:
                emit(Score(None, False, mean, std if n > 1 else None, n, *tracker.state, seq))
            else:
                tiny = FLAT * (mean if mean > 1.0 else -mean if mean < -1.0 else 1.0)
                deviation = d - shift
                zscore: float | None
                if std <= tiny:
                    zscore = None
                    size = deviation if deviation > 0.0 else -deviation
                    alert = size > tiny and (sign == 0.0 or sign * deviation > 0.0)
                else:
                    zscore = deviation / std
                    if sign == 0.0:
                        alert = (zscore if zscore > 0.0 else -zscore) >= sigma
                    else:
                        alert = sign * zscore >= sigma
                alert = alert and enabled
                if alert or not tracker.idle:
                    touched.at = len(scores)  # this point's place in `points`
                    state, pending = tracker.step(metric, ts, x, zscore, alert, for_points,
                                                  resolve_after, touched)
                    emit(Score(zscore, alert, mean, std if n > 1 else None, n, state, pending, seq))
                else:
                    emit(Score(zscore, False, mean, std if n > 1 else None, n, NORMAL, 0, seq))

            # Step 7.
            if ts >= stamps[-1]:
                stamps.append(ts)
                kept.append(x)
            else:  # a late point: binary search, then one insert (C-speed block moves)
                i = bisect_right(stamps, ts)
                stamps.insert(i, ts)
                kept.insert(i, x)
            s1 += d
            s2 += d * d
            e1 += EPS * (s1 if s1 > 0.0 else -s1)
            e2 += EPS * (s2 if s2 > 0.0 else -s2)
        self.newest, self.anchor, self.s1, self.s2, self.e1, self.e2 = newest, anchor, s1, s2, e1, e2
        return scores

    def recompute(self) -> None:
        """Re-anchor at the mean and rebuild the sums from the window, correctly rounded."""
        values = self.values
        n = len(values)
        try:
            anchor = math.fsum(values) / n
            deviations = [x - anchor for x in values]
            self.s1 = math.fsum(deviations)
            self.s2 = math.fsum([d * d for d in deviations])
        except OverflowError:  # values near 1e308: statistics overflow, but scoring must not crash
            anchor = sum(values) / n
            deviations = [x - anchor for x in values]
            self.s1, self.s2 = sum(deviations), sum(d * d for d in deviations)
        self.anchor = anchor
        self.e1 = EPS * abs(self.s1)
        self.e2 = EPS * self.s2


class MemoryWindow:
    """Windows held in this process (the embedded shape); a metric has state once rebuilt.

    Incident trackers live beside the windows: a window rebuilt for a new length keeps its metric's
    incident state, as the Redis backend does. So do the seq counters, which `forget` keeps too: a
    number handed out once (even to a point whose write then failed) is never handed out again.
    """

    def __init__(self, params: WindowParams | None = None) -> None:
        self.params = params or WindowParams()
        self._series: dict[str, _Series] = {}
        self._trackers: dict[str, Tracker] = {}
        self._seqs: dict[str, int] = {}  # metric -> the last seq handed out

    async def score(self, points: Sequence[Point]) -> list[Score | None]:
        return (await self.assess(points)).scores

    async def assess(self, points: Sequence[Point], params: ParamsOf | None = None) -> Assessment:
        """Each metric's points in one run, in their order: exactly what scoring them one at a
        time, in the order given, gives (tests/window/test_interleaved.py).

        A metric's scores, seqs and incident steps depend on its own points alone, so only the
        incident changes tell the two orders apart: they are put back in the order the points
        that first touched them came in. A line-protocol body interleaves its series point by
        point; a run per point switched a metric's state in and out for each of them.
        """
        series, trackers, seqs, default = self._series, self._trackers, self._seqs, self.params
        touched = _Touches()
        groups: dict[str, list[Point]] = {}
        for point in points:
            group = groups.get(point.metric)
            if group is None:
                groups[point.metric] = [point]
            else:
                group.append(point)
        results: list[list[Score | None]] = []
        for metric, group in groups.items():
            rule = default if params is None else params(metric)
            state = series.get(metric)
            if state is not None and state.seconds != rule.seconds:
                del series[metric]  # the rule changed the window's length: rebuild it
                state = None
            if state is None:
                results.append([None] * len(group))
                continue
            tracker = trackers.get(metric)
            if tracker is None:
                tracker = trackers[metric] = Tracker()
            seq = seqs.get(metric, 0)
            touched.metric = metric
            results.append(cast("list[Score | None]", state.run(metric, group, rule, tracker, touched, seq)))
            seqs[metric] = seq + len(group)
        if len(results) == 1:
            scores = results[0]
        else:  # back in the order of the points
            nexts = {metric: iter(result).__next__ for metric, result in zip(groups, results, strict=True)}
            scores = [nexts[point.metric]() for point in points]
        return Assessment(scores, touched.ordered(points) if touched else [])

    async def rebuild(
        self, metric: str, history: Sequence[tuple[float, float]],
        params: WindowParams | None = None, incident: OpenIncident | None = None, last_seq: int = 0,
    ) -> None:
        params = params or self.params
        if last_seq > self._seqs.get(metric, 0):
            self._seqs[metric] = last_seq
        seconds, max_points = params.seconds, params.max_points
        if metric not in self._series:
            self._series[metric] = _Series(seconds, *latest_window(history, seconds, max_points))
        if metric not in self._trackers:
            self._trackers[metric] = Tracker(incident)

    async def expire(self, metric: str, now: float, params: WindowParams) -> IncidentChange | None:
        tracker = self._trackers.get(metric)
        if tracker is None:
            raise LookupError(metric)
        touched = Touched()
        tracker.expire(now, params.resolve_after, touched)
        changes = touched.changes()
        return changes[0] if changes else None

    async def forget(self, metrics: Sequence[str]) -> None:
        for metric in metrics:
            self._series.pop(metric, None)
            self._trackers.pop(metric, None)

    async def close(self) -> None:
        self._series.clear()
        self._trackers.clear()
