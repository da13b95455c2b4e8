"""The hub, the bus frame and the request rules on their own: the cases a real server rarely hits
on cue (a replayed point arriving live as well, a catch-up inside the newest millisecond)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from chronoview.api.stream import origin_allowed, replay_after
from chronoview.bus.hub import Hub
from chronoview.bus.redis import decode_batch, encode_batch
from chronoview.bus.subscription import BUS_DOWN, MISSED, SLOW, Closing
from chronoview.points import Point, Score, ScoredPoint

SCORE = Score(None, False, None, None, 0)


def scored(metric: str, ts: float, value: float) -> ScoredPoint:
    return ScoredPoint(Point(metric, ts, value), SCORE)


class FakeStorage:
    """Only what the hub asks of storage: stored points of a metric after a timestamp."""

    def __init__(self, points: Sequence[ScoredPoint] = (), fail: bool = False) -> None:
        self.points = list(points)
        self.fail = fail
        self.asked: list[tuple[str, float]] = []

    async def points_after(self, metric: str, after: float, limit: int) -> list[ScoredPoint]:
        self.asked.append((metric, after))
        if self.fail:
            raise ConnectionError("database down")
        return [p for p in self.points if p.point.metric == metric and p.point.ts > after][:limit]


def hub_over(storage: FakeStorage, **options: float) -> Hub:
    return Hub(storage, **options)  # type: ignore[arg-type]


async def drain(sub: object) -> list[str | Closing]:
    out: list[str | Closing] = []
    while True:
        try:
            item = await asyncio.wait_for(sub.get(), 0.05)  # type: ignore[attr-defined]
        except TimeoutError:
            return out
        out.append(item)
        if isinstance(item, Closing):
            return out


async def test_every_socket_gets_the_same_text_object_once_per_message() -> None:
    hub = hub_over(FakeStorage())
    first, second, other = hub.subscribe(["a"]), hub.subscribe(["a", "b"]), hub.subscribe(["c"])
    message = scored("a", 1.0, 1.0).encode()
    hub.deliver([("a", message), ("b", scored("b", 1.0, 2.0).encode())])
    a1, a2 = await drain(first), await drain(second)
    assert a1[0] is a2[0]  # decoded once, shared
    assert a1 == [message.decode()]
    assert len(a2) == 2
    assert await drain(other) == []


async def test_an_overflowing_socket_is_cut_loose_and_the_others_keep_everything() -> None:
    hub = hub_over(FakeStorage(), max_queue=3)
    slow, fast = hub.subscribe(["a"]), hub.subscribe(["a"])
    for i in range(3):
        hub.deliver([("a", scored("a", i, i).encode())])
        assert len(await drain(fast)) == 1
    hub.deliver([("a", scored("a", 3, 3).encode())])  # the fourth does not fit in the slow queue
    assert await drain(slow) == [SLOW]
    assert hub.sockets == 1
    hub.deliver([("a", scored("a", 4, 4).encode())])
    assert len(await drain(fast)) == 2


async def test_a_replayed_message_that_also_arrives_live_is_sent_once() -> None:
    hub = hub_over(FakeStorage())
    sub = hub.subscribe(["a"])
    points = [scored("a", i, i).encode() for i in range(4)]
    hub.deliver([("a", points[1])])  # live while the replay runs
    for data in points[:3]:  # the replay found 0, 1 and 2 in storage
        sub.remember(data.decode())
    sub.replayed()
    hub.deliver([("a", points[2]), ("a", points[3])])  # 2 published after the replay read it
    assert await drain(sub) == [points[3].decode()]


async def test_a_lost_subscription_is_caught_up_from_storage_without_duplicates() -> None:
    stored = [scored("a", 10.0001, 1), scored("a", 10.0004, 2), scored("a", 11, 3), scored("a", 12, 4),
              scored("b", 12, 5)]
    storage = FakeStorage(stored)
    hub = hub_over(storage)
    sub = hub.subscribe(["a"])
    hub.deliver([("a", stored[0].encode())])  # seen: the first point of millisecond 10.000
    hub.lost()
    await hub.resumed()
    # The newest millisecond delivered is asked again; only what was not delivered comes back.
    assert [metric for metric, _ in storage.asked] == ["a"]
    assert storage.asked[0][1] == pytest.approx(10.0 - 1e-6)
    assert await drain(sub) == [p.encode().decode() for p in stored[:4]]
    hub.deliver([("a", stored[3].encode()), ("a", scored("a", 13, 6).encode())])  # 12 arrives late
    assert await drain(sub) == [scored("a", 13, 6).encode().decode()]
    await hub.resumed()  # not lost: nothing to do
    assert len(storage.asked) == 1


async def test_a_catch_up_that_cannot_be_done_closes_the_sockets_with_1013() -> None:
    hub = hub_over(FakeStorage(fail=True))
    sub = hub.subscribe(["a"])
    hub.lost()
    await hub.resumed()
    assert await drain(sub) == [MISSED]


async def test_a_long_outage_closes_sockets_and_refuses_new_ones_until_the_bus_returns() -> None:
    hub = hub_over(FakeStorage(), bus_grace=0.05)
    sub = hub.subscribe(["a"])
    hub.lost()
    await asyncio.sleep(0.1)
    assert await drain(sub) == [BUS_DOWN]
    assert await drain(hub.subscribe(["a"])) == [BUS_DOWN]
    await hub.resumed()
    assert await drain(hub.subscribe(["a"])) == []


async def test_close_asks_every_socket_to_go_away_with_1001() -> None:
    hub = hub_over(FakeStorage())
    subs = [hub.subscribe(["a"]), hub.subscribe(["b"])]
    closing = asyncio.create_task(hub.close(wait=5))
    for sub in subs:
        assert await drain(sub) == [Closing(1001, "server shutting down")]
        hub.unsubscribe(sub)
    await closing
    assert (await drain(hub.subscribe(["a"])))[0].code == 1001  # type: ignore[union-attr]


def test_a_batch_frame_round_trips() -> None:
    messages = [("a.b:c-d_e", b'{"x":1}'), ("z", b'{"y":"\\n\\t"}')]
    assert decode_batch(encode_batch(messages)) == messages
    with pytest.raises(ValueError, match="version"):
        decode_batch(b"cv9\nz\t{}\n")


def test_since_in_whole_milliseconds_skips_that_millisecond() -> None:
    assert replay_after("2025-09-27T02:33:11.250Z") == pytest.approx(1758940391.250999, abs=1e-7)
    assert replay_after("1758940391.25") == pytest.approx(1758940391.250999, abs=1e-7)
    assert replay_after("2025-09-27T02:33:11.250500Z") == pytest.approx(1758940391.2505, abs=1e-7)
    assert replay_after("2025-09-27T04:33:11.250+02:00") == pytest.approx(1758940391.250999, abs=1e-7)


@pytest.mark.parametrize(
    ("origin", "host", "allowed", "ok"),
    [
        (None, "127.0.0.1:8000", [], True),
        ("http://127.0.0.1:8000", "127.0.0.1:8000", [], True),
        ("https://metrics.example", "metrics.example", [], True),
        ("https://metrics.example:443", "metrics.example", [], True),
        ("http://metrics.example", "metrics.example:80", [], True),
        ("http://127.0.0.1:8001", "127.0.0.1:8000", [], False),
        ("http://evil.example", "127.0.0.1:8000", [], False),
        ("http://localhost:5173", "127.0.0.1:8000", ["http://localhost:5173"], True),
        ("http://LOCALHOST:5173", "127.0.0.1:8000", ["http://localhost:5173"], True),
        ("http://evil.example", "127.0.0.1:8000", ["*"], True),
        ("null", "127.0.0.1:8000", [], False),
        ("http://127.0.0.1:notaport", "127.0.0.1:8000", [], False),
    ],
)
def test_origin_rules(origin: str | None, host: str, allowed: list[str], ok: bool) -> None:
    assert origin_allowed(origin, host, allowed) is ok
