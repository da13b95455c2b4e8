"""Channels and silences in the database (the outbox itself is in outbox.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from chronoview.points import format_ts, to_datetime
from chronoview.storage.base import StorageUnavailable
from chronoview.storage.stamps import to_epoch
from chronoview.storage.tables import channels, deliveries, silences


class Database(Protocol):
    """What notifications need of the storage: connections (SqlStorage has them)."""

    dialect: str

    def connect(self, write: bool = False) -> AbstractAsyncContextManager[AsyncConnection]: ...


class NameTaken(Exception):
    """Another channel already has this name."""


@dataclass(frozen=True, slots=True)
class ChannelRecord:
    id: int
    name: str
    kind: str
    config: dict[str, Any]  # plain fields
    secrets: str  # sealed secret fields
    is_default: bool
    enabled: bool
    disabled_reason: str | None
    created_at: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class SilenceRecord:
    id: int
    match: str
    until: float
    comment: str
    created_at: float

    def matches(self, metric: str) -> bool:
        return glob_matches(self.match, metric)

    def reason(self) -> str:
        text = f"silenced by silence {self.id} ({self.match}) until {format_ts(self.until)}"
        return f"{text}: {self.comment}" if self.comment else text


@lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


def glob_matches(pattern: str, metric: str) -> bool:
    """SPEC §10: an exact name, or `*` standing for any run of characters, dots included."""
    if "*" not in pattern:
        return pattern == metric
    return _glob(pattern).fullmatch(metric) is not None


def channel_record(row: sa.Row[Any]) -> ChannelRecord:
    m = row._mapping
    return ChannelRecord(m["id"], m["name"], m["kind"], dict(m["config"]), m["secrets"],
                         bool(m["is_default"]), bool(m["enabled"]), m["disabled_reason"],
                         to_epoch(m["created_at"]), to_epoch(m["updated_at"]))


def silence_record(row: sa.Row[Any]) -> SilenceRecord:
    m = row._mapping
    return SilenceRecord(m["id"], m["match"], to_epoch(m["until"]), m["comment"], to_epoch(m["created_at"]))


class NotifyStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def channels(self) -> list[ChannelRecord]:
        async with self.db.connect() as conn:
            result = await conn.execute(sa.select(channels).order_by(channels.c.id))
            return [channel_record(row) for row in result]

    async def channel(self, channel_id: int) -> ChannelRecord | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(sa.select(channels).where(channels.c.id == channel_id))).first()
            return None if row is None else channel_record(row)

    async def create_channel(self, name: str, kind: str, config: dict[str, Any], sealed: str,
                             is_default: bool, now: float) -> ChannelRecord:
        values = {"name": name, "kind": kind, "config": config, "secrets": sealed,
                  "is_default": is_default, "enabled": True, "created_at": to_datetime(now),
                  "updated_at": to_datetime(now)}
        async with self._unique_name() as conn:
            row = (await conn.execute(channels.insert().values(**values).returning(channels))).one()
        return channel_record(row)

    async def update_channel(self, channel_id: int, name: str, kind: str, config: dict[str, Any],
                             sealed: str, is_default: bool, enabled: bool,
                             now: float) -> ChannelRecord | None:
        values: dict[str, Any] = {"name": name, "kind": kind, "config": config, "secrets": sealed,
                                  "is_default": is_default, "enabled": enabled,
                                  "updated_at": to_datetime(now)}
        if enabled:
            values["disabled_reason"] = None
        async with self._unique_name() as conn:
            row = (await conn.execute(channels.update().where(channels.c.id == channel_id)
                                      .values(**values).returning(channels))).first()
        return None if row is None else channel_record(row)

    async def delete_channel(self, channel_id: int) -> bool:
        async with self.db.connect(write=True) as conn:
            await conn.execute(deliveries.delete().where(deliveries.c.channel_id == channel_id))
            result = await conn.execute(channels.delete().where(channels.c.id == channel_id))
            return bool(result.rowcount)

    async def reseal_channels(self, reseal: Any) -> int:
        """Re-encrypt under the current key whatever an older key sealed (after a rotation)."""
        changed = 0
        for record in await self.channels():
            fresh = reseal(record.secrets)
            if fresh is not None:
                async with self.db.connect(write=True) as conn:
                    await conn.execute(channels.update().where(channels.c.id == record.id,
                                                               channels.c.secrets == record.secrets)
                                       .values(secrets=fresh))
                changed += 1
        return changed

    @asynccontextmanager
    async def _unique_name(self) -> AsyncIterator[AsyncConnection]:
        """A write where a duplicate channel name is NameTaken, not a database failure (503)."""
        try:
            async with self.db.connect(write=True) as conn:
                yield conn
        except StorageUnavailable as exc:
            if isinstance(exc.__cause__, IntegrityError):
                raise NameTaken() from None
            raise

    async def silences(self) -> list[SilenceRecord]:
        async with self.db.connect() as conn:
            result = await conn.execute(sa.select(silences).order_by(silences.c.until.desc(), silences.c.id))
            return [silence_record(row) for row in result]

    async def create_silence(self, match: str, until: float, comment: str, now: float) -> SilenceRecord:
        async with self.db.connect(write=True) as conn:
            row = (await conn.execute(silences.insert().values(
                match=match, until=to_datetime(until), comment=comment, created_at=to_datetime(now),
            ).returning(silences))).one()
        return silence_record(row)

    async def delete_silence(self, silence_id: int) -> bool:
        async with self.db.connect(write=True) as conn:
            result = await conn.execute(silences.delete().where(silences.c.id == silence_id))
            return bool(result.rowcount)
