"""Moving points between processes: in-process for one process, Redis pub/sub for many."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chronoview.bus.base import Bus, Deliver, Listener, Message
from chronoview.bus.memory import MemoryBus

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["Bus", "Deliver", "Listener", "MemoryBus", "Message", "create_bus"]


def create_bus(redis: Redis | None) -> Bus:
    """The bus for a deployment shape: Redis pub/sub when a client is given, else this process."""
    if redis is None:
        return MemoryBus()
    from chronoview.bus.redis import RedisBus  # the driver is imported only when used

    return RedisBus(redis)
