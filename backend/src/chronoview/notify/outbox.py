"""The durable outbox (SPEC §11): one delivery row per event × channel, written in the caller's
transaction, claimed by dispatchers so that no two processes send one row at once.

Claiming marks a row `sending` with a lease (PostgreSQL: the candidates are picked `FOR UPDATE
SKIP LOCKED`, so concurrent claimers skip each other's rows instead of waiting or taking them);
the send itself happens outside any transaction, and a row whose process died mid-send is due
again once its lease has passed. Rows of one incident on one channel go out in order: a row waits
while an earlier one of the same incident and channel is still pending or being sent.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from chronoview.notify.events import IncidentEvent
from chronoview.notify.retry import Decision
from chronoview.notify.store import ChannelRecord, Database, channel_record, glob_matches, silence_record
from chronoview.points import JsonTimestamp, to_datetime
from chronoview.storage.base import SnapshotRecord
from chronoview.storage.stamps import to_epoch
from chronoview.storage.tables import channels, deliveries, notify_events, silences, snapshots

LEASE_SECONDS = 30.0  # well over the 10 s send timeout
REPOST_RETRY_SECONDS = 30.0
_OPEN = ("pending", "sending")


async def enqueue(conn: AsyncConnection, events: Sequence[IncidentEvent], now: float | None = None) -> int:
    """Write the deliveries of `events` in `conn`'s transaction; returns how many are to be sent.

    Each event goes to its rule's channels (`notify`), or to the default channels when the rule
    names none. A matching silence writes the row as `silenced` with the reason; a disabled
    channel's row is `failed` at once. A resolve stops the Alertmanager re-posts of its incident.
    """
    if not events:
        return 0
    now = time.time() if now is None else now
    stamp = to_datetime(now)
    known = [channel_record(row) for row in await conn.execute(sa.select(channels))]
    by_id = {c.id: c for c in known}
    defaults = [c.id for c in known if c.is_default]
    active = [silence_record(row) for row in
              await conn.execute(sa.select(silences).where(silences.c.until > stamp).order_by(silences.c.id))]
    # Each event's (channel, state, reason), worked out before the first write: on SQLite that
    # write takes the database's one write lock, which ingest waits for until the commit.
    planned: list[list[tuple[int, str, str | None]]] = []
    for event in events:
        silence = next((s for s in active if glob_matches(s.match, event.metric)), None)
        chosen = event.channel_ids
        targets = defaults if chosen is None else [i for i in chosen if i in by_id]
        planned.append([])
        for channel_id in targets:
            channel = by_id[channel_id]
            state, reason = "pending", None
            if silence is not None:
                state, reason = "silenced", silence.reason()
            elif not channel.enabled:
                state, reason = "failed", f"channel disabled: {channel.disabled_reason or 'by an admin'}"
            planned[-1].append((channel_id, state, reason))
    await _write(conn, events, planned, now)
    resolved = sorted({e.incident_id for e in events if e.event == "resolved"})
    if resolved:
        await conn.execute(deliveries.update().where(deliveries.c.incident_id.in_(resolved),
                                                     deliveries.c.repeat_at.is_not(None))
                           .values(repeat_at=None))
    return sum(1 for plan in planned for _, state, _ in plan if state == "pending")


async def _write(conn: AsyncConnection, events: Sequence[IncidentEvent],
                 planned: list[list[tuple[int, str, str | None]]], now: float) -> None:
    """The events, then their deliveries, each a multi-row INSERT (one statement per page).

    A deliveries row needs its event's id. SQLAlchemy's `sort_by_parameter_order` would insert one
    event per statement on SQLite (nothing there ties a new rowid to its parameter set): a hundred
    round trips for a hundred events, the write lock held throughout. One multi-row INSERT numbers
    its rows in the order given instead (each new id is the largest so far plus one on SQLite, the
    sequence's next value on PostgreSQL, and no other writer of the table comes between on SQLite,
    whose lock is held), so the sorted ids of a page are in the order of its rows. The rows are
    made before the first write, which on SQLite takes the lock that ingest waits for.
    """
    stamp = to_datetime(now)
    values = [{"event": e.event, "incident_id": e.incident_id, "metric": e.metric, "payload": e.payload(),
               "created_at": stamp} for e in events]
    pending = [[{"delivery_id": uuid.uuid4(), "channel_id": channel_id, "incident_id": event.incident_id,
                 "state": state, "attempts": 0, "next_attempt_at": stamp if state == "pending" else None,
                 "reason": reason, "created_at": stamp, "updated_at": stamp}
                for channel_id, state, reason in plan]
               for event, plan in zip(events, planned, strict=True)]
    # SQLAlchemy batches the rows into multi-row INSERTs of up to 1,000 ("insertmanyvalues");
    # `sort_by_parameter_order` would make that one row per statement on SQLite, so there the
    # order comes from the ids themselves (a page's rows are numbered in the order given).
    sqlite = conn.dialect.name == "sqlite"
    inserted = await conn.execute(
        notify_events.insert().returning(notify_events.c.id, sort_by_parameter_order=not sqlite), values)
    event_ids = inserted.scalars().all()
    if sqlite:  # its pages run in turn, in this transaction's lock: sorted ids are in parameter order
        event_ids = sorted(event_ids)
    rows = [{**row, "event_id": event_id}
            for plan, event_id in zip(pending, event_ids, strict=True) for row in plan]
    if rows:
        await conn.execute(deliveries.insert(), rows)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this process now owns until `LEASE_SECONDS` from the claim."""

    id: int
    delivery_id: str
    attempts: int  # including the one about to be made
    created_at: float
    repost: bool  # an Alertmanager re-post of a delivered row, not a new attempt
    event_id: int
    event: str
    payload: dict[str, Any]
    snapshot_id: uuid.UUID | None
    channel: ChannelRecord


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one claimed delivery's send went, and what becomes of it."""

    item: Claimed
    decision: Decision
    status: int | None
    error: str | None
    now: float
    repost_at: float | None  # when to post a delivered Alertmanager alert again


