"""Rolling windows for Smart Alerts (SPEC §4): in process, or in Redis when one is configured."""

from __future__ import annotations

from chronoview.window.base import Window, WindowParams
from chronoview.window.memory import MemoryWindow

__all__ = ["MemoryWindow", "Window", "WindowParams", "create_window"]


def create_window(redis_url: str, params: WindowParams | None = None) -> Window:
    """The window for a deployment shape: Redis when `redis_url` is set, else this process."""
    if not redis_url:
        return MemoryWindow(params)
    from chronoview.window.redis import RedisWindow  # the driver is imported only when used

    return RedisWindow(redis_url, params)
