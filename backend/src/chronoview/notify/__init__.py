"""Notifications (SPEC §11): channels, silences, a durable outbox and the dispatcher that empties it.

Incident changes become `IncidentEvent`s; `outbox.enqueue` writes one delivery row per event ×
channel in the caller's transaction (the one that stores the incident change), and the
`Dispatcher` of every process claims due rows and sends them through the channel's kind module
(`kinds/`), retrying with backoff until delivered or failed.
"""

from chronoview.notify.events import IncidentEvent
from chronoview.notify.outbox import enqueue

__all__ = ["IncidentEvent", "enqueue"]
