"""The outbox's writes on SQLite (outbox.py `_write`), through both ways the processes reach the
file: aiosqlite (the serving process) and the dispatcher process's blocking connection."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from chronoview.notify import enqueue
from chronoview.notify.blocking import BlockingSqlite
from chronoview.notify.outbox import Outbox
from chronoview.notify.store import Database, NotifyStore
from chronoview.storage import SqlStorage
from chronoview.storage.tables import deliveries, notify_events
from tests.notify.conftest import incident_event

T0 = 1_800_000_000.25
EVENTS = 1_234  # more than one page of the events' INSERT


@pytest.fixture(params=["aiosqlite", "blocking"])
async def db(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[Database]:
    storage = SqlStorage(sqlite_url)
    await storage.migrate()
    if request.param == "aiosqlite":
        yield storage
    else:
        blocking = BlockingSqlite(sqlite_url)
        yield blocking
        await blocking.close()
    await storage.close()


def _engine(db: Database) -> sa.Engine:
    return db.engine.sync_engine if isinstance(db, SqlStorage) else db._engine  # type: ignore[attr-defined]


async def test_the_events_go_in_few_multi_row_statements_that_sqlalchemy_compiles(db: Database) -> None:
    """One path for both databases: SQLAlchemy's statements (its column types convert the JSON,
    UUIDs and timestamps, no hand-made SQL), the events in one INSERT per 1,000, not one per row."""
    await NotifyStore(db).create_channel("a", "webhook", {}, "", True, T0)
    inserts: list[tuple[str, bool]] = []

    def seen(_conn: object, _cursor: object, statement: str, _params: object, context: object,
             _many: bool) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            inserts.append((statement.split("(")[0].split()[-1], context.compiled is not None))  # type: ignore[attr-defined]

    event.listen(_engine(db), "before_cursor_execute", seen)
    try:
        async with db.connect(write=True) as conn:
            await enqueue(conn, [incident_event(f"m{i}") for i in range(EVENTS)], T0)
    finally:
        event.remove(_engine(db), "before_cursor_execute", seen)
    assert [table for table, _ in inserts] == ["notify_events", "notify_events", "deliveries"]
    assert all(compiled for _, compiled in inserts), inserts


async def test_each_delivery_belongs_to_its_event_and_reads_back_as_written(db: Database) -> None:
    store = NotifyStore(db)
    default = (await store.create_channel("a", "webhook", {}, "", True, T0)).id
    chosen = (await store.create_channel("b", "webhook", {}, "", False, T0)).id
    events = [incident_event(f"m{i}", notify=[chosen] if i % 3 == 0 else None) for i in range(EVENTS)]
    async with db.connect(write=True) as conn:
        assert await enqueue(conn, events, T0) == EVENTS
    async with db.connect() as conn:
        rows = (await conn.execute(
            sa.select(deliveries.c.incident_id, deliveries.c.channel_id, notify_events.c.incident_id,
                      notify_events.c.metric, notify_events.c.payload)
            .join(notify_events, notify_events.c.id == deliveries.c.event_id))).all()
    by_metric = {event.metric: event for event in events}
    assert len(rows) == EVENTS
    for incident, channel, event_incident, metric, payload in rows:
        event = by_metric[metric]
        assert incident == event_incident == event.incident_id
        assert channel == (chosen if event.notify else default)
        assert payload == event.payload()
    [entry] = await Outbox(db).log(None, "pending", 1)
    assert uuid.UUID(entry.id)
    assert entry.created_at == entry.updated_at == entry.next_attempt_at == T0
    assert (entry.attempts, entry.delivered_at) == (0, None)
