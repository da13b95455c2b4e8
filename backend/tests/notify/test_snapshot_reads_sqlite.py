"""The dispatcher process on SQLite reads the series its snapshots freeze on its blocking
connection (notify/blocking.py): the same series as the storage's own read, whole or downsampled."""

from __future__ import annotations

import math

from chronoview.notify.blocking import BlockingSqlite
from chronoview.notify.snapshot import build
from chronoview.points import Point, Score, ScoredPoint
from chronoview.storage import SqlStorage

T0 = 1_800_000_000.0


def _points(metric: str, count: int) -> list[ScoredPoint]:
    return [ScoredPoint(Point(metric, T0 + i, math.sin(i / 7) * 10 + (50 if i % 97 == 0 else 0)),
                        Score(3.5 if i % 97 == 0 else 0.1, i % 97 == 0, 1.0, 2.0, 30, seq=i + 1))
            for i in range(count)]


async def test_the_blocking_connection_reads_the_series_the_storage_reads(sqlite_url: str) -> None:
    storage = SqlStorage(sqlite_url)
    await storage.migrate()
    blocking = BlockingSqlite(sqlite_url)
    try:
        await storage.write(_points("few", 50) + _points("many", 3_000))
        for metric, max_points in (("few", 1_000), ("many", 1_000), ("many", 200), ("none", 1_000)):
            expected = await storage.series(metric, T0 - 10, T0 + 4_000, max_points)
            assert await blocking.series(metric, T0 - 10, T0 + 4_000, max_points) == expected
        assert len(expected.ts) == 0
        # And what a snapshot freezes from it, as the dispatcher process builds one.
        made = await build(blocking, "k", "many", "inc-1", T0 + 1_000, None, T0 + 2_000, 3_600.0)
        series = made.data["series"]["many"]  # type: ignore[index]
        assert series["downsampled"]
        assert len(series["points"]) <= 1_000
        assert series["alerts"]
    finally:
        await blocking.close()
        await storage.close()
