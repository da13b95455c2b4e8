"""Shared fixtures: real databases and Redis (see services.py for where they come from)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
import redis

from tests.services import owned_postgres, owned_redis, unavailable


def _plain(url: str) -> str:
    """asyncpg wants postgresql:// without the SQLAlchemy driver suffix."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(_plain(url), timeout=10)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A PostgreSQL server where tests may create databases."""
    env = os.environ.get("TEST_DATABASE_URL")
    if env:
        try:
            asyncio.run(_admin(env, "SELECT 1"))
        except (OSError, asyncpg.PostgresError) as exc:
            unavailable(f"TEST_DATABASE_URL does not answer: {exc}")
        yield env if "+asyncpg" in env else env.replace("postgresql://", "postgresql+asyncpg://", 1)
        return
    with owned_postgres() as server:
        yield server.url()


@pytest.fixture
def pg_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (asyncpg SQLAlchemy URL)."""
    name = f"cv_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(postgres_admin_url, f'CREATE DATABASE "{name}"'))
    base = postgres_admin_url.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    asyncio.run(_admin(postgres_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'chronoview.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs a test once over SQLite and once over PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


@pytest.fixture(scope="session")
def redis_base_url() -> Iterator[str]:
    env = os.environ.get("TEST_REDIS_URL")
    if env:
        try:
            redis.Redis.from_url(env, socket_timeout=5).ping()
        except redis.RedisError as exc:
            unavailable(f"TEST_REDIS_URL does not answer: {exc}")
        yield env
        return
    with owned_redis() as server:
        yield server.url(0)


@pytest.fixture
def redis_url(redis_base_url: str) -> str:
    """A Redis database emptied before the test."""
    client = redis.Redis.from_url(redis_base_url)
    client.flushdb()
    client.close()
    return redis_base_url
