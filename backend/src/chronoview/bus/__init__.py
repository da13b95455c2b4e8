"""Moving points between processes: in-process for one process, Redis pub/sub for many."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chronoview.bus.base import Bus, Deliver, Message
from chronoview.bus.memory import MemoryBus

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["Bus", "Deliver", "MemoryBus", "Message", "create_bus"]


def create_bus(redis: Redis | None) -> Bus:
    return MemoryBus()
