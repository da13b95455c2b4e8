"""An app per test, run through its lifespan, in the embedded shape unless a test asks otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.apps import MakeClient, app_clients

__all__ = ["MakeClient"]


@pytest.fixture
def make_client(sqlite_url: str, tmp_path: Path) -> Iterator[MakeClient]:
    with app_clients(sqlite_url, tmp_path) as make:
        yield make


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()
