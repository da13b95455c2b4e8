"""The rolling window interface (SPEC §4): score points against each metric's recent baseline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from chronoview.points import Point, Score

if TYPE_CHECKING:
    from chronoview.alerting.incidents import IncidentChange, OpenIncident

Direction = Literal["both", "above", "below"]


@dataclass(frozen=True, slots=True)
class WindowParams:
    """How one metric is scored (SPEC §4) and how its incidents open and resolve (SPEC §10)."""

    seconds: float = 300.0
    sigma: float = 2.5
    min_points: int = 5
    # ALERT_WINDOW_MAX_POINTS: past it, the oldest points (by timestamp) leave the window first.
    max_points: int = 100_000
    direction: Direction = "both"
    for_points: int = 1
    resolve_after: float = 60.0
    enabled: bool = True


# The parameters of each metric: the effective alert rule (chronoview.alerting.rules.RuleBook).
ParamsOf = Callable[[str], WindowParams]


@dataclass(slots=True)
class Assessment:
    """What one scoring call decided: a score per point (None: the metric needs a rebuild) and
    the incidents it opened, extended or resolved, in scoring order."""

    scores: list[Score | None]
    changes: list[IncidentChange]


class Window(Protocol):
    params: WindowParams  # the settings' defaults, for metrics the caller gives no parameters

    async def assess(self, points: Sequence[Point], params: ParamsOf | None = None) -> Assessment:
        """Score points in order, give each the next seq of its metric (Score.seq), add them
        to their windows and step their incident state machines, atomically per metric.

        A metric with no state yet (start-up, Redis flushed or evicted), or whose window length
        changed, is left untouched and its points come back as None: the caller rebuilds it from
        the database and scores them again.
        """
        ...

    async def score(self, points: Sequence[Point]) -> list[Score | None]:
        """`assess` with the default parameters, scores only."""
        ...

    async def rebuild(
        self, metric: str, history: Sequence[tuple[float, float]],
        params: WindowParams | None = None, incident: OpenIncident | None = None, last_seq: int = 0,
    ) -> None:
        """Install a metric's window from stored (ts, value) pairs in arrival order, unless
        present. Its incident state is kept when the backend still has it, else `incident` (the
        open incident stored in the database) is installed. The metric's seq counter is raised to
        at least `last_seq` (`Storage.last_seq`: the highest seq stored or passed), never lowered."""
        ...

    async def expire(self, metric: str, now: float, params: WindowParams) -> IncidentChange | None:
        """Resolve the metric's open incident if `now` (the wall clock) is past its
        last_alert_at + resolve_after (SPEC §10, a metric that stopped reporting). None when there
        is nothing to resolve; raises LookupError when the backend has no state for the metric."""
        ...

    async def forget(self, metrics: Sequence[str]) -> None:
        """Drop state so the next score rebuilds from the database (used after a failed write)."""
        ...

    async def close(self) -> None: ...
