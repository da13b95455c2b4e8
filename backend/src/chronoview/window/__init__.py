"""Rolling windows for Smart Alerts (SPEC §4): in process, or in Redis when one is configured."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chronoview.window.base import Window, WindowParams
from chronoview.window.memory import MemoryWindow

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["MemoryWindow", "Window", "WindowParams", "create_window"]


def create_window(redis: Redis | None, params: WindowParams | None = None) -> Window:
    """The window for a deployment shape: in Redis through the app's client when there is one, else
    in this process."""
    if redis is None:
        return MemoryWindow(params)
    from chronoview.window.redis import RedisWindow  # the driver is imported only when used

    return RedisWindow(redis, params)
