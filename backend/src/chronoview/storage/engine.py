"""Async engines for SQLite and PostgreSQL, including Supabase's URL and transaction pooler."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

# asyncpg takes these libpq sslmode values as its `ssl` argument directly.
_SSLMODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}


def normalise_url(raw: str) -> URL:
    """Accept the common spellings and pick the async driver for each database."""
    url = make_url(raw)
    if url.drivername in ("postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"):
        url = url.set(drivername="postgresql+asyncpg")
    elif url.drivername == "sqlite":
        url = url.set(drivername="sqlite+aiosqlite")
    return url


def create_engine(raw_url: str, pooler: str = "") -> AsyncEngine:
    """One engine per process, built in the app's lifespan (never at import time)."""
    url = normalise_url(raw_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return _postgres_engine(url, transaction_pooler=pooler == "transaction")


def _sqlite_engine(url: URL) -> AsyncEngine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30})
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # WAL lets readers run beside the writer; FULL makes an acknowledged commit survive power loss.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_blocking_sqlite_engine(raw_url: str) -> Engine:
    """A blocking engine on the same SQLite file (the dispatcher process's outbox: notify/blocking.py).

    Its transactions begin as the connection asks: `BEGIN IMMEDIATE` (the write lock at once, so
    the busy wait happens there and never on a later statement) on a connection whose execution
    options have `write`, a plain `BEGIN` otherwise.
    """
    url = normalise_url(raw_url).set(drivername="sqlite+pysqlite")
    engine = sa_create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, record: Any) -> None:
        _sqlite_pragmas(dbapi_conn, record)
        dbapi_conn.isolation_level = None  # the driver begins nothing itself: `_begin` does

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

    return engine


def _postgres_engine(url: URL, transaction_pooler: bool) -> AsyncEngine:
    query = dict(url.query)
    connect_args: dict[str, Any] = {"timeout": 10, "command_timeout": 60}
    sslmode = query.pop("sslmode", None)
    if sslmode is not None:
        mode = sslmode if isinstance(sslmode, str) else sslmode[0]
        if mode not in _SSLMODES:
            raise ValueError(f"DATABASE_URL: sslmode={mode!r} is not one of {sorted(_SSLMODES)}")
        connect_args["ssl"] = mode
    url = url.set(query=query)
    if transaction_pooler:
        # A transaction-mode pooler may hand each transaction to another server connection:
        # no statement caches, a unique name per prepared statement, and no pool of our own.
        connect_args["statement_cache_size"] = 0
        connect_args["prepared_statement_name_func"] = lambda: f"__cv_{uuid.uuid4().hex}__"
        url = url.update_query_dict({"prepared_statement_cache_size": "0"})
        return create_async_engine(url, poolclass=NullPool, connect_args=connect_args)
    # No pre-ping: its round trip on every checkout halved single-point ingest. A connection that
    # died (a restarted server) fails once; SQLAlchemy then drops the whole pool, and so does
    # SqlStorage's write path, which runs on the driver directly.
    return create_async_engine(
        url, pool_size=10, max_overflow=20, pool_recycle=1800, connect_args=connect_args,
    )
