"""The Redis bus against a real redis-server of the test's own, which it may freeze (SIGSTOP).

A frozen server keeps its TCP connections open and answers nothing: the case where a subscriber
waits forever (encode/broadcaster #144). The bus must notice, say so, and come back by itself.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Sequence

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from chronoview.bus.base import Message
from chronoview.bus.redis import RedisBus, Timing, decode_batch
from tests.services import RedisServer
from tests.stream.harness import eventually


class Recorder:
    """A bus listener that writes down what happens, in order."""

    def __init__(self, resume_delay: float = 0.0) -> None:
        self.events: list[str] = []
        self.messages: list[Message] = []
        self._resume_delay = resume_delay

    def deliver(self, messages: Sequence[Message]) -> None:
        self.events.append("deliver")
        self.messages += messages

    def lost(self) -> None:
        self.events.append("lost")

    async def resumed(self) -> None:
        self.events.append("resuming")
        await asyncio.sleep(self._resume_delay)
        self.events.append("resumed")



@pytest.fixture
async def clients(own_redis: RedisServer) -> AsyncIterator[list[Redis]]:
    made: list[Redis] = []
    yield made
    for client in made:
        await client.aclose()


def client_for(server: RedisServer, made: list[Redis]) -> Redis:
    client = Redis.from_url(server.url(), socket_connect_timeout=1, socket_timeout=2)
    made.append(client)
    return client


async def test_batches_reach_every_process_once_and_in_order(
    own_redis: RedisServer, clients: list[Redis]
) -> None:
    buses = [RedisBus(client_for(own_redis, clients)) for _ in range(2)]
    recorders = [Recorder(), Recorder()]
    for bus, recorder in zip(buses, recorders, strict=True):
        await bus.start(recorder)
        assert bus.subscribed
    sent: list[Message] = []
    for i in range(50):
        batch = [Message(f"m{i % 3}", i * 4 + j, b'{"i":%d,"j":%d}' % (i, j), 1e9 + i)
                 for j in range(i % 4 + 1)]
        await buses[i % 2].publish(batch)
        sent += batch
    await eventually(lambda: all(len(r.messages) >= len(sent) for r in recorders), 10, "every batch")
    for recorder in recorders:
        # A publisher has its own batches at once, others' when Redis brings them: each
        # publisher's in the order it sent them (the hub orders each metric by seq anyway).
        assert sorted(recorder.messages, key=lambda m: m.seq) == sent
        for parity in (0, 1):
            mine = [m for m in recorder.messages if m.seq // 4 % 2 == parity]
            assert mine == [m for m in sent if m.seq // 4 % 2 == parity]
        assert recorder.events == ["resuming", "resumed"] + ["deliver"] * 50
    for bus in buses:
        await bus.close()


async def test_a_publisher_does_not_parse_its_own_batches_back(
    own_redis: RedisServer, clients: list[Redis], monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[bytes] = []

    def counting(frame: bytes) -> list[Message]:
        decoded.append(frame)
        return decode_batch(frame)

    monkeypatch.setattr("chronoview.bus.redis.decode_batch", counting)
    publisher, other = RedisBus(client_for(own_redis, clients)), RedisBus(client_for(own_redis, clients))
    mine, theirs = Recorder(), Recorder()
    await publisher.start(mine)
    await other.start(theirs)
    batches = [[Message("m", i, b'{"i":%d}' % i, 1.0)] for i in range(1, 11)]
    for batch in batches:
        await publisher.publish(batch)
    await other.publish([Message("n", 1, b"{}", 2.0)])
    await eventually(lambda: len(mine.messages) == 11 and len(theirs.messages) == 11, 5, "every batch")
    assert len(decoded) == 11  # the other process parses the publisher's ten, the publisher one
    assert mine.messages[:10] == [m for batch in batches for m in batch]
    await publisher.close()
    await other.close()


async def test_a_frozen_redis_is_noticed_and_the_bus_comes_back_by_itself(
    own_redis: RedisServer, clients: list[Redis]
) -> None:
    recorder = Recorder(resume_delay=0.3)
    bus = RedisBus(client_for(own_redis, clients), timing=Timing(ping_interval=0.3, ping_timeout=0.5,
                                                                 backoff=(0.05, 0.2)))
    await bus.start(recorder)
    await eventually(lambda: "resumed" in recorder.events, 5, "the first subscription")
    assert own_redis.process is not None
    own_redis.process.send_signal(signal.SIGSTOP)
    frozen = time.monotonic()
    try:
        await eventually(lambda: "lost" in recorder.events, 5, "the bus to notice")
        assert time.monotonic() - frozen < 2.5
        assert not bus.subscribed
    finally:
        own_redis.process.send_signal(signal.SIGCONT)
    await eventually(lambda: recorder.events[-1:] == ["resuming"], 10, "a new subscription")
    # Published while the listener catches up: delivered only after it has.
    publisher = RedisBus(client_for(own_redis, clients))
    await publisher.publish([Message("m", 1, b"{}", 1.0)])
    await eventually(lambda: recorder.messages, 5, "the batch after the return")
    assert recorder.events[-3:] == ["resuming", "resumed", "deliver"]
    assert recorder.events.count("resumed") >= 2
    await bus.close()
    await publisher.close()


async def test_a_batch_that_cannot_be_published_still_reaches_this_process(
    own_redis: RedisServer, clients: list[Redis]
) -> None:
    recorder = Recorder()
    bus = RedisBus(client_for(own_redis, clients), timing=Timing(publish_timeout=0.5))
    await bus.start(recorder)
    own_redis.kill()
    with pytest.raises(RedisConnectionError):
        await bus.publish([Message("m", 1, b'{"stored":true}', 1.0)])
    assert recorder.messages == [Message("m", 1, b'{"stored":true}', 1.0)]
    await bus.close()
