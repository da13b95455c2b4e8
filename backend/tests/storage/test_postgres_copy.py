"""Large writes to PostgreSQL go by binary COPY (storage/pgcopy.py): the same rows as the statement
of small writes, and still all or nothing."""

from __future__ import annotations

import random
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

from chronoview.alerting.incidents import Incident, IncidentChange
from chronoview.points import Point, Score, ScoredPoint
from chronoview.storage import SqlStorage, StorageUnavailable, sql
from chronoview.storage.base import SeqPassed
from chronoview.storage.pgcopy import CopyRows

T0 = 1_750_000_000.0
SIZE = sql.COPY_MIN_POINTS + 200


def group(prefix: str, size: int = SIZE, first_seq: int = 1) -> list[ScoredPoint]:
    """Three metrics interleaved in runs, stamps late and early, at half microseconds and ties, the
    first scores of each metric without a baseline, some without a z-score, some alerts."""
    rng = random.Random(7)
    seqs = {f"{prefix}{m}": first_seq for m in "abc"}
    scored = []
    for i in range(size):
        metric = f"{prefix}{'abc'[(i // 50) % 3]}"
        seq = seqs[metric]
        seqs[metric] += 1
        ts = T0 + rng.choice([i * 0.0000005, i * 0.37, -i * 0.001, 12.5])  # 12.5: a tie for newest
        early = seq <= 3
        unscored = early or i % 5 == 0  # a point too old for its window has no z-score
        score = Score(None if unscored else rng.uniform(-5, 5), i % 97 == 0, None if early else 100.0 + i,
                      None if seq <= 2 else 2.5, seq - 1, seq=seq)
        scored.append(ScoredPoint(Point(metric, ts, rng.uniform(-1e6, 1e6)), score))
    return scored


async def rows(storage: SqlStorage, table: str, prefix: str) -> list[tuple[object, ...]]:
    columns = {"points": "ts, value, zscore, alert, mean, std, n, seq",
               "alerts": "ts, value, zscore, mean, std, n",
               "metrics": "last_value, last_ts, simulated"}[table]
    async with storage.connect() as conn:
        result = await conn.execute(sa.text(
            f"SELECT substr(metric, 2), {columns} FROM {table} "  # noqa: S608 (this test's own names)
            "WHERE metric LIKE :p ORDER BY 1, 2, 3"),
            {"p": f"{prefix}%"})
        return [tuple(row) for row in result]


async def test_copy_stores_exactly_what_the_statement_stores(
    storage: SqlStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    copied, stated = group("c"), group("s")
    assert await storage.write(copied, simulated={"cb"}) == ["ca", "cb", "cc"]
    monkeypatch.setattr(sql, "COPY_MIN_POINTS", 10**9)
    assert await storage.write(stated, simulated={"sb"}) == ["sa", "sb", "sc"]
    for table in ("points", "alerts", "metrics"):
        got, expected = await rows(storage, table, "c"), await rows(storage, table, "s")
        assert got == expected, table
    assert len(await rows(storage, "points", "c")) == SIZE
    assert len(await rows(storage, "alerts", "c")) == len([p for p in copied if p.score.alert]) > 0
    back = await storage.points_after_seq("ca", 0, SIZE)
    assert [(p.point.value, p.score, p.score.seq) for p in back] == [
        (p.point.value, p.score, p.score.seq) for p in copied if p.point.metric == "ca"]


async def test_a_failure_in_the_copy_leaves_nothing_of_the_group(storage: SqlStorage) -> None:
    late = group("c")
    last = late[-1].score.seq  # the group's last point: the COPY fails at its very end
    await storage.write([ScoredPoint(Point(late[-1].point.metric, T0, 1.0),
                                     Score(None, False, None, None, 0, seq=last))])
    before = {t: await rows(storage, t, "c") for t in ("points", "alerts", "metrics")}
    incident = Incident(str(uuid4()), "ca", T0, T0, 9.0, 4.0, 1, rule={})
    with pytest.raises(StorageUnavailable):
        await storage.write(late, incidents=[IncidentChange(incident, opened=True)])
    assert {t: await rows(storage, t, "c") for t in before} == before
    assert await storage.incident(UUID(incident.id)) is None


async def test_a_seq_passed_inside_a_run_fails_the_whole_group(storage: SqlStorage) -> None:
    """The claim gets runs of seqs: a passed range strictly inside one (neither end of it) counts."""
    assert await storage.pass_seqs("cb", 100, 110) == []
    with pytest.raises(SeqPassed):
        await storage.write(group("c"))
    assert await rows(storage, "points", "c") == []
    assert await rows(storage, "metrics", "c") == []
    await storage.write(group("c", first_seq=200))
    assert len(await rows(storage, "points", "c")) == SIZE


async def test_the_rest_of_a_copy_is_refused_until_its_stream_is_read_to_its_end() -> None:
    """The runs, alerts and newest points grow as the stream is built: read earlier, they would
    miss the points not yet streamed, and the statement after the COPY would claim too little."""
    scored = group("c")
    rows = CopyRows(scored)
    with pytest.raises(RuntimeError):
        rows.finish()
    pieces = rows.stream(slice_points=100)
    assert (await anext(pieces)).startswith(b"PGCOPY\n")
    await anext(pieces)  # the first 100 rows
    with pytest.raises(RuntimeError):
        rows.finish()
    assert [piece async for piece in pieces][-1] == b"\xff\xff"
    rest = rows.finish()
    per_metric = {m: [p for p in scored if p.point.metric == m] for m in ("ca", "cb", "cc")}
    assert (rest.run_metrics, rest.run_firsts, rest.run_lasts) == (
        ["ca", "cb", "cc"], [1, 1, 1], [len(per_metric[m]) for m in ("ca", "cb", "cc")])
    assert rest.alerts == [p for p in scored if p.score.alert]
    newest = {m: max(reversed(ps), key=lambda p: p.point.ts).point for m, ps in per_metric.items()}
    assert rest.latest == newest
    with pytest.raises(RuntimeError):
        [piece async for piece in rows.stream()]  # read once
