"""Apps run through their lifespan with TestClient, one factory for every test package."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

from fastapi.testclient import TestClient

from chronoview.config import Settings
from chronoview.main import create_app

MakeClient = Callable[..., TestClient]


@contextlib.contextmanager
def app_clients(database_url: str, tmp_path: Path) -> Iterator[MakeClient]:
    """`make(**settings)` builds a started app (embedded shape, no simulator unless asked)."""
    clients: list[TestClient] = []

    def make(**overrides: object) -> TestClient:
        values: dict[str, object] = {"database_url": database_url, "redis_url": "",
                                     "simulated_metrics": [], "_env_file": None}
        values.update(overrides)
        settings = Settings(**values)  # type: ignore[arg-type]
        client = TestClient(create_app(settings, dist=tmp_path / "no-dist"), base_url="http://localhost")
        client.__enter__()
        clients.append(client)
        return client

    try:
        yield make
    finally:
        for client in clients:
            client.__exit__(None, None, None)
