"""The hub, the bus frame and the request rules on their own: the cases a real server rarely hits
on cue (a replayed point arriving live as well, a catch-up inside the newest millisecond)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from chronoview.api.stream import origin_allowed, replay_after
from chronoview.bus.hub import Hub
from chronoview.bus.redis import decode_batch, encode_batch
from chronoview.bus.subscription import (
    BUS_DOWN,
    MISSED,
    SHUTDOWN,
    SLOW,
    Batch,
    Closing,
    Subscription,
    text_frame,
)
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


class Connection:
    """A socket's connection as the hub sees it: records what is written, full while told so."""

    def __init__(self) -> None:
        self.wire: list[bytes] = []
        self.closed: Closing | None = None
        self.full = False
        self._writable: Callable[[], None] | None = None

    def write(self, batch: Batch) -> bool:
        if self.full:
            return False
        self.wire.append(batch.wire)
        return True

    def close(self, code: int, reason: str) -> None:
        assert self.closed is None, "closed twice"
        self.closed = Closing(code, reason)

    def watch(self, writable: Callable[[], None]) -> None:
        self._writable = writable

    def drains(self) -> None:
        self.full = False
        assert self._writable is not None
        self._writable()

    def texts(self) -> list[str]:
        return unframe(b"".join(self.wire))


def unframe(wire: bytes) -> list[str]:
    """The texts of a server's text frames, parsed as a client would (websockets' own parser)."""
    reader = StreamReader()
    reader.feed_data(wire)
    texts: list[str] = []
    while reader.buffer:
        parser = Frame.parse(reader.read_exact, mask=False)
        try:
            next(parser)
        except StopIteration as done:
            parsed: Frame = done.value
        assert parsed.opcode is Opcode.TEXT
        assert parsed.fin
        texts.append(bytes(parsed.data).decode())
    return texts


def live(hub: Hub, metrics: list[str]) -> tuple[Subscription, Connection]:
    connection = Connection()
    sub = hub.subscribe(metrics, connection)
    sub.go_live()
    return sub, connection


@pytest.mark.parametrize("size", [10, 125, 126, 65_535, 65_536, 70_000])
def test_a_frame_is_built_as_a_client_parses_it(size: int) -> None:
    text = "x" * size
    assert unframe(text_frame(text.encode())) == [text]


async def test_a_batch_reaches_each_socket_as_one_write_of_its_own_messages_in_order() -> None:
    hub = hub_over(FakeStorage(), max_queue=4)
    (_, on_a), (_, on_b), (_, on_both), (_, also_both) = (
        live(hub, ["a"]), live(hub, ["b"]), live(hub, ["a", "b"]), live(hub, ["b", "a"]))
    (_, paused) = live(hub, ["a"])
    paused.full = True
    batch = [("a", scored("a", 1, 1).encode()), ("b", scored("b", 1, 2).encode()),
             ("a", scored("a", 2, 3).encode()), ("c", scored("c", 1, 4).encode())]
    hub.deliver(batch)
    texts = {metric: [data.decode() for m, data in batch if m == metric] for metric in "ab"}
    assert len(on_a.wire) == 1
    assert on_a.texts() == texts["a"]
    assert on_b.texts() == texts["b"]
    for both in (on_both, also_both):
        assert len(both.wire) == 1
        assert both.texts() == [data.decode() for m, data in batch if m != "c"]
    assert on_both.wire[0] is also_both.wire[0]  # joined once for that set of metrics
    hub.deliver(batch)  # the paused socket queued two, then two more: the bound counts messages
    assert paused.closed is None
    hub.deliver(batch[:1])
    assert paused.closed == SLOW


async def test_every_socket_gets_the_same_frame_object_once_per_message() -> None:
    hub = hub_over(FakeStorage())
    (_, first), (_, second), (_, other) = live(hub, ["a"]), live(hub, ["a"]), live(hub, ["c"])
    message = scored("a", 1.0, 1.0).encode()
    hub.deliver([("a", message), ("b", scored("b", 1.0, 2.0).encode())])
    assert first.wire[0] is second.wire[0]  # framed once, shared
    assert first.texts() == [message.decode()]
    assert other.wire == []


async def test_a_full_connection_queues_until_it_drains_and_past_the_bound_is_closed() -> None:
    hub = hub_over(FakeStorage(), max_queue=3)
    (_, slow), (_, fast) = live(hub, ["a"]), live(hub, ["a"])
    points = [scored("a", i, i).encode() for i in range(8)]
    slow.full = True
    for data in points[:3]:
        hub.deliver([("a", data)])
    assert slow.wire == []
    assert len(fast.wire) == 3
    slow.drains()  # what queued goes out, in order, in one write
    assert len(slow.wire) == 1
    assert slow.texts() == [p.decode() for p in points[:3]]
    slow.full = True
    for data in points[3:7]:  # the fourth does not fit in the queue
        hub.deliver([("a", data)])
    assert slow.closed == SLOW
    assert hub.sockets == 1
    slow.drains()  # nothing more for a closed socket
    assert len(slow.texts()) == 3
    hub.deliver([("a", points[7])])
    assert fast.texts() == [p.decode() for p in points]


