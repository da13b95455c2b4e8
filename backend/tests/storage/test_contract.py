"""One storage suite over SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

import chronoview.storage
from chronoview.alerting.incidents import Incident, IncidentChange
from chronoview.points import Point, Score, ScoredPoint, to_datetime
from chronoview.storage import SqlStorage, StorageUnavailable
from chronoview.storage.base import ReplayCursor, SeqPassed

T0 = 1_750_000_000.0
_SEQS = itertools.count(1)  # unique across metrics, so unique per metric


def sp(metric: str, ts: float, value: float, alert: bool = False, z: float | None = None,
       seq: int | None = None) -> ScoredPoint:
    return ScoredPoint(Point(metric, ts, value),
                       Score(z, alert, 1.0 if z else None, 0.5, 7, seq=next(_SEQS) if seq is None else seq))


@pytest.fixture(params=["sqlite", "postgresql", "postgresql-copy"])
def storage_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test over SQLite, PostgreSQL, and PostgreSQL with every write by COPY (the path of
    large groups, taken here by batches of any size)."""
    if request.param == "postgresql-copy":
        monkeypatch.setattr("chronoview.storage.sql.COPY_MIN_POINTS", 1)
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


async def test_migrate_twice_is_harmless(storage: SqlStorage) -> None:
    await storage.migrate()
    await storage.ping()


async def test_write_and_read_back_in_seq_order_late_points_included(storage: SqlStorage) -> None:
    await storage.write([sp("cpu", T0 + 2, 2.0, seq=1), sp("cpu", T0 + 1, 1.0, seq=2),
                         sp("ram", T0, 9.0, seq=1)])
    got = await storage.points_after_seq("cpu", 0, limit=10)
    assert [(p.score.seq, p.point.ts, p.point.value) for p in got] == [(1, T0 + 2, 2.0), (2, T0 + 1, 1.0)]
    assert got[0].score == Score(None, False, None, 0.5, 7)
    assert [p.score.seq for p in await storage.points_after_seq("cpu", 1, limit=10)] == [2]
    assert await storage.points_after_seq("cpu", 2, limit=10) == []
    assert [await storage.last_seq(m) for m in ("cpu", "ram", "none")] == [2, 1, 0]


async def test_a_write_names_the_metrics_it_added_to_the_catalog(storage: SqlStorage) -> None:
    first = [sp("cpu", T0, 1.0), sp("ram", T0, 2.0), sp("cpu", T0 + 1, 3.0)]
    assert await storage.write(first) == ["cpu", "ram"]
    assert await storage.write([sp("ram", T0 + 1, 1.0), sp("disk", T0, 1.0)]) == ["disk"]
    assert await storage.write([sp("cpu", T0 + 2, 1.0)]) == []
    assert await storage.delete_metric("cpu")
    assert await storage.write([sp("cpu", T0 + 3, 1.0)]) == ["cpu"]  # back after a removal


async def test_of_two_concurrent_first_writes_one_adds_the_metric(storage: SqlStorage) -> None:
    firsts = await asyncio.gather(*(storage.write([sp("new", T0 + i, 1.0)]) for i in range(4)))
    assert sorted(firsts) == [[], [], [], ["new"]]


async def test_a_seq_is_stored_once_per_metric(storage: SqlStorage) -> None:
    await storage.write([sp("cpu", T0, 1.0, seq=1)])
    with pytest.raises(StorageUnavailable):
        await storage.write([sp("cpu", T0 + 1, 2.0, seq=1)])
    await storage.write([sp("ram", T0, 1.0, seq=1)])


async def test_a_passed_seq_can_never_be_stored_and_a_stored_one_is_found(storage: SqlStorage) -> None:
    await storage.write([sp("cpu", T0, 1.0, seq=1), sp("cpu", T0 + 1, 3.0, seq=3)])
    found = await storage.pass_seqs("cpu", 2, 4)  # 3 was stored: it is handed back
    assert [(p.score.seq, p.point.value) for p in found] == [(3, 3.0)]
    with pytest.raises(SeqPassed):  # 2 was passed over: its late write fails, all of its batch
        await storage.write([sp("cpu", T0 + 2, 2.0, seq=2), sp("cpu", T0 + 3, 5.0, seq=5)])
    with pytest.raises(SeqPassed):
        await storage.write([sp("ram", T0, 1.0, seq=1), sp("cpu", T0 + 2, 4.0, seq=4)])
    assert [p.score.seq for p in await storage.points_after_seq("cpu", 0, 10)] == [1, 3]
    assert await storage.points_after_seq("ram", 0, 10) == []
    assert await storage.last_seq("cpu") == 4  # a rebuilt counter resumes above what was passed
    assert await storage.pass_seqs("cpu", 2, 4) == [found[0]]  # passed again (another process)
    await storage.write([sp("cpu", T0 + 5, 5.0, seq=5)])


async def test_missing_seqs_are_those_neither_stored_nor_passed(storage: SqlStorage) -> None:
    await storage.write([sp("cpu", T0 + seq, float(seq), seq=seq) for seq in (1, 3, 7)])
    await storage.pass_seqs("cpu", 4, 5)
    await storage.pass_seqs("cpu", 5, 6)  # overlapping ranges
    assert await storage.missing_seqs("cpu", 1, 9) == [range(2, 3), range(8, 10)]
    assert await storage.missing_seqs("cpu", 3, 6) == []
    assert await storage.missing_seqs("ram", 1, 10**15) == [range(1, 10**15 + 1)]  # however wide


async def test_a_long_pass_hands_back_only_the_newest_stored_points(
    storage: SqlStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("chronoview.storage.sql.PASS_FETCH", 2)
    await storage.write([sp("cpu", T0 + seq, float(seq), seq=seq) for seq in range(1, 6)])

    async def tombstones() -> list[tuple[int, int]]:
        async with storage.connect() as conn:
            rows = await conn.execute(sa.text("SELECT first_seq, last_seq FROM passed_seqs"))
            return [(first, last) for first, last in rows]

    assert [p.score.seq for p in await storage.pass_seqs("cpu", 1, 5)] == [4, 5]
    assert await tombstones() == []  # all of 1..5 stored: nothing to keep
    assert [p.score.seq for p in await storage.pass_seqs("cpu", 1, 6)] == [5]
    assert await tombstones() == [(1, 6)]  # 6 was missing: passed for good
    assert await storage.last_seq("cpu") == 6
    with pytest.raises(SeqPassed):
        await storage.write([sp("cpu", T0 + 6, 6.0, seq=6)])


async def test_a_pass_waits_for_a_write_in_flight_and_then_finds_its_point(storage: SqlStorage) -> None:
    """Whichever commits first, the write or the pass, the other sees it: never a point stored
    behind a pass's back."""
    for seq in range(1, 21):
        write = asyncio.ensure_future(storage.write([sp("cpu", T0 + seq, float(seq), seq=seq)]))
        await asyncio.sleep(0.001 * (seq % 4))
        found = await storage.pass_seqs("cpu", seq, seq)
        try:
            await write
            stored = True
        except SeqPassed:
            stored = False
        assert [p.score.seq for p in found] == ([seq] if stored else [])
        after = await storage.points_after_seq("cpu", seq - 1, 10)
        assert [p.score.seq for p in after] == ([seq] if stored else [])


async def test_the_migration_numbers_stored_points_by_ts_then_id(database_url: str, tmp_path: Path) -> None:
    store = SqlStorage(database_url)
    config = Config()
    config.set_main_option("script_location", str(Path(chronoview.storage.__file__).parent / "migrations"))

    def upgrade(to: str) -> object:
        def run(sync_conn: sa.Connection) -> None:
            config.attributes["connection"] = sync_conn
            command.upgrade(config, to)
        return run

    try:
        async with store.connect(write=True) as conn:
            await conn.run_sync(upgrade("0004"))
            for metric, ts, value in [("a", T0 + 1, 1.0), ("a", T0, 0.0), ("b", T0, 5.0), ("a", T0 + 1, 2.0)]:
                await conn.execute(sa.text("INSERT INTO points (metric, ts, value) VALUES (:m, :t, :v)"),
                                   {"m": metric, "t": to_datetime(ts), "v": value})
        await store.migrate()
        got = [(p.score.seq, p.point.value) for p in await store.points_after_seq("a", 0, 10)]
        assert got == [(1, 0.0), (2, 1.0), (3, 2.0)]
        assert [(p.score.seq, p.point.value) for p in await store.points_after_seq("b", 0, 10)] == [(1, 5.0)]
    finally:
        await store.close()


async def test_alerts_are_recorded_newest_first(storage: SqlStorage) -> None:
    await storage.write([
        sp("cpu", T0, 1.0), sp("cpu", T0 + 1, 50.0, alert=True, z=3.1),
        sp("cpu", T0 + 2, 60.0, alert=True, z=-4.0), sp("ram", T0 + 3, 9.0, alert=True, z=2.6),
    ])
    got = await storage.alerts("cpu", T0 - 1, T0 + 10, limit=10)
    assert [(a.point.value, a.score.zscore, a.score.alert) for a in got] == [
        (60.0, -4.0, True), (50.0, 3.1, True)
    ]
    assert len(await storage.alerts(None, T0 - 1, T0 + 10, limit=10)) == 3
    assert await storage.alerts("cpu", T0 + 5, T0 + 10, limit=10) == []


async def test_flags_are_stored_as_the_columns_booleans(storage: SqlStorage) -> None:
    """`alert` and `simulated` land as each database's own booleans (SQLite: the integers 0 and
    1, whatever Python type the write binds) and read back as Python bools."""
    await storage.write([sp("cpu", T0, 1.0), sp("cpu", T0 + 1, 50.0, alert=True, z=3.1)],
                        simulated={"cpu"})
    await storage.write([sp("ram", T0, 2.0)])
    async with storage.connect() as conn:
        if storage.dialect == "sqlite":
            kinds = "typeof(alert), alert"
            flags = "typeof(simulated), simulated"
            want_points, want_catalog = [("integer", 0), ("integer", 1)], [("integer", 1), ("integer", 0)]
        else:
            kinds = "pg_typeof(alert)::text, alert"
            flags = "pg_typeof(simulated)::text, simulated"
            want_points = [("boolean", False), ("boolean", True)]
            want_catalog = [("boolean", True), ("boolean", False)]
        stored = (await conn.execute(sa.text(
            f"SELECT {kinds} FROM points WHERE metric = 'cpu' ORDER BY seq"))).all()  # noqa: S608
        catalog = (await conn.execute(sa.text(
            f"SELECT {flags} FROM metrics ORDER BY metric"))).all()  # noqa: S608
    assert [tuple(row) for row in stored] == want_points
    assert [tuple(row) for row in catalog] == want_catalog
    got = await storage.points_after_seq("cpu", 0, limit=10)
    assert [type(p.score.alert) for p in got] == [bool, bool]
    assert [p.score.alert for p in got] == [False, True]
    assert [(a.point.value, a.score.alert) for a in await storage.alerts("cpu", T0 - 1, T0 + 9, 9)] == [
        (50.0, True)]
    assert [c.simulated for c in await storage.catalog()] == [True, False]


async def test_catalog_keeps_the_newest_point_per_metric(storage: SqlStorage) -> None:
    await storage.write([sp("cpu", T0 + 5, 5.0), sp("cpu", T0 + 1, 1.0)])
    await storage.write([sp("cpu", T0 + 3, 3.0)])  # late: must not replace the newest
    await storage.write([sp("orders", T0, 7.0)], simulated={"orders"})
    catalog = {c.metric: c for c in await storage.catalog()}
    assert (catalog["cpu"].last_value, catalog["cpu"].last_ts) == (5.0, T0 + 5)
    assert catalog["cpu"].simulated is False
    assert catalog["orders"].simulated is True


async def test_window_history_is_the_last_window_before_the_newest_point(storage: SqlStorage) -> None:
    await storage.write([sp("cpu", T0 + i, float(i)) for i in range(10)])
    await storage.write([sp("other", T0 + 100, 1.0)])
    history = await storage.window_history("cpu", seconds=3)
    assert history == [(T0 + 7, 7.0), (T0 + 8, 8.0), (T0 + 9, 9.0)]
    assert await storage.window_history("nothing", seconds=3) == []


async def test_unreachable_database_raises_storage_unavailable() -> None:
    store = SqlStorage("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    with pytest.raises(StorageUnavailable):
        await store.ping()
    await store.close()


async def test_replay_pages_through_points_sharing_a_timestamp(storage: SqlStorage) -> None:
    await storage.write([sp("cpu", T0 - 1, -1.0)] + [sp("cpu", T0, float(i)) for i in range(25)]
                        + [sp("cpu", T0 + 1, 99.0), sp("ram", T0, 5.0)])
    cursor = ReplayCursor.after(to_datetime(T0 - 0.5))
    seen: list[float] = []
    while True:
        page, cursor = await storage.replay_page("cpu", cursor, 10)
        seen += [p.point.value for p in page]
        if len(page) < 10:
            break
    assert seen == [float(i) for i in range(25)] + [99.0]
    page, again = await storage.replay_page("cpu", cursor, 10)
    assert (page, again) == ([], cursor)


async def test_points_and_their_incident_changes_commit_together(storage: SqlStorage) -> None:
    """One transaction (SPEC §10): if the incident upsert fails, the batch's points are not stored
    either. (On PostgreSQL the points statement once ran on the driver before SQLAlchemy's BEGIN,
    so it committed on its own.)"""
    opened = Incident(str(uuid4()), "cpu", T0, T0, 9.0, 4.0, 1, rule={})
    broken = Incident("not-a-uuid", "cpu", T0, T0, 9.0, 4.0, 1, rule={})
    changes = [IncidentChange(opened, opened=True), IncidentChange(broken, opened=True)]
    with pytest.raises(ValueError, match="badly formed"):
        await storage.write([sp("cpu", T0, 9.0, alert=True, z=4.0)], incidents=changes)
    assert await storage.window_history("cpu", 300.0) == []
    assert await storage.incident(UUID(opened.id)) is None

    await storage.write([sp("cpu", T0, 9.0, alert=True, z=4.0)], incidents=changes[:1])
    assert await storage.window_history("cpu", 300.0) == [(T0, 9.0)]
    stored = await storage.incident(UUID(opened.id))
    assert stored is not None
    assert stored.alert_points == 1
