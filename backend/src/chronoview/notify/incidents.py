"""From the incident side (alerting/) to notification events: each change with the point behind it.

`store_incident_changes` calls `events_for` and `outbox.enqueue` in the transaction that stores the
changes, so an incident change and its deliveries commit together (SPEC §3, §11).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chronoview.alerting.incidents import IncidentChange
from chronoview.notify.events import EventKind, IncidentEvent
from chronoview.points import ScoredPoint


def _event(kind: EventKind, incident: dict[str, Any], point: ScoredPoint | None,
           notify: Any) -> IncidentEvent:
    if kind == "opened":  # a batch may open and resolve one incident: the opening is told as firing
        incident = {**incident, "state": "firing", "resolved_at": None}
    if point is None:  # resolved by the wall clock: no point behind it
        return IncidentEvent(kind, incident, notify=notify)
    score = point.score
    return IncidentEvent(kind, incident, value=point.point.value, zscore=score.zscore, mean=score.mean,
                         std=score.std, ts=point.point.ts, notify=notify)


def events_for(changes: Sequence[IncidentChange], scored: Sequence[ScoredPoint] = ()) -> list[IncidentEvent]:
    """The events of `changes`, each with its point from `scored`: the alert point that opened the
    incident, and the newest point of its metric for a resolve (none for a resolve by silence)."""
    newest: dict[str, ScoredPoint] = {}
    at: dict[tuple[str, float], ScoredPoint] = {}
    for item in scored:
        newest[item.point.metric] = item
        if item.score.alert:
            at[(item.point.metric, item.point.ts)] = item
    events: list[IncidentEvent] = []
    for change in changes:
        incident = change.incident
        rule = incident.rule or {}
        notify = rule.get("notify")  # the rule in force when it opened: None → the default channels
        shown = incident.as_json()
        if change.opened:
            opener = at.get((incident.metric, incident.last_alert_at)) or newest.get(incident.metric)
            events.append(_event("opened", shown, opener, notify))
        if change.resolved:
            events.append(_event("resolved", shown, newest.get(incident.metric), notify))
    return events
