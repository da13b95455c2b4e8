"""Supabase as the seed writes it: TLS through `?sslmode=require`, and a transaction-mode pooler."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from chronoview.points import Point, Score, ScoredPoint
from chronoview.storage import SqlStorage, StorageUnavailable
from tests.services import PgBouncer, PostgresServer, owned_postgres, unavailable

T0 = 1_750_000_000.0


def points(metric: str, count: int, start: float = T0) -> list[ScoredPoint]:
    return [ScoredPoint(Point(metric, start + i, float(i)), Score(None, False, None, None, 0, seq=i + 1))
            for i in range(count)]


@pytest.fixture(scope="module")
def tls_postgres() -> Iterator[PostgresServer]:
    with owned_postgres(tls=True) as server:
        yield server


@pytest.fixture(scope="module")
def pgbouncer(tls_postgres: PostgresServer) -> Iterator[PgBouncer]:
    try:
        bouncer = PgBouncer.create(tls_postgres.port)
    except (FileNotFoundError, TimeoutError) as exc:
        unavailable(f"cannot start pgbouncer: {exc}")
        raise
    yield bouncer
    bouncer.destroy()


async def test_sslmode_require_connects_over_tls(tls_postgres: PostgresServer) -> None:
    store = SqlStorage(tls_postgres.url() + "?sslmode=require")
    try:
        await store.migrate()
        await store.write(points("cpu", 5))
        assert len(await store.points_after_seq("cpu", 0, 100)) == 5
        async with store.connect() as conn:
            on_tls = await conn.scalar(
                sa.text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            )
        assert on_tls is True
    finally:
        await store.close()


async def test_sslmode_require_refuses_a_server_without_tls(pg_url: str) -> None:
    store = SqlStorage(pg_url + "?sslmode=require")
    try:
        with pytest.raises(StorageUnavailable):
            await store.ping()
    finally:
        await store.close()


def test_unknown_sslmode_is_a_clear_error(pg_url: str) -> None:
    with pytest.raises(ValueError, match="sslmode='sometimes'"):
        SqlStorage(pg_url + "?sslmode=sometimes")


async def test_transaction_pooler_through_pgbouncer(pgbouncer: PgBouncer) -> None:
    store = SqlStorage(pgbouncer.url(), pooler="transaction")
    try:
        await store.migrate()
        # Many concurrent transactions share few server connections: any statement cache or
        # reused statement name would collide here.
        await asyncio.gather(*(store.write(points(f"m{i}", 20)) for i in range(30)))
        results = await asyncio.gather(*(store.points_after_seq(f"m{i}", 0, 100) for i in range(30)))
        assert [len(r) for r in results] == [20] * 30
        assert {f"m{i}" for i in range(30)} <= {c.metric for c in await store.catalog()}
        for _ in range(3):
            assert len(await store.window_history("m0", 5)) == 5
    finally:
        await store.close()
