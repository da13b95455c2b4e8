"""Apps over SQLite and PostgreSQL, and helpers to put points in through the real pipeline."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.apps import MakeClient, app_clients


@pytest.fixture
def make_history_client(database_url: str, tmp_path: Path) -> Iterator[MakeClient]:
    """Like tests/api's make_client, over both databases (`database_url` is parametrized)."""
    with app_clients(database_url, tmp_path) as make:
        yield make


@pytest.fixture
def client(make_history_client: MakeClient) -> TestClient:
    return make_history_client()


def ingest(client: TestClient, points: Sequence[dict[str, object]]) -> None:
    """POST /metrics in batches of 10,000, the way any source does."""
    for start in range(0, len(points), 10_000):
        response = client.post(
            "/metrics", content=json.dumps(points[start:start + 10_000]),
            headers={"content-type": "application/json", "prefer": "return=minimal"},
        )
        assert response.status_code == 201, response.text
