"""A RedisWindow with a client of its own, for tests that start from a URL.

The app hands every window its one client (and closes it in the lifespan); a test window closes
its own client with itself.
"""

from __future__ import annotations

from redis.asyncio import Redis

from chronoview.window import WindowParams
from chronoview.window.redis import RedisWindow


class OwnedRedisWindow(RedisWindow):
    def __init__(self, url: str, params: WindowParams | None = None) -> None:
        self.client = Redis.from_url(url)
        super().__init__(self.client, params)

    async def close(self) -> None:
        await self.client.aclose()
