"""Bulk reads of points for the CSV export: a mixin of SqlStorage.

Raw primitives only: `copy_points` runs a COPY it is given (PostgreSQL), `point_pages` pages the
rows of a SELECT list it is given (SQLite). What the cells look like is chronoview/export's; this
module keeps the connection, the memory bound and the clean-up when a reader leaves midway.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from chronoview.points import sqlite_ts
from chronoview.storage.host import SqlHost

# Rows per SQLite page: big enough to amortise queries, small enough to stay flat.
PAGE_ROWS = 5_000
# Chunks of COPY output (one socket read's worth each) held between the database and a slow client.
COPY_QUEUE_CHUNKS = 8
# asyncpg's COPY timeout covers the whole transfer, client included: a day is beyond any honest
# download but still frees, some day, a connection held by a client that stopped reading.
COPY_TIMEOUT = 24 * 3600.0


async def _copy_out(raw: Any, query: str, args: Sequence[Any], delimiter: str) -> AsyncGenerator[bytes, None]:
    """`COPY (query) TO STDOUT` as CSV, chunk by chunk, memory bounded.

    asyncpg hands each batch of COPY data to `output` and reads no further until it returns, so the
    bounded hand-over below makes a slow client slow the COPY down rather than fill memory. Closing
    this generator (a client that left) cancels the COPY: asyncpg asks the server to stop it.
    """
    chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
    room = asyncio.Semaphore(COPY_QUEUE_CHUNKS)

    async def output(data: bytearray) -> None:
        await room.acquire()
        chunks.put_nowait(bytes(data))

    copy = asyncio.create_task(raw.copy_from_query(
        query, *args, output=output, format="csv", delimiter=delimiter, timeout=COPY_TIMEOUT))
    copy.add_done_callback(lambda _: chunks.put_nowait(None))
    try:
        while (chunk := await chunks.get()) is not None:
            room.release()
            yield chunk
        await copy  # raises what stopped it early, if anything did
    finally:
        if not copy.done():
            copy.cancel()
            await asyncio.wait([copy])
        if not copy.cancelled():
            copy.exception()  # retrieved: it was raised above, or nobody is left to hear of it


class BulkReads:
    """Every point of some metrics in a range, streamed; mixed into SqlStorage."""

    async def copy_points(
        self: SqlHost, query: str, args: Sequence[Any], delimiter: str, settings: Mapping[str, str],
    ) -> AsyncGenerator[bytes, None]:
        """PostgreSQL: `COPY (query) TO STDOUT WITH CSV` with these positional arguments, as the
        server writes it (lines end in "\\n"), under `settings` local to its one (read) transaction."""
        async with self.connect() as conn:
            if settings:  # in one round trip
                calls = ", ".join(f"set_config(:n{i}, :v{i}, true)" for i in range(len(settings)))
                binds = {f"{kind}{i}": text for i, pair in enumerate(settings.items())
                         for kind, text in zip("nv", pair, strict=True)}
                await conn.execute(sa.text(f"SELECT {calls}"), binds)
            raw = (await conn.get_raw_connection()).driver_connection
            try:
                async with contextlib.aclosing(_copy_out(raw, query, args, delimiter)) as chunks:
                    async for chunk in chunks:
                        yield chunk
            except (GeneratorExit, asyncio.CancelledError):
                # A reader that left mid-COPY: asyncpg takes the cancelled COPY's next data for
                # the cancel's acknowledgement and would hand the pool a connection still busy
                # with it. This one connection is closed instead.
                await conn.invalidate()
                raise

    async def point_pages(
        self: SqlHost, metrics: Sequence[str], start: float, end: float, cells: Sequence[str],
        page_rows: int = PAGE_ROWS,
    ) -> AsyncGenerator[list[tuple[Any, ...]], None]:
        """SQLite: the points of the metrics with start <= ts <= end in (ts, id) order, as rows of
        the SQL expressions `cells` followed by id, `page_rows` at a time. `cells` must hold the
        stored stamp itself (`ts`): it keys the pages (selecting it twice cost ~8 % of an export).

        Keyset pages, each in its own short read so the writer is never held back. A next page
        starts its index range at the last timestamp seen (`ts >= ?`): a bound inside the OR alone
        would leave SQLite scanning from the start of the range on every page.
        """
        # `cells` are the caller's expressions over the points table; every value is bound.
        key = list(cells).index("ts")
        head = (f"SELECT {', '.join([*cells, 'id'])} FROM points "  # noqa: S608
                f"WHERE metric IN ({', '.join('?' * len(metrics))}) AND ts >= ? AND ts <= ?")
        tail = f" ORDER BY ts, id LIMIT {int(page_rows)}"
        first, after = head + tail, head + " AND (ts > ? OR id > ?)" + tail
        lower, upper = sqlite_ts(start), sqlite_ts(end)
        last: list[Any] = []
        while True:
            async with self.connect() as conn:
                raw = (await conn.get_raw_connection()).driver_connection
                async with raw.execute(  # type: ignore[union-attr]
                        after if last else first, [*metrics, lower, upper, *last]) as cursor:
                    rows = await cursor.fetchall()
            if rows:
                yield rows
            if len(rows) < page_rows:
                return
            lower = rows[-1][key]
            last = [lower, rows[-1][-1]]
