"""Alert rules and incidents in SQL (SPEC §10): a mixin of SqlStorage, like series.py.

Incident changes are upserts keyed by the incident's id and written in the transaction of the
points (or resolver pass) that caused them. Writes of one incident can commit out of order (several
batches in flight, several processes), so the merge is order-free: the snapshot with more alert
points wins for the fields that grow with them, and a resolution, once stored, stays.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from chronoview.alerting.incidents import Incident, IncidentChange
from chronoview.alerting.rules import Rule
from chronoview.points import ScoredPoint, to_datetime
from chronoview.storage.base import RuleConflict, StorageUnavailable
from chronoview.storage.host import SqlHost
from chronoview.storage.stamps import to_epoch
from chronoview.storage.tables import alert_rules, incidents


def _incident(row: sa.Row[Any]) -> Incident:
    m = row._mapping
    return Incident(
        str(m["id"]), m["metric"], to_epoch(m["started_at"]), to_epoch(m["last_alert_at"]),
        m["peak_value"], m["peak_zscore"], m["alert_points"],
        None if m["resolved_at"] is None else to_epoch(m["resolved_at"]), dict(m["rule"] or {}),
    )


def _rule(row: sa.Row[Any]) -> Rule:
    m = row._mapping
    return Rule(
        id=int(m["id"]), match=m["match"], sigma=m["sigma"], window_seconds=m["window_seconds"],
        min_points=m["min_points"], direction=m["direction"], for_points=m["for_points"],
        resolve_after_seconds=m["resolve_after_seconds"],
        repeat_interval_seconds=m["repeat_interval_seconds"], enabled=bool(m["enabled"]),
        notify=None if m["notify"] is None else list(m["notify"]),
        created_at=to_epoch(m["created_at"]), updated_at=to_epoch(m["updated_at"]),
    )


_RULE_FIELDS = ("match", "sigma", "window_seconds", "min_points", "direction", "for_points",
                "resolve_after_seconds", "repeat_interval_seconds", "enabled", "notify")


async def store_incident_changes(
    conn: AsyncConnection, dialect: str, changes: Sequence[IncidentChange],
    scored: Sequence[ScoredPoint] = (),
) -> None:
    """Upsert incident changes inside the caller's transaction (that of their points, `scored`),
    with the notification outbox rows of their events (SPEC §11): one commit for all of it."""
    if not changes:
        return
    rows = [{
        "id": UUID(c.incident.id), "metric": c.incident.metric,
        "started_at": to_datetime(c.incident.started_at),
        "last_alert_at": to_datetime(c.incident.last_alert_at),
        "resolved_at": None if c.incident.resolved_at is None else to_datetime(c.incident.resolved_at),
        "peak_value": c.incident.peak_value, "peak_zscore": c.incident.peak_zscore,
        "alert_points": c.incident.alert_points, "rule": c.incident.rule or {},
    } for c in changes]
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(incidents)
    new, old = insert.excluded, incidents.c
    newer = new.alert_points >= old.alert_points

    def grown(column: str) -> sa.ColumnElement[Any]:
        return sa.case((newer, new[column]), else_=old[column])

    statement = insert.on_conflict_do_update(index_elements=[incidents.c.id], set_={
        "last_alert_at": grown("last_alert_at"),
        "peak_value": grown("peak_value"),
        "peak_zscore": grown("peak_zscore"),
        "alert_points": grown("alert_points"),
        "resolved_at": sa.func.coalesce(old.resolved_at, new.resolved_at),
    })
    await conn.execute(statement, rows)
    from chronoview.notify.incidents import events_for  # notify/ imports storage.sql, which imports this
    from chronoview.notify.outbox import enqueue

    await enqueue(conn, events_for(changes, scored))


class AlertingQueries:
    async def write_incidents(self: SqlHost, changes: Sequence[IncidentChange]) -> None:
        async with self.connect(write=True) as conn:
            await store_incident_changes(conn, self.dialect, changes)

    async def open_incident(self: SqlHost, metric: str) -> Incident | None:
        async with self.connect() as conn:
            row = (await conn.execute(
                sa.select(incidents).where(incidents.c.metric == metric, incidents.c.resolved_at.is_(None))
                .order_by(incidents.c.started_at.desc()).limit(1)
            )).first()
        return None if row is None else _incident(row)

    async def open_incidents(self: SqlHost) -> list[Incident]:
        async with self.connect() as conn:
            result = await conn.execute(sa.select(incidents).where(incidents.c.resolved_at.is_(None)))
            return [_incident(row) for row in result]

    async def incidents(
        self: SqlHost, state: str | None, metric: str | None, since: float, limit: int
    ) -> list[Incident]:
        """Incidents that started at or after `since`, or are still open, newest first."""
        query = sa.select(incidents)
        if state == "firing":
            query = query.where(incidents.c.resolved_at.is_(None))
        elif state == "resolved":
            query = query.where(incidents.c.resolved_at.is_not(None))
        if metric is not None:
            query = query.where(incidents.c.metric == metric)
        query = query.where(sa.or_(incidents.c.started_at >= to_datetime(since),
                                   incidents.c.resolved_at.is_(None),
                                   incidents.c.resolved_at >= to_datetime(since)))
        async with self.connect() as conn:
            result = await conn.execute(
                query.order_by(incidents.c.started_at.desc(), incidents.c.id).limit(limit))
            return [_incident(row) for row in result]

    async def incident(self: SqlHost, incident_id: UUID) -> Incident | None:
        async with self.connect() as conn:
            row = (await conn.execute(sa.select(incidents).where(incidents.c.id == incident_id))).first()
        return None if row is None else _incident(row)

    async def purge_incidents(self: SqlHost, before: float, limit: int) -> int:
        """Delete up to `limit` incidents resolved before `before` (open ones always stay)."""
        doomed = (sa.select(incidents.c.id)
                  .where(incidents.c.resolved_at < to_datetime(before)).limit(limit))
        async with self.connect(write=True) as conn:
            result = await conn.execute(
                incidents.delete().where(incidents.c.id.in_(doomed.scalar_subquery())))
        return int(result.rowcount)

    async def alert_rules(self: SqlHost) -> list[Rule]:
        async with self.connect() as conn:
            result = await conn.execute(sa.select(alert_rules).order_by(alert_rules.c.id))
            return [_rule(row) for row in result]

    async def alert_rule(self: SqlHost, rule_id: int) -> Rule | None:
        async with self.connect() as conn:
            row = (await conn.execute(sa.select(alert_rules).where(alert_rules.c.id == rule_id))).first()
        return None if row is None else _rule(row)

    async def create_alert_rule(self: SqlHost, fields: dict[str, Any]) -> Rule:
        """Raises RuleConflict when a rule with the same `match` exists."""
        now = to_datetime(time.time())
        values = {name: fields.get(name) for name in _RULE_FIELDS} | {"created_at": now, "updated_at": now}
        try:
            async with self.connect(write=True) as conn:
                result = await conn.execute(alert_rules.insert().values(values).returning(alert_rules))
                row = result.one()
        except StorageUnavailable as exc:
            if isinstance(exc.__cause__, IntegrityError):  # the unique `match`
                raise RuleConflict(fields["match"]) from None
            raise
        return _rule(row)

    async def update_alert_rule(self: SqlHost, rule_id: int, fields: dict[str, Any]) -> Rule | None:
        values = {name: fields.get(name) for name in _RULE_FIELDS} | {"updated_at": to_datetime(time.time())}
        try:
            async with self.connect(write=True) as conn:
                result = await conn.execute(
                    alert_rules.update().where(alert_rules.c.id == rule_id)
                    .values(values).returning(alert_rules))
                row = result.first()
        except StorageUnavailable as exc:
            if isinstance(exc.__cause__, IntegrityError):  # the unique `match`
                raise RuleConflict(fields["match"]) from None
            raise
        return None if row is None else _rule(row)

    async def delete_alert_rule(self: SqlHost, rule_id: int) -> bool:
        async with self.connect(write=True) as conn:
            result = await conn.execute(alert_rules.delete().where(alert_rules.c.id == rule_id))
        return bool(result.rowcount)
