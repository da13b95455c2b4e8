"""`chronoview_notifications_total{kind,result}` (SPEC §13): one count per delivery attempt, by
channel kind and result (`delivered`, `retry`, `failed`).

The serving process answers `/-/metrics`, and its registry is in its own memory (or, with several
workers, in files of its own start), so a dispatcher process's counts would be lost with it. The
child sends them up its one link to the server instead (process.py: the duplex pipe whose other
direction carries the wake-ups), as lines, once per turn of its loop (`TallyWriter`), and the
server adds them to its counter (`TallyReader`), as if it had sent the notifications itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import Counter
from collections.abc import Callable
from multiprocessing.connection import Connection

from chronoview import selfmetrics
from chronoview.notify.retry import DeliveryState

Tally = Callable[[str, DeliveryState], None]  # (channel kind, the attempt's outcome)
RESULTS: dict[DeliveryState, str] = {"delivered": "delivered", "pending": "retry", "failed": "failed"}


def count_here(kind: str, state: DeliveryState) -> None:
    selfmetrics.NOTIFICATIONS.labels(kind, RESULTS[state]).inc()


class TallyWriter:
    """The child's side: counts gathered over a turn of its loop, then written as lines
    `kind result n` (well under PIPE_BUF: one atomic write)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._counts: Counter[tuple[str, str]] = Counter()

    def __call__(self, kind: str, state: DeliveryState) -> None:
        if not self._counts:
            asyncio.get_running_loop().call_soon(self.flush)
        self._counts[kind, RESULTS[state]] += 1

    def flush(self) -> None:
        lines = "".join(f"{kind} {result} {n}\n" for (kind, result), n in self._counts.items())
        self._counts.clear()
        if lines:
            with contextlib.suppress(OSError):  # the server is gone: nobody is left to show them
                os.write(self._conn.fileno(), lines.encode())

    def close(self) -> None:
        self.flush()
        self._conn.close()


class TallyReader:
    """The server's side: adds what one child sends to this process's counter, until end-of-file,
    then closes the link (the server's wake-ups see it closed and stop)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._partial = b""
        os.set_blocking(conn.fileno(), False)
        asyncio.get_running_loop().add_reader(conn.fileno(), self.read)

    @property
    def closed(self) -> bool:
        return self._conn.closed

    def read(self) -> None:
        """Take what is there; at end-of-file (the child has exited) stop listening."""
        while not self._conn.closed:
            try:
                data = os.read(self._conn.fileno(), 65536)
            except BlockingIOError:
                return
            if not data:
                self.close()
                return
            *lines, self._partial = (self._partial + data).split(b"\n")
            for line in lines:
                kind, result, n = line.decode().split()
                selfmetrics.NOTIFICATIONS.labels(kind, result).inc(int(n))

    def close(self) -> None:
        if not self._conn.closed:
            asyncio.get_running_loop().remove_reader(self._conn.fileno())
            self._conn.close()
