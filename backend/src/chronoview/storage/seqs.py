"""Recording passed seqs (SPEC §6) race-free against the writes of their metric.

A write checks that none of its seqs is passed after taking a lock per metric (PostgreSQL: shared,
in `chronoview_claim_seqs`; SQLite: the database's write lock, then `_check_unpassed`). Whoever
records a range takes that lock exclusively first: a write either committed before (its point is
stored) or finds the range and fails (503, the client retries).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection


async def exclude_writes(conn: AsyncConnection, dialect: str, metric: str) -> None:
    """Until `conn`'s transaction ends, no write of `metric` commits (SQLite: a write connection
    already excludes every other write)."""
    if dialect == "postgresql":
        await conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('chronoview.seq:' || :m))"),
                           {"m": metric})
