"""How the ingest pipeline forms and overlaps its group writes (in process, in-memory storage)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence

import pytest

from chronoview.alerting.incidents import IncidentChange
from chronoview.bus.memory import MemoryBus
from chronoview.ingest import Pipeline, WindowUnavailable
from chronoview.points import Point, ScoredPoint
from chronoview.window.memory import MemoryWindow
from tests.faults.test_pipeline_shutdown import T0, ListStorage, rules_of


class GatedStorage(ListStorage):
    """Records each write (its metrics and size) as it starts, and holds it until `gate` opens."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.writes: list[tuple[list[str], int]] = []
        self.wrote = asyncio.Event()

    async def write(
        self, scored: Sequence[ScoredPoint], simulated: Collection[str] = frozenset(),
        incidents: Sequence[IncidentChange] = (),
    ) -> list[str]:
        self.writes.append((sorted({item.point.metric for item in scored}), len(scored)))
        self.wrote.set()
        await self.gate.wait()
        self.points.extend(scored)
        return []

    async def started(self, count: int) -> None:
        async with asyncio.timeout(5):
            while len(self.writes) < count:
                self.wrote.clear()
                await self.wrote.wait()


async def test_groups_of_one_metric_take_turns_and_others_overlap() -> None:
    """A metric's next group waits for its write in flight and gathers what arrives meanwhile;
    a group of another metric is written alongside."""
    storage = GatedStorage()
    pipeline = Pipeline(storage, MemoryWindow(), MemoryBus(), rules_of(storage))  # type: ignore[arg-type]
    pipeline.start()
    try:
        storage.gate.set()  # both windows built first: a rebuild waits for every write in flight
        for metric in ("m", "n"):
            await asyncio.wait_for(pipeline.ingest([Point(metric, T0, 1.0)]), 5)
        storage.gate.clear()
        storage.writes.clear()
        first = asyncio.create_task(pipeline.ingest([Point("m", T0 + 1, 1.0)]))
        await storage.started(1)
        other = asyncio.create_task(pipeline.ingest([Point("n", T0 + 1, 1.0)]))
        await storage.started(2)  # while m's write is still held
        later = [asyncio.create_task(pipeline.ingest([Point("m", T0 + i, 1.0)])) for i in (2, 3)]
        for _ in range(20):
            await asyncio.sleep(0)
        assert len(storage.writes) == 2, "a second write of m started while m's first was in flight"
        storage.gate.set()
        answers = await asyncio.wait_for(asyncio.gather(first, other, *later), 5)
        assert [len(answer.scored) for answer in answers] == [1, 1, 1, 1]
        assert storage.writes == [(["m"], 1), (["n"], 1), (["m"], 2)]
    finally:
        storage.gate.set()
        await asyncio.wait_for(pipeline.close(), 5)


class LosingWindow(MemoryWindow):
    """Loses the metric "lost" again as soon as it is rebuilt."""

    async def rebuild(self, metric: str, *args: object, **kwargs: object) -> None:
        await super().rebuild(metric, *args, **kwargs)  # type: ignore[arg-type]
        if metric == "lost":
            await self.forget([metric])


async def test_a_metric_lost_again_while_rebuilding_fails_the_group_and_stores_nothing() -> None:
    storage = ListStorage()
    pipeline = Pipeline(storage, LosingWindow(), MemoryBus(), rules_of(storage))  # type: ignore[arg-type]
    pipeline.start()
    try:
        with pytest.raises(WindowUnavailable, match="lost a metric's state while rebuilding"):
            await asyncio.wait_for(pipeline.ingest([Point("kept", T0, 1.0), Point("lost", T0, 2.0)]), 5)
        assert storage.points == []
        answer = await asyncio.wait_for(pipeline.ingest([Point("kept", T0 + 1, 1.0)]), 5)
        # kept scores again; its seq 1, handed out to the failed group, is never handed out again
        assert [item.score.seq for item in answer.scored] == [2]
    finally:
        await asyncio.wait_for(pipeline.close(), 5)