def _bound(name: str) -> sa.BindParameter[Any]:
    return sa.bindparam(f"b_{name}", type_=deliveries.c[name].type)


# A sent row's new state, for many rows at once (executemany); delivered_at is set only on delivery.
_SETTLE = (deliveries.update().where(deliveries.c.id == sa.bindparam("b_id"))
           .values(state=_bound("state"), lease_until=None, last_status=_bound("last_status"),
                   last_error=_bound("last_error"), updated_at=_bound("updated_at"), reason=_bound("reason"),
                   next_attempt_at=_bound("next_attempt_at"),
                   delivered_at=sa.func.coalesce(_bound("delivered_at"), deliveries.c.delivered_at)))


def _settled(outcome: Outcome) -> dict[str, Any]:
    decision, stamp = outcome.decision, to_datetime(outcome.now)
    retry_at = decision.next_attempt_at if decision.state == "pending" else None
    return {"b_id": outcome.item.id, "b_state": decision.state, "b_last_status": outcome.status,
            "b_last_error": outcome.error, "b_updated_at": stamp, "b_reason": decision.reason,
            "b_next_attempt_at": None if retry_at is None else to_datetime(retry_at),
            "b_delivered_at": stamp if decision.state == "delivered" else None}


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One delivery as the log shows it (GET /notifications answers these as they are)."""

    id: str
    channel_id: int
    channel: str | None
    kind: str | None
    event: str
    metric: str
    incident_id: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    reason: str | None
    created_at: JsonTimestamp
    updated_at: JsonTimestamp
    next_attempt_at: JsonTimestamp | None
    delivered_at: JsonTimestamp | None


def _epoch(value: Any) -> float | None:
    return None if value is None else to_epoch(value)


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, now: float, limit: int) -> list[Claimed]:
        """Take up to `limit` due deliveries (and Alertmanager re-posts), oldest due first."""
        stamp, lease = to_datetime(now), to_datetime(now + LEASE_SECONDS)
        earlier = deliveries.alias("earlier")
        waits_for_earlier = sa.exists().where(
            earlier.c.incident_id == deliveries.c.incident_id,
            earlier.c.channel_id == deliveries.c.channel_id,
            earlier.c.id < deliveries.c.id,
            sa.or_(earlier.c.state.in_(_OPEN), earlier.c.lease_until > stamp),
        )
        due_rows = sa.select(deliveries.c.id).where(
            sa.or_(sa.and_(deliveries.c.state == "pending", deliveries.c.next_attempt_at <= stamp),
                   sa.and_(deliveries.c.state == "sending", deliveries.c.lease_until <= stamp)),
            ~waits_for_earlier)
        repost_rows = sa.select(deliveries.c.id).where(
            deliveries.c.state == "delivered", deliveries.c.repeat_at <= stamp,
            sa.or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until <= stamp))
        # A read first: most polls find nothing, and a write transaction for nothing would take
        # SQLite's one write lock away from ingest every second.
        async with self.db.connect() as conn:
            anything = await conn.scalar(sa.select(sa.or_(sa.exists(due_rows), sa.exists(repost_rows))))
        if not anything:
            return []
        due = (due_rows.order_by(deliveries.c.next_attempt_at, deliveries.c.id).limit(limit)
               .with_for_update(skip_locked=True))
        reposts = repost_rows.order_by(deliveries.c.repeat_at).limit(limit).with_for_update(skip_locked=True)
        async with self.db.connect(write=True) as conn:
            sent = (await conn.execute(
                deliveries.update().where(deliveries.c.id.in_(due.scalar_subquery()))
                .values(state="sending", lease_until=lease, attempts=deliveries.c.attempts + 1,
                        updated_at=stamp).returning(deliveries.c.id))).scalars().all()
            again = (await conn.execute(
                deliveries.update().where(deliveries.c.id.in_(reposts.scalar_subquery()))
                .values(lease_until=lease).returning(deliveries.c.id))).scalars().all()
        ids = [*sent, *again]
        if not ids:
            return []
        query = (sa.select(deliveries.c.id, deliveries.c.delivery_id, deliveries.c.attempts,
                           deliveries.c.created_at, deliveries.c.state, notify_events.c.id.label("event_id"),
                           notify_events.c.event, notify_events.c.payload, notify_events.c.snapshot_id,
                           *[c.label(f"channel_{c.name}") for c in channels.c])
                 .join(notify_events, notify_events.c.id == deliveries.c.event_id)
                 .join(channels, channels.c.id == deliveries.c.channel_id)
                 .where(deliveries.c.id.in_(ids)).order_by(deliveries.c.id))
        async with self.db.connect() as conn:
            rows = (await conn.execute(query)).all()
        claimed = []
        for row in rows:
            m = row._mapping
            channel = channel_record(_Prefixed(m, "channel_"))  # type: ignore[arg-type]
            claimed.append(Claimed(m["id"], str(m["delivery_id"]), m["attempts"], to_epoch(m["created_at"]),
                                   m["state"] == "delivered", m["event_id"], m["event"], dict(m["payload"]),
                                   m["snapshot_id"], channel))
        return claimed

    async def finish(self, outcomes: Sequence[Outcome]) -> None:
        """Record how sends went, all in one transaction (one commit for a whole round), the rows'
        new states in one statement: the shorter SQLite's write lock is held, the less ingest waits."""
        if not outcomes:
            return
        settled = [_settled(outcome) for outcome in outcomes if not outcome.item.repost]
        async with self.db.connect(write=True) as conn:
            if settled:
                await conn.execute(_SETTLE, settled)
            for outcome in outcomes:
                await self._record(conn, outcome)

    async def _record(self, conn: AsyncConnection, outcome: Outcome) -> None:
        """What `_SETTLE` does not cover: re-posts, the next re-post of a delivered alert, 410."""
        item, decision, now = outcome.item, outcome.decision, outcome.now
        stamp = to_datetime(now)
        mine = deliveries.c.id == item.id
        if item.repost:
            again = outcome.repost_at if decision.state == "delivered" else now + REPOST_RETRY_SECONDS
            await conn.execute(deliveries.update().where(mine, deliveries.c.repeat_at.is_not(None))
                               .values(repeat_at=to_datetime(again) if again else None))
            await conn.execute(deliveries.update().where(mine).values(
                lease_until=None, last_status=outcome.status, last_error=outcome.error, updated_at=stamp))
            return
        if decision.state == "delivered" and outcome.repost_at is not None:
            # Only while the incident has not been resolved meanwhile.
            resolved = sa.exists().where(notify_events.c.incident_id == item.payload["incident"]["id"],
                                         notify_events.c.event == "resolved")
            await conn.execute(deliveries.update().where(mine, ~resolved)
                               .values(repeat_at=to_datetime(outcome.repost_at)))
        if decision.disable_channel:
            await conn.execute(channels.update().where(channels.c.id == item.channel.id)
                               .values(enabled=False, disabled_reason=decision.reason, updated_at=stamp))

    async def release(self, items: Sequence[Claimed], now: float) -> None:
        """Give back rows whose send was interrupted (shutdown): due again at once."""
        ids = [item.id for item in items if not item.repost]
        if not ids:
            return
        async with self.db.connect(write=True) as conn:
            await conn.execute(deliveries.update().where(deliveries.c.id.in_(ids),
                                                         deliveries.c.state == "sending")
                               .values(state="pending", lease_until=None, next_attempt_at=to_datetime(now)))

    async def attach_snapshots(self, made: dict[int, SnapshotRecord]) -> dict[int, uuid.UUID]:
        """Store snapshots for events (event id → record) in one transaction, each attached to its
        event unless another process attached one first; returns event id → the snapshot attached."""
        if not made:
            return {}
        async with self.db.connect(write=True) as conn:
            await conn.execute(snapshots.insert(), [
                {"id": r.id, "state": r.state, "data": r.data, "created_at": to_datetime(r.created_at),
                 "expires_at": None if r.expires_at is None else to_datetime(r.expires_at),
                 "delete_key_hash": r.delete_key_hash} for r in made.values()])
            # In id order: two processes attaching to the same events lock them in the same order
            # (in any other order they could deadlock). One statement for all of them.
            await conn.execute(
                notify_events.update().where(notify_events.c.id == sa.bindparam("b_id"),
                                             notify_events.c.snapshot_id.is_(None))
                .values(snapshot_id=sa.bindparam("b_snapshot_id", type_=notify_events.c.snapshot_id.type)),
                [{"b_id": event_id, "b_snapshot_id": record.id} for event_id, record in sorted(made.items())])
            rows = await conn.execute(sa.select(notify_events.c.id, notify_events.c.snapshot_id)
                                      .where(notify_events.c.id.in_(list(made))))
            return {event_id: snapshot_id for event_id, snapshot_id in rows}

    async def log(self, channel_id: int | None, state: str | None, limit: int) -> list[LogEntry]:
        query = (sa.select(deliveries, notify_events.c.event, notify_events.c.metric,
                           channels.c.name.label("channel_name"), channels.c.kind)
                 .join(notify_events, notify_events.c.id == deliveries.c.event_id)
                 .outerjoin(channels, channels.c.id == deliveries.c.channel_id))
        if channel_id is not None:
            query = query.where(deliveries.c.channel_id == channel_id)
        if state is not None:
            query = query.where(deliveries.c.state == state)
        async with self.db.connect() as conn:
            rows = (await conn.execute(query.order_by(deliveries.c.id.desc()).limit(limit))).all()
        return [LogEntry(str(m["delivery_id"]), m["channel_id"], m["channel_name"], m["kind"], m["event"],
                         m["metric"], m["incident_id"], m["state"], m["attempts"], m["last_status"],
                         m["last_error"], m["reason"], to_epoch(m["created_at"]), to_epoch(m["updated_at"]),
                         _epoch(m["next_attempt_at"]), _epoch(m["delivered_at"]))
                for m in (row._mapping for row in rows)]

    async def purge(self, before: float, limit: int) -> int:
        """Delete up to `limit` settled deliveries written before `before`, and events left without any."""
        cutoff = to_datetime(before)
        old = (sa.select(deliveries.c.id)
               .where(deliveries.c.created_at < cutoff, deliveries.c.state.not_in(_OPEN),
                      deliveries.c.repeat_at.is_(None)).limit(limit))
        async with self.db.connect(write=True) as conn:
            deleted = (await conn.execute(deliveries.delete().where(
                deliveries.c.id.in_(old.scalar_subquery())))).rowcount
            orphan = ~sa.exists().where(deliveries.c.event_id == notify_events.c.id)
            await conn.execute(notify_events.delete().where(notify_events.c.created_at < cutoff, orphan))
        return int(deleted or 0)


class _Prefixed:
    """The `channel_*` columns of a joined row, seen as a channels row."""

    def __init__(self, mapping: Any, prefix: str) -> None:
        self._mapping = {key[len(prefix):]: value for key, value in mapping.items()
                         if isinstance(key, str) and key.startswith(prefix)}
