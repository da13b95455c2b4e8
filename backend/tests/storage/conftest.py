"""The storage under test: a migrated SqlStorage on `storage_url` (PostgreSQL unless a module
overrides it, as test_contract.py does to run over every backend)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from chronoview.storage import SqlStorage


@pytest.fixture
def storage_url(pg_url: str) -> str:
    return pg_url


@pytest.fixture
async def storage(storage_url: str) -> AsyncIterator[SqlStorage]:
    store = SqlStorage(storage_url)
    await store.migrate()
    yield store
    await store.close()