async def test_a_replayed_message_that_also_arrives_live_is_sent_once() -> None:
    hub = hub_over(FakeStorage())
    connection = Connection()
    sub = hub.subscribe(["a"], connection)
    points = [scored("a", i, i).encode() for i in range(5)]
    hub.deliver([("a", points[1])])  # live while the replay runs: it waits
    assert connection.wire == []
    for data in points[:3]:  # the replay found 0, 1 and 2 in storage
        sub.remember(data)
    sub.go_live()
    hub.deliver([("a", points[2]), ("a", points[3])])  # 2 published after the replay read it
    assert connection.texts() == [points[3].decode()]
    sub.go_live(grace=0)  # past the grace period a copy is no longer looked for
    hub.deliver([("a", points[4])])
    assert connection.texts() == [points[3].decode(), points[4].decode()]


async def test_a_replayed_copy_is_dropped_even_when_the_connection_is_full() -> None:
    hub = hub_over(FakeStorage())
    connection = Connection()
    sub = hub.subscribe(["a"], connection)
    points = [scored("a", i, i).encode() for i in range(3)]
    for data in points[:2]:
        sub.remember(data)
    sub.go_live()
    connection.full = True
    hub.deliver([("a", data) for data in points])
    connection.drains()
    assert connection.texts() == [points[2].decode()]


async def test_a_lost_subscription_is_caught_up_from_storage_without_duplicates() -> None:
    stored = [scored("a", 10.0001, 1), scored("a", 10.0004, 2), scored("a", 11, 3), scored("a", 12, 4),
              scored("b", 12, 5)]
    storage = FakeStorage(stored)
    hub = hub_over(storage)
    _, connection = live(hub, ["a"])
    hub.deliver([("a", stored[0].encode())])  # seen: the first point of millisecond 10.000
    hub.lost()
    await hub.resumed()
    # The newest millisecond delivered is asked again; only what was not delivered comes back.
    assert [metric for metric, _ in storage.asked] == ["a"]
    assert storage.asked[0][1] == pytest.approx(10.0 - 1e-6)
    assert connection.texts() == [p.encode().decode() for p in stored[:4]]
    hub.deliver([("a", stored[3].encode()), ("a", scored("a", 13, 6).encode())])  # 12 arrives late
    assert connection.texts()[4:] == [scored("a", 13, 6).encode().decode()]
    await hub.resumed()  # not lost: nothing to do
    assert len(storage.asked) == 1


async def test_a_catch_up_that_cannot_be_done_closes_the_sockets_with_1013() -> None:
    hub = hub_over(FakeStorage(fail=True))
    _, connection = live(hub, ["a"])
    hub.lost()
    await hub.resumed()
    assert connection.closed == MISSED


async def test_a_long_outage_closes_sockets_and_refuses_new_ones_until_the_bus_returns() -> None:
    hub = hub_over(FakeStorage(), bus_grace=0.05)
    _, connection = live(hub, ["a"])
    hub.lost()
    await asyncio.sleep(0.1)
    assert connection.closed == BUS_DOWN
    assert live(hub, ["a"])[1].closed == BUS_DOWN
    await hub.resumed()
    assert live(hub, ["a"])[1].closed is None


async def test_close_asks_every_socket_to_go_away_with_1001() -> None:
    hub = hub_over(FakeStorage())
    subs = [live(hub, ["a"]), live(hub, ["b"])]
    closing = asyncio.create_task(hub.close(wait=5))
    await asyncio.sleep(0)
    for sub, connection in subs:
        assert connection.closed == Closing(1001, "server shutting down")
        hub.unsubscribe(sub)
    await closing
    assert live(hub, ["a"])[1].closed == SHUTDOWN


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


async def test_latest_mode_sends_each_metrics_newest_message_once_per_tick_in_one_shared_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`mode=latest`: nothing per point; one hub timer sends the newest message of each metric that
    moved, the same frames to every `metric=*` socket, only their metrics to the others."""
    monkeypatch.setattr("chronoview.bus.hub.LATEST_PERIOD", 0.05)
    hub = hub_over(FakeStorage())
    everything = [Connection() for _ in range(200)]
    for connection in everything:
        hub.subscribe(None, connection, latest=True).go_live()
    named = Connection()
    hub.subscribe(["b"], named, latest=True).go_live()
    every_point = Connection()
    hub.subscribe(None, every_point).go_live()
    timers = [hub._latest_timer]

    points = [("a", scored("a", 10 + i, i).encode()) for i in range(50)]
    points += [("b", scored("b", 5, 1).encode()), ("a", scored("a", 1, -1).encode())]  # a late point of a
    hub.deliver(points)
    assert all(not c.wire for c in everything)  # nothing per point
    assert not named.wire
    assert len(every_point.texts()) == 52  # metric=* without mode: every point, in order
    await asyncio.sleep(0.08)
    newest = {"a": scored("a", 59, 49).encode().decode(), "b": scored("b", 5, 1).encode().decode()}
    assert sorted(everything[0].texts()) == sorted(newest.values())
    assert len({id(c.wire[0]) for c in everything}) == 1  # one batch, built once, shared
    assert named.texts() == [newest["b"]]

    await asyncio.sleep(0.1)  # no new point: nothing more is sent
    assert len(everything[0].texts()) == 2
    hub.deliver([("b", scored("b", 6, 2).encode())])
    await asyncio.sleep(0.08)
    assert everything[0].texts()[2:] == [scored("b", 6, 2).encode().decode()]
    assert named.texts()[1:] == [scored("b", 6, 2).encode().decode()]
    timers.append(hub._latest_timer)
    assert None not in timers  # one timer for the hub, re-armed each tick, whatever the sockets

    await hub.close(0.01)
