"""`python -m tests.stream.slow_write serve`: `chronoview serve` whose every write of points first
waits WRITE_DELAY seconds. Its points are scored (their seqs taken) before that wait, so points that
another process scores after them are stored and published first (tests/stream/test_track_start.py)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Collection, Sequence

from chronoview.__main__ import main
from chronoview.alerting.incidents import IncidentChange
from chronoview.points import ScoredPoint
from chronoview.storage.sql import SqlStorage

WRITE_DELAY = float(os.environ["WRITE_DELAY"])
write = SqlStorage.write


async def _slow_write(
    storage: SqlStorage, scored: Sequence[ScoredPoint], simulated: Collection[str] = frozenset(),
    incidents: Sequence[IncidentChange] = (),
) -> None:
    await asyncio.sleep(WRITE_DELAY)
    await write(storage, scored, simulated=simulated, incidents=incidents)


SqlStorage.write = _slow_write  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
