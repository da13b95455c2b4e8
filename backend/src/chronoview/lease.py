"""Leases: one process at a time does a job (simulate a metric, resolve incidents).

Embedded, the one process always holds them (`LocalLease`). With Redis a lease is a key set with
NX and a TTL, holding the holder's token: the holder renews it with a compare-and-renew script and
deletes it when it stops, so if the holder dies another process takes over once the TTL runs out.
A holder that could not confirm its lease for a while (a slow Redis, a stalled loop) may acquire it
again at once while the key still holds its token: nobody else can have held it meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

_ACQUIRE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class Lease(Protocol):
    async def acquire(self) -> bool: ...

    async def renew(self) -> bool:
        """True while still ours; False once someone else holds it (or nobody does)."""
        ...

    async def release(self) -> None: ...


class LocalLease:
    """Embedded: this process is the only one."""

    async def acquire(self) -> bool:
        return True

    async def renew(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class RedisLease:
    def __init__(self, redis: Redis, key: str, ttl: float, token: str) -> None:
        self.key = key
        self.token = token
        self._ttl_ms = max(1, round(ttl * 1000))
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    async def acquire(self) -> bool:
        return bool(await self._acquire(keys=[self.key], args=[self.token, self._ttl_ms]))

    async def renew(self) -> bool:
        return bool(await self._renew(keys=[self.key], args=[self.token, self._ttl_ms]))

    async def release(self) -> None:
        await self._release(keys=[self.key], args=[self.token])


def lease_token() -> str:
    """Who holds a lease, readable in Redis: process id, host, and a random part for uniqueness."""
    return f"{os.getpid()}@{socket.gethostname()}/{uuid.uuid4().hex[:12]}"


async def attempt(call: Callable[[], Awaitable[bool]], limit: float) -> bool | None:
    """The lease call's answer, or None when it failed or took longer than `limit` (Redis unreachable)."""
    try:
        return await asyncio.wait_for(call(), limit)
    except Exception as exc:
        log.debug("lease call failed: %r", exc)
        return None
