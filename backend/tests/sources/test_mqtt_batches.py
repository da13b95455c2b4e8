"""The subscriber's batch logic on its own: a message the pipeline refuses is set apart and counted,
the rest of its batch is stored. (A fake pipeline: no point the real one accepts is refused yet;
this is the guard for when its entry check refuses one.)"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from chronoview.points import Point
from chronoview.sources.mqtt import MqttSubscriber, _Message


class RefusesThirteen:
    def __init__(self) -> None:
        self.stored: list[float] = []

    async def ingest(self, points: Sequence[Point], simulated: bool = False, source: str = "http") -> None:
        if any(p.value == 13 for p in points):
            raise ValueError("13 is refused")
        self.stored.extend(p.value for p in points)


def test_a_refused_message_is_set_apart_and_the_rest_stored() -> None:
    async def scenario() -> tuple[bool, list[float], int]:
        pipeline = RefusesThirteen()
        subscriber = MqttSubscriber(pipeline, "mqtt://127.0.0.1:1", ["t/#"], "unit",  # type: ignore[arg-type]
                                    shared=False)
        batch = [_Message(i + 1, 1, 0, [Point("t", 1.7e9 + i, v)]) for i, v in enumerate([1.0, 13.0, 2.0])]
        done = await subscriber._store(batch)
        return done, pipeline.stored, subscriber.rejected

    done, stored, rejected = asyncio.run(scenario())
    assert done
    assert stored == [1.0, 2.0]
    assert rejected == 1

