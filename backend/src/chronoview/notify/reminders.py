"""Reminders (SPEC §11): while an incident keeps firing, a `reminder` event every
`repeat_interval_seconds` of the rule in force when it opened, through the same outbox.

Every process runs the check (the dispatcher, every few seconds); on PostgreSQL an advisory lock
makes the passes take turns, so two processes never write the same reminder.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from chronoview.notify.events import IncidentEvent
from chronoview.notify.outbox import enqueue
from chronoview.notify.store import Database
from chronoview.points import format_ts, to_datetime
from chronoview.storage.stamps import to_epoch
from chronoview.storage.tables import incidents, notify_events, points

_REMINDER_LOCK = 0x43_56_52_4D  # any constant: one reminder pass at a time across processes


def _incident_json(m: Any) -> dict[str, Any]:
    return {"id": str(m["id"]), "metric": m["metric"], "state": "firing",
            "started_at": format_ts(to_epoch(m["started_at"])), "resolved_at": None,
            "last_alert_at": format_ts(to_epoch(m["last_alert_at"])), "peak_value": m["peak_value"],
            "peak_zscore": m["peak_zscore"], "alert_points": m["alert_points"], "rule": dict(m["rule"] or {})}


async def _due(conn: Any, now: float) -> list[Any]:
    """Open incidents whose rule repeats and whose last message is at least an interval old."""
    rows = [row._mapping for row in await conn.execute(
        sa.select(incidents).where(incidents.c.resolved_at.is_(None)))]
    repeating = {str(m["id"]): m for m in rows if (m["rule"] or {}).get("repeat_interval_seconds")}
    if not repeating:
        return []
    told = dict((await conn.execute(
        sa.select(notify_events.c.incident_id, sa.func.max(notify_events.c.created_at))
        .where(notify_events.c.incident_id.in_(list(repeating)))
        .group_by(notify_events.c.incident_id))).all())
    return [m for key, m in repeating.items() if key in told
            and now >= to_epoch(told[key]) + float(m["rule"]["repeat_interval_seconds"])]


async def remind(db: Database, now: float) -> int:
    """Write the reminders that are due at `now`; returns how many events were written."""
    async with db.connect() as conn:  # most passes find nothing: no write transaction for them
        if not await _due(conn, now):
            return 0
    async with db.connect(write=True) as conn:
        if db.dialect == "postgresql":
            await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_REMINDER_LOCK)))
        events: list[IncidentEvent] = []
        for m in await _due(conn, now):  # again, under the lock: another process may have written them
            latest = (await conn.execute(
                sa.select(points.c.ts, points.c.value, points.c.zscore, points.c.mean, points.c.std)
                .where(points.c.metric == m["metric"], points.c.ts <= to_datetime(now))
                .order_by(points.c.ts.desc()).limit(1))).first()
            incident = _incident_json(m)
            notify = incident["rule"].get("notify")
            if latest is None:
                events.append(IncidentEvent("reminder", incident, notify=notify))
            else:
                events.append(IncidentEvent("reminder", incident, value=latest.value, zscore=latest.zscore,
                                            mean=latest.mean, std=latest.std, ts=to_epoch(latest.ts),
                                            notify=notify))
        await enqueue(conn, events, now)
    return len(events)
