"""Fault tests: servers of their own that a test may stop, kill and start again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.services import PostgresServer, RedisServer, owned_postgres, owned_redis


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster of this test's own, on a free port: safe to stop and start."""
    with owned_postgres() as server:
        yield server


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, on a free port: safe to kill and start again."""
    with owned_redis() as server:
        yield server
