"""An independent model of the SPEC §10 incident state machine, used only by tests.

It is written from the text, not from chronoview.alerting: it keeps the whole list of scored points
and derives each answer from that list (the current run of alerting points, the open incident's
points), slowly and plainly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class RefIncident:
    started_at: float
    points: list[tuple[float, float, float | None]]  # (ts, value, z) of its alerting points
    resolved_at: float | None = None

    @property
    def last_alert_at(self) -> float:
        return max(ts for ts, _, _ in self.points)

    @property
    def peak(self) -> tuple[float, float | None]:
        """(value, z) of the alerting point with the largest |z| (null z: infinite), first wins."""
        best = max(range(len(self.points)),
                   key=lambda i: (math.inf if self.points[i][2] is None else abs(self.points[i][2]), -i))
        return self.points[best][1], self.points[best][2]


@dataclass
class ReferenceIncidents:
    for_points: int
    resolve_after: float
    run: list[tuple[float, float, float | None]] = field(default_factory=list)
    incidents: list[RefIncident] = field(default_factory=list)

    @property
    def open(self) -> RefIncident | None:
        if self.incidents and self.incidents[-1].resolved_at is None:
            return self.incidents[-1]
        return None

    def state(self) -> tuple[str, int]:
        if self.open is not None:
            return "firing", 0
        return ("pending", len(self.run)) if self.run else ("normal", 0)

    def scored(self, ts: float, value: float, z: float | None, alert: bool) -> tuple[str, int]:
        """One scored point (n ≥ m, inside the window): the metric's state after it."""
        current = self.open
        if current is not None and ts >= current.last_alert_at + self.resolve_after:
            current.resolved_at = current.last_alert_at + self.resolve_after
        if self.open is not None:
            if alert:
                self.open.points.append((ts, value, z))
            return self.state()
        if not alert:
            self.run = []
            return self.state()
        self.run.append((ts, value, z))
        if len(self.run) == self.for_points:
            self.incidents.append(RefIncident(self.run[0][0], self.run))
            self.run = []
        return self.state()

    def wall_clock(self, now: float) -> None:
        current = self.open
        if current is not None and now >= current.last_alert_at + self.resolve_after:
            current.resolved_at = current.last_alert_at + self.resolve_after
