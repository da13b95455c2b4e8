"""Fixtures the stream tests share: a Redis server of the test's own (so it can be stopped or
flushed) and the list of server processes a test starts, stopped at its end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.server import ServerProcess
from tests.services import RedisServer, owned_redis


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    with owned_redis() as server:
        yield server


@pytest.fixture
def servers() -> Iterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for server in started:
        server.stop()
