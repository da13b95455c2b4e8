from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.apps import MakeClient, app_clients
from tests.window.conftest import make_window

__all__ = ["make_window"]


@pytest.fixture
def make_client(sqlite_url: str, tmp_path: Path) -> Iterator[MakeClient]:
    with app_clients(sqlite_url, tmp_path) as make:
        yield make
