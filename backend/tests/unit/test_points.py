"""Timestamp text on the hot path: the cached forms must equal what datetime itself would print, and
what SQLAlchemy stores in SQLite and PostgreSQL."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from chronoview.points import format_all, format_ts, sqlite_all, sqlite_ts, to_datetime
from chronoview.storage.tables import points


def reference(ts: float) -> str:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def samples() -> list[float]:
    rnd = random.Random(2026)
    # Fractions at and around the microsecond rounding edges, where a second can carry over.
    edges = (0.0, 0.5, 0.0000005, 0.0000015, 0.9999985, 0.9999994999, 0.9999995, 0.9999996)
    found = [0.0, 1e-7, 0.9999996, 1.75e9, 253_402_300_799.0, 253_402_300_799.9994]
    for _ in range(20_000):
        found.append(rnd.uniform(0.0, 253_402_300_799.0))
        found.append(1.75e9 + rnd.random() * 3600)
        found.append(math.floor(rnd.uniform(0.0, 4e9)) + rnd.choice(edges))
    return found


def test_format_ts_matches_datetime_everywhere_including_rounding_edges() -> None:
    stamps = samples()
    for ts in stamps:
        assert format_ts(ts) == reference(ts), repr(ts)
    assert format_all(stamps) == [reference(ts) for ts in stamps]


async def stored(url: str, stamps: list[float]) -> list[str]:
    """Each instant inserted through SQLAlchemy into the schema's `points.ts` column, read back as
    the text the database holds (SQLite: the column's own text; PostgreSQL: its microseconds in UTC)."""
    engine = create_async_engine(url)
    column = points.c.ts
    table = sa.Table("stamps", sa.MetaData(), sa.Column("k", sa.Integer, primary_key=True),
                     sa.Column("ts", column.type, nullable=False))
    text = ("SELECT ts FROM stamps ORDER BY k" if engine.dialect.name == "sqlite" else
            "SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM stamps ORDER BY k")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(table.metadata.create_all)
            rows = [{"k": k, "ts": to_datetime(ts)} for k, ts in enumerate(stamps)]
            await conn.execute(table.insert(), rows)
            return [row[0] for row in await conn.exec_driver_sql(text)]
    finally:
        await engine.dispose()


async def test_sqlite_ts_is_the_text_sqlalchemy_stores(database_url: str) -> None:
    """SQLite rows are written as `sqlite_ts` text (no SQLAlchemy on that path): it must be what
    SQLAlchemy itself stores there, and the instant PostgreSQL stores, so both read back alike."""
    stamps = samples()[:6] + samples()[6::20]
    expected = await stored(database_url, stamps)
    assert expected == [sqlite_ts(ts) for ts in stamps]
    assert expected == sqlite_all(stamps)


def test_format_ts_is_right_after_its_day_cache_filled_and_emptied() -> None:
    stamps = [k * 40_000.25 for k in range(10_000)]  # more distinct days than it keeps
    assert [format_ts(ts) for ts in stamps] == [reference(ts) for ts in stamps]
    assert format_ts(1.75e9) == "2025-06-15T15:06:40.000Z"


def test_the_group_stamps_are_right_across_their_caches_emptying() -> None:
    """A backfill one point a second apart, more new seconds than the caches keep, twice over
    (the SQLite stamps first, as a write does, then the wire stamps of the same points)."""
    stamps = [1.75e9 + k + 0.25 for k in range(40_000)]
    assert sqlite_all(stamps) == [f"{reference(ts)[:10]} {reference(ts)[11:19]}.250000" for ts in stamps]
    assert format_all(stamps) == [reference(ts) for ts in stamps]
    assert sqlite_all(stamps[:3]) == [sqlite_ts(ts) for ts in stamps[:3]]


def test_group_stamps_switching_minutes_point_by_point() -> None:
    """New seconds of two minutes (and days) interleaved, then going back: the minute kept at
    hand while a group's new seconds are formatted is never another minute's."""
    base = 2.0e9 + 0.5
    stamps = [base + (k if k % 2 else 86_400 * 3 + 61 * k) for k in range(2_000)]
    stamps += [base - k for k in range(200)]
    assert format_all(stamps) == [reference(ts) for ts in stamps]
    assert format_all(stamps[::-1]) == [reference(ts) for ts in stamps[::-1]]
    later = [ts + 7 * 86_400 for ts in stamps]  # seconds new to both caches: SQLite's first
    assert sqlite_all(later) == [f"{reference(ts)[:10]} {reference(ts)[11:19]}.500000" for ts in later]
    assert format_all(later) == [reference(ts) for ts in later]
