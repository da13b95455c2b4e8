"""Window fixtures: every contract test runs once per backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from chronoview.window import MemoryWindow, Window, WindowParams
from tests.window.owned import OwnedRedisWindow

WindowFactory = Callable[[WindowParams], Window]


@pytest.fixture(params=["memory", "redis"])
async def make_window(request: pytest.FixtureRequest) -> AsyncIterator[WindowFactory]:
    """Builds windows of one backend (Redis: a flushed database of a real server); closes them after."""
    url = str(request.getfixturevalue("redis_url")) if request.param == "redis" else ""
    made: list[Window] = []

    def make(params: WindowParams) -> Window:
        window: Window = OwnedRedisWindow(url, params) if url else MemoryWindow(params)
        made.append(window)
        return window

    yield make
    for window in made:
        await window.close()
