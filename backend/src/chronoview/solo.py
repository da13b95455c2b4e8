"""One process per in-process state: without Redis, a second process on the same database refuses.

Without Redis the alert windows, the fan-out and the simulator live in the process, so two processes
on one database (`uvicorn --workers 2`, a second `chronoview serve`) would split every window and
give each socket about half the points. The first process holds an exclusive lock for as long as it
lives; a second one on the same machine fails to take it and refuses to start. SQLite's lock file
lies beside the database file; a PostgreSQL database without Redis is keyed by its address, in the
temporary directory (processes on other machines are not seen: run those with Redis).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from pathlib import Path

from chronoview.config import Settings
from chronoview.storage.engine import normalise_url

# Held until the process exits (the kernel then drops the lock): apps built again in the same
# process (tests do) share the process, and so the claim.
_HELD: dict[str, int] = {}


class SoleProcessTaken(Exception):
    """Another process already serves this database without Redis; the message is one line."""


def lock_path(settings: Settings) -> Path | None:
    url = normalise_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return None
        database = Path(url.database).resolve()
        database.parent.mkdir(parents=True, exist_ok=True)
        return database.with_name(database.name + ".lock")
    address = url.set(password=None).render_as_string(hide_password=True)
    digest = hashlib.sha256(address.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"chronoview-{digest}.lock"


def claim_sole_process(settings: Settings) -> None:
    """Take the lock of this database when there is no Redis, or raise `SoleProcessTaken`."""
    if settings.redis_url:
        return
    path = lock_path(settings)
    if path is None or str(path) in _HELD:
        return
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(descriptor)
        url = normalise_url(settings.database_url)
        sqlite = url.get_backend_name() == "sqlite"
        where = Path(str(url.database)).resolve() if sqlite else settings.database_url.split("@")[-1]
        raise SoleProcessTaken(
            f"another process already serves {where} (pid {holder}) without REDIS_URL; a second "
            "one would split the alert windows and the live stream (set REDIS_URL to run several)"
        ) from None
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, str(os.getpid()).encode(), 0)
    _HELD[str(path)] = descriptor
