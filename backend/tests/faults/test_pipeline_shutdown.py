"""Shutdown of the ingest pipeline: every accepted request is answered, none is left waiting.

In process, with an in-memory storage: the pipeline's `close()` runs in the lifespan's shutdown,
after uvicorn has drained HTTP requests, so what can still be queued then comes from other
sources (the simulator) or from requests uvicorn gave up on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence

from chronoview.alerting.incidents import IncidentChange
from chronoview.alerting.rules import Rule, RuleBook
from chronoview.bus.memory import MemoryBus
from chronoview.ingest import MAX_BATCH_POINTS, Pipeline
from chronoview.points import Point, ScoredPoint
from chronoview.window.base import WindowParams
from chronoview.window.memory import MemoryWindow

T0 = 1_750_000_000.0


class ListStorage:
    """Just enough of Storage for the pipeline: writes go to a list."""

    def __init__(self) -> None:
        self.points: list[ScoredPoint] = []

    async def write(
        self, scored: Sequence[ScoredPoint], simulated: Collection[str] = frozenset(),
        incidents: Sequence[IncidentChange] = (),
    ) -> None:
        await asyncio.sleep(0.01)
        self.points.extend(scored)

    async def window_history(self, metric: str, seconds: float) -> list[tuple[float, float]]:
        return []

    async def open_incident(self, metric: str) -> None:
        return None

    async def alert_rules(self) -> list[Rule]:
        return []


async def test_close_answers_every_queued_request() -> None:
    storage = ListStorage()
    rules = RuleBook(storage, WindowParams())  # type: ignore[arg-type]
    pipeline = Pipeline(storage, MemoryWindow(), MemoryBus(), rules)  # type: ignore[arg-type]
    pipeline.start()
    size = MAX_BATCH_POINTS * 6 // 10  # two requests never fit in one group
    requests = [
        asyncio.create_task(pipeline.ingest([Point("m", T0 + k * 10 + i / size, float(i % 5))
                                             for i in range(size)]))
        for k in range(3)
    ]
    await asyncio.sleep(0)  # all three are queued
    await asyncio.wait_for(pipeline.close(), 30)
    done, waiting = await asyncio.wait(requests, timeout=5)
    assert not waiting, f"{len(waiting)} accepted request(s) never answered after close()"
    for task in done:
        assert len(task.result().scored) == size
    assert len(storage.points) == 3 * size
