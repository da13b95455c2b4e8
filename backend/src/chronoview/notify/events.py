"""What the incident side hands to notifications: one value per incident change (SPEC §10/§11)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

EventKind = Literal["opened", "resolved", "reminder"]
EVENT_KINDS: tuple[EventKind, ...] = ("opened", "resolved", "reminder")


@dataclass(frozen=True, slots=True)
class IncidentEvent:
    """An incident opened, resolved, or still firing (a reminder), with the point behind it.

    `incident` is the incident object of SPEC §10 as the API answers it (`id`, `metric`, `state`,
    `started_at`, `resolved_at`, `last_alert_at`, `peak_value`, `peak_zscore`, `alert_points`,
    `rule`); `value`, `zscore`, `mean`, `std` and `ts` (epoch seconds) describe the point that made
    the change (all None for a resolve by silence). `notify` is the effective rule's channel list:
    None for "the default channels", empty for none.
    """

    event: EventKind
    incident: Mapping[str, Any]
    value: float | None = None
    zscore: float | None = None
    mean: float | None = None
    std: float | None = None
    ts: float | None = None
    notify: Sequence[int | str] | None = None

    @property
    def channel_ids(self) -> list[int] | None:
        """`notify` as channel ids (rules may hold them as text); None: the default channels."""
        if self.notify is None:
            return None
        return [int(i) for i in dict.fromkeys(str(n).strip() for n in self.notify) if i.isdigit()]

    @property
    def metric(self) -> str:
        return str(self.incident["metric"])

    @property
    def incident_id(self) -> str:
        return str(self.incident["id"])

    def payload(self) -> dict[str, Any]:
        """What the outbox stores (and every delivery of this event renders from)."""
        return {"incident": dict(self.incident), "value": self.value, "zscore": self.zscore,
                "mean": self.mean, "std": self.std, "ts": self.ts}

    @classmethod
    def from_payload(cls, event: str, payload: Mapping[str, Any]) -> IncidentEvent:
        if event not in EVENT_KINDS:
            raise ValueError(f"unknown notification event {event!r}")
        return cls(event, payload["incident"], payload.get("value"), payload.get("zscore"),
                   payload.get("mean"), payload.get("std"), payload.get("ts"))
