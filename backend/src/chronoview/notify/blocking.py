"""The dispatcher process's outbox on SQLite: every transaction runs from BEGIN to COMMIT without
giving the event loop back.

SQLite has one write lock, and the serving process's ingest waits for it in SQLite's busy handler,
which sleeps in growing steps (1, 2, 5, 10 ms...). Through aiosqlite each statement of a
transaction is a hop to its thread and back, and between the hops the dispatcher's loop ran its
sends' callbacks while holding the lock: a claim or a round's outcomes, a fraction of a millisecond
of SQL, held the lock for 4 ms at the median and over 20 ms at the tail (a niced process on a busy
machine), and ingest's p99 during a burst of 1,000 notifications was several times its quiet value
(BENCHMARKS.md, sixth wave). Here the outbox's statements run on a blocking connection in the
loop's own thread, so a transaction holds the lock for its SQL alone. Blocking that loop is what
the child is for: it only sends, and its sends wait the few milliseconds.

The statements are the outbox's own (outbox.py, reminders.py) and the series reads of the round's
snapshots (storage/series.py): `execute`, `scalar` and
`exec_driver_sql` are coroutines that finish without suspending. Nothing else may await inside a
transaction, or a second transaction of this process could start and wait for the lock the first
one holds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from chronoview.storage.base import StorageUnavailable
from chronoview.storage.engine import create_blocking_sqlite_engine
from chronoview.storage.series import SeriesQueries


class _Immediate:
    """What the outbox calls on an AsyncConnection, run at once on a blocking connection."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    @property
    def dialect(self) -> sa.Dialect:
        return self._conn.dialect

    async def execute(self, statement: Any, parameters: Any = None) -> sa.CursorResult[Any]:
        return self._conn.execute(statement, parameters)

    async def scalar(self, statement: Any, parameters: Any = None) -> Any:
        return self._conn.scalar(statement, parameters)

    async def exec_driver_sql(self, statement: str, parameters: Any = None) -> sa.CursorResult[Any]:
        return self._conn.exec_driver_sql(statement, parameters)


class BlockingSqlite(SeriesQueries):
    """A `Database` (store.py) over the SQLite file whose write transactions take the lock at BEGIN.

    It also reads the series a round's snapshots freeze (`series`, storage/series.py's queries run
    on this connection): through aiosqlite, each of a read's statements was two thread hops, and
    those reads were the largest share of the child's CPU in a burst (BENCHMARKS.md, seventh wave).
    A read here blocks the child's loop for its SQL, as the outbox's statements do; it takes no
    lock ingest waits for (WAL: readers never block the writer).
    """

    dialect = "sqlite"

    def __init__(self, url: str) -> None:
        self._engine = create_blocking_sqlite_engine(url)

    @asynccontextmanager
    async def connect(self, write: bool = False) -> AsyncIterator[AsyncConnection]:
        try:
            with self._engine.connect() as conn:
                conn.execution_options(write=write)
                # The outbox sees an AsyncConnection; it awaits only execute and scalar.
                immediate = cast(AsyncConnection, _Immediate(conn))
                if write:
                    with conn.begin():
                        yield immediate
                else:  # begun by its first statement, rolled back as the connection is given back
                    yield immediate
        except SQLAlchemyError as exc:
            raise StorageUnavailable(f"database error: {type(exc).__name__}") from exc

    async def close(self) -> None:
        self._engine.dispose()
