"""Snapshots in SQL (POST/GET/DELETE /snapshots): a mixin of SqlStorage."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa

from chronoview.points import to_datetime
from chronoview.storage.base import SnapshotRecord
from chronoview.storage.host import SqlHost
from chronoview.storage.stamps import to_epoch
from chronoview.storage.tables import snapshots


def _record(row: sa.Row[Any]) -> SnapshotRecord:
    m = row._mapping
    expires = m["expires_at"]
    return SnapshotRecord(
        id=m["id"], state=m["state"], data=m["data"],
        created_at=to_epoch(m["created_at"]),
        expires_at=None if expires is None else to_epoch(expires),
        delete_key_hash=m["delete_key_hash"],
    )


class SnapshotQueries:
    """Saved dashboard states; mixed into SqlStorage."""

    async def create_snapshot(self: SqlHost, record: SnapshotRecord) -> None:
        async with self.connect(write=True) as conn:
            await conn.execute(snapshots.insert().values(
                id=record.id, state=record.state, data=record.data,
                created_at=to_datetime(record.created_at),
                expires_at=None if record.expires_at is None else to_datetime(record.expires_at),
                delete_key_hash=record.delete_key_hash,
            ))

    async def get_snapshot(self: SqlHost, snapshot_id: UUID, now: float) -> SnapshotRecord | None:
        query = sa.select(snapshots).where(
            snapshots.c.id == snapshot_id,
            sa.or_(snapshots.c.expires_at.is_(None), snapshots.c.expires_at > to_datetime(now)),
        )
        async with self.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _record(row)

    async def delete_snapshot(self: SqlHost, snapshot_id: UUID) -> bool:
        async with self.connect(write=True) as conn:
            result = await conn.execute(snapshots.delete().where(snapshots.c.id == snapshot_id))
        return bool(result.rowcount)
