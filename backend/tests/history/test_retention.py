"""Retention: old points and alerts, expired snapshots and old passed seqs go, in batches; the rest
stays."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid

import pytest
import sqlalchemy as sa

from chronoview.api.history import accounted_seq
from chronoview.bus.hub import Hub
from chronoview.points import Point, Score, ScoredPoint, to_datetime
from chronoview.retention import RetentionTask, purge
from chronoview.storage import SqlStorage
from chronoview.storage.base import SeqPassed, SnapshotRecord
from chronoview.storage.tables import alerts, passed_seqs, points, snapshots

DAY = 86_400.0


_SEQS = itertools.count(1)  # unique across metrics, so unique per metric


def _scored(metric: str, ts: float, alert: bool) -> ScoredPoint:
    score = Score(3.0 if alert else None, alert, None, None, 0, seq=next(_SEQS))
    return ScoredPoint(Point(metric, ts, 1.0), score)


def _snapshot(now: float, expires_at: float | None) -> SnapshotRecord:
    return SnapshotRecord(uuid.uuid4(), {"s": 1}, None, now, expires_at, "h" * 64)


async def _fill(storage: SqlStorage, now: float) -> dict[str, uuid.UUID]:
    old = [_scored(m, now - 10 * DAY + i, i % 5 == 0) for m in ("a", "b") for i in range(40)]
    new = [_scored(m, now - 1 * DAY + i, i % 5 == 0) for m in ("a", "b") for i in range(6)]
    await storage.write(old + new)
    kept = {"forever": _snapshot(now, None), "later": _snapshot(now, now + 3600)}
    gone = _snapshot(now - 100, now - 1)
    for record in (*kept.values(), gone):
        await storage.create_snapshot(record)
    return {name: record.id for name, record in kept.items()} | {"gone": gone.id}


async def _count(storage: SqlStorage, table: sa.Table) -> int:
    async with storage.connect() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


async def _passed(storage: SqlStorage) -> list[tuple[str, int, int]]:
    async with storage.connect() as conn:
        rows = await conn.execute(sa.select(passed_seqs.c.metric, passed_seqs.c.first_seq,
                                            passed_seqs.c.last_seq).order_by("metric", "last_seq"))
        return [(metric, first, last) for metric, first, last in rows]


def test_purge_in_small_batches(database_url: str) -> None:
    async def scenario() -> None:
        storage = SqlStorage(database_url)
        try:
            await storage.migrate()
            now = time.time()
            ids = await _fill(storage, now)
            done = await purge(storage, cutoff=now - 5 * DAY, now=now, batch=7, pause=0)
            assert done == {"points": 80, "alerts": 16, "incidents": 0, "snapshots": 1, "passed_seqs": 0}
            assert await _count(storage, points) == 12
            assert await _count(storage, alerts) == 4
            async with storage.connect() as conn:
                oldest = await conn.scalar(sa.select(sa.func.min(points.c.ts)))
                left = {row[0] for row in await conn.execute(sa.select(snapshots.c.id))}
            assert oldest is not None
            assert left == {ids["forever"], ids["later"]}
            again = await purge(storage, cutoff=now - 5 * DAY, now=now, batch=7, pause=0)
            assert again == {"points": 0, "alerts": 0, "incidents": 0, "snapshots": 0, "passed_seqs": 0}
        finally:
            await storage.close()

    asyncio.run(scenario())


def test_the_background_task_purges_and_stops(database_url: str) -> None:
    async def scenario() -> None:
        storage = SqlStorage(database_url)
        try:
            await storage.migrate()
            now = time.time()
            await _fill(storage, now)
            task = RetentionTask(storage, retention_days=5, interval=0.05, first_delay=0)
            task.start()
            expected = [12, 4, 2]  # points, alerts, snapshots left once a pass has finished
            for _ in range(400):
                if [await _count(storage, t) for t in (points, alerts, snapshots)] == expected:
                    break
                await asyncio.sleep(0.05)
            await task.stop()
            assert await _count(storage, points) == 12
            assert await _count(storage, alerts) == 4
            assert await _count(storage, snapshots) == 2
        finally:
            await storage.close()

    asyncio.run(scenario())


def test_incidents_follow_retention_and_open_ones_stay(database_url: str) -> None:
    from chronoview.alerting.incidents import Incident, IncidentChange

    async def scenario() -> None:
        storage = SqlStorage(database_url)
        try:
            await storage.migrate()
            now = time.time()

            def incident(started: float, resolved: float | None) -> IncidentChange:
                return IncidentChange(Incident(str(uuid.uuid4()), "a", started, started, 9.0, 4.0, 1,
                                               resolved, {"for_points": 1}), opened=True)

            old, recent = incident(now - 10 * DAY, now - 10 * DAY + 60), incident(now - DAY, now - DAY + 60)
            stuck = incident(now - 10 * DAY, None)  # still open: never purged
            await storage.write_incidents([old, recent, stuck])
            done = await purge(storage, cutoff=now - 5 * DAY, now=now, batch=7, pause=0)
            assert done["incidents"] == 1
            left = {i.id for i in await storage.incidents(None, None, now - 30 * DAY, 100)}
            assert left == {recent.incident.id, stuck.incident.id}
        finally:
            await storage.close()

    asyncio.run(scenario())


def test_passed_seqs_older_than_a_day_go_but_each_metrics_highest_and_lowest_stay(database_url: str) -> None:
    async def scenario() -> None:
        storage = SqlStorage(database_url)
        try:
            await storage.migrate()
            now = time.time()
            await storage.write([ScoredPoint(Point("a", now, 1.0), Score(None, False, None, None, 0, seq=7))])
            ranges = [("a", 2, 3, now - 3 * DAY), ("a", 5, 5, now - 3 * DAY), ("a", 8, 9, now - 3 * DAY),
                      ("a", 10, 10, now - 3600), ("b", 4, 4, now - 3 * DAY), ("b", 1, 2, now - 3 * DAY)]
            async with storage.connect(write=True) as conn:
                await conn.execute(passed_seqs.insert(), [
                    {"metric": m, "first_seq": first, "last_seq": last, "passed_at": to_datetime(at)}
                    for m, first, last, at in ranges])
            done = await purge(storage, cutoff=now - 30 * DAY, now=now, batch=2, pause=0)
            assert done["passed_seqs"] == 2
            # a's last hour stays; each metric's lowest and highest stay though old (its counter
            # resumes above the highest; the lowest is the floor retention leaves).
            assert await _passed(storage) == [("a", 2, 3), ("a", 10, 10), ("b", 1, 2), ("b", 4, 4)]
            assert (await storage.last_seq("a"), await storage.last_seq("b")) == (10, 4)
            assert (await purge(storage, cutoff=now - 30 * DAY, now=now, pause=0))["passed_seqs"] == 0
        finally:
            await storage.close()

    asyncio.run(scenario())


def test_the_seqs_of_purged_points_are_passed_so_no_reader_waits_and_no_late_write_lands(
    database_url: str,
) -> None:
    async def scenario() -> None:
        storage = SqlStorage(database_url)
        try:
            await storage.migrate()
            now = time.time()

            def point(seq: int, ts: float) -> ScoredPoint:
                return ScoredPoint(Point("m", ts, 1.0), Score(None, False, None, None, 0, seq=seq))

            # 1..5 and 9 (a late point with an old timestamp) are old; 4 never arrived.
            await storage.write([point(seq, now - 10 * DAY + seq) for seq in (1, 2, 3, 5, 9)]
                                + [point(seq, now - DAY + seq) for seq in (6, 7, 8, 10)])
            await storage.pass_seqs("m", 4, 4)
            done = await purge(storage, cutoff=now - 5 * DAY, now=now, batch=2, pause=0)
            assert done["points"] == 5
            assert await _passed(storage) == [("m", 1, 9)]  # 4's range merged into the floor
            assert await storage.missing_seqs("m", 1, 10) == []

            passes: list[tuple[int, int]] = []
            pass_seqs = storage.pass_seqs

            async def recorded(metric: str, first: int, last: int) -> list[ScoredPoint]:
                passes.append((first, last))
                return await pass_seqs(metric, first, last)

            storage.pass_seqs = recorded  # type: ignore[method-assign]
            assert await accounted_seq(storage, Hub(storage, pass_after=60.0), "m") == 10
            assert passes == []  # nothing was waited for, nothing passed over

            with pytest.raises(SeqPassed):  # a late write of a purged seq fails (503)
                await storage.write([point(3, now)])
            await storage.write([point(11, now)])

            # A day on, the passed ranges' purge keeps the floor: still nothing missing.
            await purge(storage, cutoff=now - 5 * DAY, now=now + 2 * DAY, pause=0)
            assert await _passed(storage) == [("m", 1, 9)]
            assert await storage.missing_seqs("m", 1, 11) == []
        finally:
            await storage.close()

    asyncio.run(scenario())
