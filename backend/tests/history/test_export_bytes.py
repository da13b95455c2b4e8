"""Both export encoders write CSV inside the database (export/postgres.py: a COPY; export/sqlite.py:
SQLite text functions and `str.format`): byte for byte what the reference formatter (csvref.py,
cells.py's rules through the csv module) makes of the same rows, for every preset, zone and extra
column, on floats where PostgreSQL's own text differs from Python's repr."""

from __future__ import annotations

import asyncio
import random
import struct
from itertools import product

import asyncpg
import pytest

from chronoview.export.cells import EXTRA_COLUMNS, PRESETS, CsvOptions
from chronoview.export.stream import csv_lines
from chronoview.points import Point, Score, ScoredPoint, to_datetime
from chronoview.storage.bulk import PAGE_ROWS
from chronoview.storage.sql import SqlStorage
from tests.history.csvref import CsvFormatter, ExportRow
from tests.services import PgBouncer, unavailable

BASE = 1_743_296_400.0  # 2025-03-30T01:00:00Z: Madrid moves to summer time in this hour

# Where float8 text and repr part ways (see export/postgres.py), and their neighbours.
AWKWARD = [
    0.0, 1.0, 100.0, -3.0, 0.1, -2.5, 1 / 3, 1e-4, 1e-5, 123456.789, 99999999999999.99, 1e14,
    999999999999999.9, 1e15, -1.5e15, 1234567890123456.8, 4503599627370497.0, 2.0 ** 53,
    9007199254740993.0, 9999999999999998.0, 1e16, 6.4295608915343344e16, -5.5261576824590643e17,
    3.0925352787701443e18, 2.0 ** 63, 1e20, 1e22, 1.2345678901234567e39, 1e40, 1e300,
    1.7976931348623157e308, 5e-324, -2.2250738585072014e-308,
]


def _floats(n: int, seed: int) -> list[float]:
    """Awkward values, then random ones over every magnitude (whole, halfway-prone, any bits)."""
    rng = random.Random(seed)
    out = list(AWKWARD)
    while len(out) < n:
        kind = len(out) % 3
        if kind == 0:
            out.append(rng.uniform(-1, 1) * 10.0 ** rng.randint(-8, 40))
        elif kind == 1:
            out.append(float(rng.randint(-10 ** 19, 10 ** 19) // 1000 * 1000))
        else:
            x = struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
            if x == x and abs(x) != float("inf") and x != 0.0:  # finite; -0.0 is SQLite's to lose
                out.append(x)
    return out


def _points(n: int) -> list[ScoredPoint]:
    values, extras = _floats(n, 1), _floats(3 * n, 2)
    rng = random.Random(3)
    scored = []
    for i, value in enumerate(values):
        # Two metrics interleaved, runs of equal timestamps, microseconds that truncate (.999999).
        ts = BASE + (i // 2) * 1.5 + rng.choice([0.0, 0.000001, 0.25, 0.999999])
        zscore = None if i % 5 == 0 else extras[3 * i]
        mean, std = (None, None) if i % 7 == 0 else (extras[3 * i + 1], extras[3 * i + 2])
        scored.append(ScoredPoint(Point("cpu.load" if i % 3 else "host-1:mem", ts, value),
                                  Score(zscore, i % 4 == 0, mean, std, i, seq=i + 1)))
    return scored


async def _check_every_option(url: str, pooler: str = "") -> None:
    scored = _points(PAGE_ROWS + 500)  # SQLite pages: across a page boundary
    # By ts, then by insertion (the id order the export breaks ties with).
    ordered = sorted(scored, key=lambda p: to_datetime(p.point.ts))
    rows: list[ExportRow] = [
        (p.point.metric, to_datetime(p.point.ts), p.point.value, p.score.zscore, p.score.alert,
         p.score.mean, p.score.std, p.score.n) for p in ordered]
    start, end = ordered[0].point.ts, ordered[-1].point.ts
    storage = SqlStorage(url, pooler)
    try:
        await storage.migrate()
        await storage.write(scored)
        for preset, zone, columns in product(
                PRESETS, (None, "Europe/Madrid", "Asia/Kolkata"), ((), EXTRA_COLUMNS, ("n", "alert"))):
            options = CsvOptions(preset, zone, columns)
            got = b"".join([chunk async for chunk in csv_lines(
                storage, ["cpu.load", "host-1:mem"], start, end, options)])
            want = CsvFormatter(options).rows(rows)
            if got != want:
                pairs = zip(got.split(b"\r\n"), want.split(b"\r\n"), strict=False)
                first = next((g, w) for g, w in pairs if g != w)
                raise AssertionError(f"{options}: first differing line {first}")
        one = b"".join([chunk async for chunk in csv_lines(
            storage, ["host-1:mem"], start, end, CsvOptions())])
        assert one == CsvFormatter(CsvOptions()).rows([r for r in rows if r[0] == "host-1:mem"])
    finally:
        await storage.close()


def test_database_csv_is_the_formatter_s_byte_for_byte(database_url: str) -> None:
    asyncio.run(_check_every_option(database_url))


def test_a_server_set_to_fewer_float_digits_changes_nothing(pg_url: str) -> None:
    """extra_float_digits = 0 (the pre-12 default, still set by some configurations) would print
    15 significant digits, not the exact value: the export sets its own."""
    async def scenario() -> None:
        conn = await asyncpg.connect(pg_url.replace("+asyncpg", "", 1))
        try:
            await conn.execute(f'ALTER DATABASE "{pg_url.rsplit("/", 1)[1]}" SET extra_float_digits = 0')
        finally:
            await conn.close()
        await _check_every_option(pg_url)

    asyncio.run(scenario())


@pytest.mark.slow
def test_through_a_transaction_pooler(pg_url: str) -> None:
    """pgbouncer in transaction mode: the COPY and its settings share one transaction."""
    port = int(pg_url.rsplit(":", 1)[1].split("/", 1)[0])
    try:
        bouncer = PgBouncer.create(port)
    except (FileNotFoundError, TimeoutError) as exc:
        unavailable(f"cannot start pgbouncer: {exc}")
        raise
    try:
        url = pg_url.replace(f":{port}/", f":{bouncer.port}/", 1)
        asyncio.run(_check_every_option(url, pooler="transaction"))
    finally:
        bouncer.destroy()
