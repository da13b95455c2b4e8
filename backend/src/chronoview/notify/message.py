"""One notification, explained: what every channel kind renders (SPEC §11 "Payloads").

Every message names the metric, the value, z, μ ± σ and when the incident started, and links to
the dashboard at the incident and to a frozen snapshot of the metric around it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from chronoview.points import format_ts
from chronoview.schemas import parse_timestamp

APP_NAME = "ChronoView"


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


def _number(value: float | None, spec: str = ".6g") -> str:
    return "n/a" if value is None else format(value, spec)


def _when(ts: float | None) -> str:
    if ts is None:
        return "n/a"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True, slots=True)
class Message:
    event: str  # opened | resolved | reminder | test
    metric: str
    incident_id: str
    incident: dict[str, Any]
    value: float | None
    zscore: float | None
    mean: float | None
    std: float | None
    started_at: float | None
    resolved_at: float | None
    dashboard_url: str
    snapshot_url: str | None

    @property
    def firing(self) -> bool:
        return self.event != "resolved"

    @property
    def status(self) -> str:
        """Alertmanager's word for it."""
        return "firing" if self.firing else "resolved"

    @property
    def title(self) -> str:
        if self.event == "test":
            return f"{APP_NAME}: test notification"
        if self.event == "resolved":
            return f"[RESOLVED] {self.metric}: back to normal"
        prefix = "[FIRING]" if self.event == "opened" else "[STILL FIRING]"
        return f"{prefix} {self.metric}: anomaly since {_when(self.started_at)}"

    @property
    def facts(self) -> list[tuple[str, str]]:
        """(label, text) pairs every kind shows."""
        flat = self.zscore is None and self.value is not None
        z = "n/a (flat line)" if flat else _number(self.zscore, "+.2f")
        facts = [("Metric", self.metric), ("Value", _number(self.value)), ("z", z),
                 ("μ ± σ", f"{_number(self.mean)} ± {_number(self.std)}"),
                 ("Started", _when(self.started_at))]
        if self.resolved_at is not None:
            facts.append(("Resolved", _when(self.resolved_at)))
        peak = self.incident.get("peak_value")
        if peak is not None:
            facts.append(("Peak", f"{_number(peak)} (z {_number(self.incident.get('peak_zscore'), '+.2f')})"))
        return facts

    @property
    def links(self) -> list[tuple[str, str]]:
        links = [("Dashboard", self.dashboard_url)]
        if self.snapshot_url:
            links.append(("Snapshot", self.snapshot_url))
        return links

    def text(self) -> str:
        lines = [self.title, ""]
        lines += [f"{label}: {value}" for label, value in self.facts]
        lines.append("")
        lines += [f"{label}: {url}" for label, url in self.links]
        return "\n".join(lines) + "\n"

    def summary(self) -> str:
        """One line: what a chat message or a phone notification shows first."""
        if self.event == "test":
            return f"{APP_NAME} test notification: this channel works."
        base = f"{self.metric} = {_number(self.value)}"
        if self.zscore is not None:
            base += f" (z {_number(self.zscore, '+.2f')})"
        base += f", μ ± σ {_number(self.mean)} ± {_number(self.std)}, since {_when(self.started_at)}"
        if self.firing:
            return base
        return f"{self.metric} resolved; fired {_when(self.started_at)} to {_when(self.resolved_at)}"

    def html(self) -> str:
        rows = "".join(f"<tr><th align=\"left\">{html.escape(label)}</th><td>{html.escape(value)}</td></tr>"
                       for label, value in self.facts)
        links = " · ".join(f"<a href=\"{html.escape(url)}\">{html.escape(label)}</a>"
                           for label, url in self.links)
        return (f"<!doctype html><html><body><h2>{html.escape(self.title)}</h2>"
                f"<table>{rows}</table><p>{links}</p></body></html>")


def dashboard_url(base: str, metric: str, incident_id: str | None) -> str:
    query = {"metric": metric, "range": "1h"}
    if incident_id:
        query["incident"] = incident_id
    return f"{base}/?{urlencode(query)}"


def build_message(event: str, payload: dict[str, Any], base_url: str, snapshot_url: str | None) -> Message:
    """The message of a stored event (`IncidentEvent.payload`, or `sample_payload`)."""
    incident: dict[str, Any] = dict(payload["incident"])
    metric = str(incident["metric"])
    incident_id = str(incident["id"])
    return Message(
        event=event, metric=metric, incident_id=incident_id, incident=incident,
        value=payload.get("value"), zscore=payload.get("zscore"),
        mean=payload.get("mean"), std=payload.get("std"),
        started_at=_epoch(incident.get("started_at")),
        resolved_at=_epoch(incident.get("resolved_at")),
        dashboard_url=dashboard_url(base_url, metric, None if event == "test" else incident_id),
        snapshot_url=snapshot_url,
    )


def sample_payload(now: float) -> dict[str, Any]:
    """A made-up incident for `POST /channels/{id}/test`."""
    return {"incident": {"id": "test", "metric": "chronoview.test", "state": "firing",
                         "started_at": format_ts(now), "resolved_at": None, "last_alert_at": format_ts(now),
                         "peak_value": 42.0, "peak_zscore": 4.2, "alert_points": 1, "rule": {}},
            "value": 42.0, "zscore": 4.2, "mean": 10.0, "std": 7.6, "ts": now}
