"""Shutdown of the ingest pipeline: every accepted request is answered, none is left waiting.

In process, with an in-memory storage: the pipeline's `close()` runs in the lifespan's shutdown,
after uvicorn has drained HTTP requests, so what can still be queued then comes from other
sources (the simulator) or from requests uvicorn gave up on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence

import pytest

from chronoview import ingest
from chronoview.alerting.incidents import IncidentChange
from chronoview.alerting.rules import Rule, RuleBook
from chronoview.bus.memory import MemoryBus
from chronoview.ingest import MAX_BATCH_POINTS, Pipeline
from chronoview.points import Point, ScoredPoint, encode_all
from chronoview.validation import InvalidPoint
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
    ) -> list[str]:
        await asyncio.sleep(0.01)
        self.points.extend(scored)
        return []

    async def window_history(self, metric: str, seconds: float) -> list[tuple[float, float]]:
        return []

    async def open_incident(self, metric: str) -> None:
        return None

    async def last_seq(self, metric: str) -> int:
        return 0

    async def alert_rules(self) -> list[Rule]:
        return []


def rules_of(storage: ListStorage) -> RuleBook:
    """The settings' defaults, no rules (the book is never started: nothing to poll)."""
    return RuleBook(storage, WindowParams())  # type: ignore[arg-type]


async def test_close_answers_every_queued_request() -> None:
    storage = ListStorage()
    pipeline = Pipeline(storage, MemoryWindow(), MemoryBus(), rules_of(storage))  # type: ignore[arg-type]
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


async def test_an_exception_inside_a_group_fails_only_its_own_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whatever raises while a group is written or answered (here: serialising its messages), that
    request fails; the write slot is released and later requests, and close(), still complete."""
    storage = ListStorage()
    pipeline = Pipeline(storage, MemoryWindow(), MemoryBus(), rules_of(storage), writes_in_flight=1)  # type: ignore[arg-type]
    pipeline.start()
    def fragile(scored: Sequence[ScoredPoint]) -> list[bytes]:
        if any(item.point.metric == "poison" for item in scored):
            raise ValueError("cannot serialise")
        return encode_all(scored)

    monkeypatch.setattr(ingest, "encode_all", fragile)
    with pytest.raises(ValueError, match="cannot serialise"):
        await asyncio.wait_for(pipeline.ingest([Point("poison", T0, 1.0)]), 5)
    for i in range(3):  # one slot only: each of these needs it released
        done = await asyncio.wait_for(pipeline.ingest([Point("m", T0 + i, 1.0)]), 5)
        assert len(done.encoded) == 1
    await asyncio.wait_for(pipeline.close(), 5)


async def test_a_point_outside_the_limits_is_refused_before_it_is_queued() -> None:
    storage = ListStorage()
    pipeline = Pipeline(storage, MemoryWindow(), MemoryBus(), rules_of(storage))  # type: ignore[arg-type]
    pipeline.start()
    for bad, field in ((Point("m", 253_402_300_800.0, 1.0), "ts"), (Point("m", -1.0, 1.0), "ts"),
                       (Point("m", T0, 1e151), "value"), (Point("m", T0, float("nan")), "value")):
        with pytest.raises(InvalidPoint) as caught:
            await pipeline.ingest([Point("m", T0, 1.0), bad])
        assert (caught.value.index, caught.value.field) == (1, field)
    assert storage.points == []
    await asyncio.wait_for(pipeline.close(), 5)
