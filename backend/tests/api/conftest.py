"""An app per test, run through its lifespan, in the embedded shape unless a test asks otherwise."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from chronoview.config import Settings
from chronoview.main import create_app

MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(sqlite_url: str, tmp_path: Path) -> Iterator[MakeClient]:
    clients: list[TestClient] = []

    def make(**overrides: object) -> TestClient:
        values: dict[str, object] = {"database_url": sqlite_url, "redis_url": "",
                                     "simulated_metrics": [], "_env_file": None}
        values.update(overrides)
        settings = Settings(**values)  # type: ignore[arg-type]
        client = TestClient(create_app(settings, dist=tmp_path / "no-dist"))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()
