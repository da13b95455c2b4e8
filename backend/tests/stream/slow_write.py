"""`python -m tests.stream.slow_write serve`: `chronoview serve` whose writes of points wait at a
gate the test opens (tests/stream/test_track_start.py). Its points are scored (their seqs taken)
before that wait, so points that another process scores after them are stored and published first.

WRITE_GATE names a folder: a write creates `scored` in it (its seqs are taken), then waits until
the test creates `open` there. A condition, not a delay: under load a fixed delay let the write land
before the test had set up what it must land after."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Collection, Sequence
from pathlib import Path

from chronoview.__main__ import main
from chronoview.alerting.incidents import IncidentChange
from chronoview.points import ScoredPoint
from chronoview.storage.sql import SqlStorage

GATE = Path(os.environ["WRITE_GATE"])
GATE_TIMEOUT = 60.0
write = SqlStorage.write


async def _gated_write(
    storage: SqlStorage, scored: Sequence[ScoredPoint], simulated: Collection[str] = frozenset(),
    incidents: Sequence[IncidentChange] = (),
) -> None:
    (GATE / "scored").touch()
    async with asyncio.timeout(GATE_TIMEOUT):
        while not (GATE / "open").exists():  # noqa: ASYNC110 (another process creates the file)
            await asyncio.sleep(0.01)
    await write(storage, scored, simulated=simulated, incidents=incidents)


SqlStorage.write = _gated_write  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
