"""One process per SQLite file: the embedded shape keeps its window and fan-out in that process, so a
second server on the same file would score against half the points and feed half the sockets."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from chronoview.storage.engine import normalise_url


class DatabaseInUse(Exception):
    """Another process serves this SQLite file; the message is one line saying which."""


def lock_sqlite_file(database_url: str) -> int | None:
    """Hold an exclusive lock on `<file>.lock` beside a SQLite database for the life of the process;
    returns its descriptor (None for PostgreSQL or an in-memory database). The kernel releases the
    lock when the process ends, however it ends."""
    url = normalise_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise DatabaseInUse(
            f"{path} is already served by another ChronoView process (pid {holder}); the embedded "
            "shape runs one process per database file (use PostgreSQL and Redis for more)"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd
