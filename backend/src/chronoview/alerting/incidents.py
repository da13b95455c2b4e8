"""Incidents (SPEC §10): the values, and the state machine of one metric as the in-process window
runs it. window/window.lua runs the same steps in Redis; tests/alerting/reference.py is an
independent model both are checked against.

Per metric, in scoring order, for scored points only (n ≥ m, inside the window):
- an open incident resolves when a point arrives at or after last_alert_at + resolve_after (the
  silence already passed, whatever that point says); resolved_at is that moment;
- while firing, an alerting point extends the incident (last_alert_at, alert_points, peak);
- otherwise alerting points are counted (pending) and a non-alerting one resets the count; the
  count reaching for_points opens an incident that started at the first of them.
The peak is the alerting point with the largest |z|; a flat-line alert (null z) counts as infinite.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from chronoview.points import format_ts

NORMAL, PENDING, FIRING = "normal", "pending", "firing"
# The bus and hub key of incident events: never a metric name (SPEC §5 names start alphanumeric).
STREAM_KEY = "!incidents"


@dataclass(slots=True)
class Incident:
    id: str  # a UUID, chosen by the process whose point opened it
    metric: str
    started_at: float
    last_alert_at: float
    peak_value: float
    peak_zscore: float | None
    alert_points: int
    resolved_at: float | None = None
    rule: dict[str, Any] | None = None  # the rule fields in force when it opened

    @property
    def state(self) -> str:
        return FIRING if self.resolved_at is None else "resolved"

    def as_json(self) -> dict[str, Any]:
        """The incident object of SPEC §10."""
        return {
            "id": self.id,
            "metric": self.metric,
            "state": self.state,
            "started_at": format_ts(self.started_at),
            "resolved_at": None if self.resolved_at is None else format_ts(self.resolved_at),
            "last_alert_at": format_ts(self.last_alert_at),
            "peak_value": self.peak_value,
            "peak_zscore": self.peak_zscore,
            "alert_points": self.alert_points,
            "rule": self.rule or {},
        }


# An open incident as read back from the database, to install into a rebuilt window.
OpenIncident = Incident


@dataclass(slots=True)
class IncidentChange:
    """An incident as it stands after one scoring call (or a resolver pass) that touched it.

    Storage upserts it in the transaction of the points that caused it; `opened` / `resolved` say
    which events that call produced (both, when it opened and resolved within one batch).
    """

    incident: Incident
    opened: bool = False
    resolved: bool = False

    def events(self) -> Iterator[IncidentEvent]:
        if self.opened:
            yield IncidentEvent("opened", self.incident)
        if self.resolved:
            yield IncidentEvent("resolved", self.incident)


@dataclass(frozen=True, slots=True)
class IncidentEvent:
    """What notifications (the outbox) and the stream (`incidents=1`) are told about."""

    kind: Literal["opened", "resolved"]
    incident: Incident

    def message(self) -> dict[str, Any]:
        return {"type": "incident", "event": self.kind, "incident": self.incident.as_json()}


def events_of(changes: Sequence[IncidentChange]) -> list[IncidentEvent]:
    return [event for change in changes for event in change.events()]


def new_incident_id() -> str:
    return str(uuid.uuid4())


class Tracker:
    """The incident state of one metric, held by the in-process window."""

    __slots__ = ("count", "last", "open", "peak_abs", "peak_value", "peak_z", "start")

    def __init__(self, open_incident: Incident | None = None) -> None:
        self.open = open_incident
        self.count = 0  # consecutive alerting points while not firing
        self.start = self.last = 0.0
        self.peak_value, self.peak_abs = 0.0, -1.0
        self.peak_z: float | None = None

    @property
    def state(self) -> tuple[str, int]:
        """The metric's state and pending count, as a point that does not step the machine sees it."""
        if self.open is not None:
            return FIRING, 0
        return (PENDING, self.count) if self.count else (NORMAL, 0)

    @property
    def idle(self) -> bool:
        return self.open is None and self.count == 0

    def step(
        self, metric: str, ts: float, value: float, zscore: float | None, alert: bool,
        for_points: int, resolve_after: float, touched: Touched,
    ) -> tuple[str, int]:
        """One scored point; returns the metric's state after it and the pending count."""
        incident = self.open
        if incident is not None and ts >= incident.last_alert_at + resolve_after:
            incident.resolved_at = incident.last_alert_at + resolve_after
            touched.resolved(incident)
            self.open = incident = None
        size = math.inf if zscore is None else abs(zscore)
        if incident is not None:
            if alert:
                incident.alert_points += 1
                incident.last_alert_at = max(incident.last_alert_at, ts)
                if size > (math.inf if incident.peak_zscore is None else abs(incident.peak_zscore)):
                    incident.peak_value, incident.peak_zscore = value, zscore
                touched.extended(incident)
            return FIRING, 0
        if not alert:
            self.count = 0
            return NORMAL, 0
        if self.count == 0:
            self.start, self.last, self.peak_abs = ts, ts, -1.0
        self.count += 1
        self.last = max(self.last, ts)
        if size > self.peak_abs:
            self.peak_value, self.peak_z, self.peak_abs = value, zscore, size
        if self.count < for_points:
            return PENDING, self.count
        self.open = Incident(new_incident_id(), metric, self.start, self.last, self.peak_value,
                             self.peak_z, self.count)
        self.count = 0
        touched.opened(self.open)
        return FIRING, 0

    def expire(self, now: float, resolve_after: float, touched: Touched) -> None:
        incident = self.open
        if incident is not None and now >= incident.last_alert_at + resolve_after:
            incident.resolved_at = incident.last_alert_at + resolve_after
            touched.resolved(incident)
            self.open = None


class Touched:
    """The incidents one call touched, in order, with the events it produced."""

    __slots__ = ("_changes",)

    def __init__(self) -> None:
        self._changes: dict[str, IncidentChange] = {}

    def _get(self, incident: Incident) -> IncidentChange:
        change = self._changes.get(incident.id)
        if change is None:
            change = self._changes[incident.id] = IncidentChange(incident)
        return change

    def opened(self, incident: Incident) -> None:
        self._get(incident).opened = True

    def extended(self, incident: Incident) -> None:
        self._get(incident)

    def resolved(self, incident: Incident) -> None:
        self._get(incident).resolved = True

    def __bool__(self) -> bool:
        return bool(self._changes)

    def changes(self) -> list[IncidentChange]:
        """Copies: the live incidents go on changing with later calls."""
        return [IncidentChange(replace(c.incident), c.opened, c.resolved) for c in self._changes.values()]
