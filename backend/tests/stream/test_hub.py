"""The hub, the bus frame and the request rules on their own: the cases a real server rarely hits
on cue (a replayed point arriving live as well, a catch-up inside the newest millisecond)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from chronoview.api.stream import Refused, _unbroken, origin_allowed, parse_since, replay_after
from chronoview.bus.base import Message
from chronoview.bus.catchup import CatchUpLimits
from chronoview.bus.hub import Hub
from chronoview.bus.redis import _VERSION, decode_batch, encode_batch
from chronoview.bus.reorder import Reorder
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
from chronoview.config import METRIC_NAME
from chronoview.points import Point, Score, ScoredPoint


def scored(metric: str, seq: int, ts: float | None = None, value: float | None = None) -> ScoredPoint:
    point = Point(metric, float(seq) if ts is None else ts, float(seq) if value is None else value)
    return ScoredPoint(point, Score(None, False, None, None, 0, seq=seq))


def msg(metric: str, seq: int, ts: float | None = None) -> Message:
    point = scored(metric, seq, ts)
    return Message(metric, seq, point.encode(), point.point.ts)


def text(metric: str, seq: int, ts: float | None = None) -> str:
    return msg(metric, seq, ts).data.decode()


class FakeStorage:
    """Only what the hub asks of storage: stored points after a seq, and passing seqs over."""

    def __init__(self, points: Sequence[ScoredPoint] = (), fail: bool = False) -> None:
        self.points = list(points)
        self.fail = fail
        self.asked: list[tuple[str, int]] = []
        self.passed: list[tuple[str, int, int]] = []

    async def points_after_seq(self, metric: str, seq: int, limit: int) -> list[ScoredPoint]:
        self.asked.append((metric, seq))
        if self.fail:
            raise ConnectionError("database down")
        return [p for p in self.points if p.point.metric == metric and p.score.seq > seq][:limit]

    async def missing_seqs(self, metric: str, first: int, last: int) -> list[range]:
        stored = {p.score.seq for p in self.points if p.point.metric == metric}
        missing = [seq for seq in range(first, last + 1) if seq not in stored
                   and not any(m == metric and lo <= seq <= hi for m, lo, hi in self.passed)]
        return [range(seq, seq + 1) for seq in missing]

    async def pass_seqs(self, metric: str, first: int, last: int) -> list[ScoredPoint]:
        self.passed.append((metric, first, last))
        if self.fail:
            raise ConnectionError("database down")
        return [p for p in self.points if p.point.metric == metric and first <= p.score.seq <= last]


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
    batch = [msg("a", 1), msg("b", 1), msg("a", 2), msg("c", 1)]
    hub.deliver(batch)
    texts = {metric: [m.data.decode() for m in batch if m.metric == metric] for metric in "ab"}
    assert len(on_a.wire) == 1
    assert on_a.texts() == texts["a"]
    assert on_b.texts() == texts["b"]
    for both in (on_both, also_both):
        assert len(both.wire) == 1
        assert both.texts() == [m.data.decode() for m in batch if m.metric != "c"]
    assert on_both.wire[0] is also_both.wire[0]  # joined once for that set of metrics
    hub.deliver([msg("a", 3), msg("a", 4)])  # the paused socket queued two, then two more
    assert paused.closed is None
    hub.deliver([msg("a", 5)])  # the bound counts messages
    assert paused.closed == SLOW


async def test_every_socket_gets_the_same_frame_object_once_per_message() -> None:
    hub = hub_over(FakeStorage())
    (_, first), (_, second), (_, other) = live(hub, ["a"]), live(hub, ["a"]), live(hub, ["c"])
    hub.deliver([msg("a", 1), msg("b", 1)])
    assert first.wire[0] is second.wire[0]  # framed once, shared
    assert first.texts() == [text("a", 1)]
    assert other.wire == []


async def test_a_full_connection_queues_until_it_drains_and_past_the_bound_is_closed() -> None:
    hub = hub_over(FakeStorage(), max_queue=3)
    (_, slow), (_, fast) = live(hub, ["a"]), live(hub, ["a"])
    slow.full = True
    for seq in range(1, 4):
        hub.deliver([msg("a", seq)])
    assert slow.wire == []
    assert len(fast.wire) == 3
    slow.drains()  # what queued goes out, in order, in one write
    assert len(slow.wire) == 1
    assert slow.texts() == [text("a", seq) for seq in range(1, 4)]
    slow.full = True
    for seq in range(4, 8):  # the fourth does not fit in the queue
        hub.deliver([msg("a", seq)])
    assert slow.closed == SLOW
    assert hub.sockets == 1
    slow.drains()  # nothing more for a closed socket
    assert len(slow.texts()) == 3
    hub.deliver([msg("a", 8)])
    assert fast.texts() == [text("a", seq) for seq in range(1, 9)]


async def test_what_a_socket_already_has_is_not_sent_again_live() -> None:
    hub = hub_over(FakeStorage())
    connection = Connection()
    sub = hub.subscribe(["a"], connection, cursors={"a": 2})  # the client has 1 and 2
    hub.deliver([msg("a", 3)])  # live while the replay runs: it waits
    assert connection.wire == []
    for seq in (3, 4):  # the replay found 3 and 4 in storage
        sub.sent("a", seq)
    sub.go_live()
    hub.deliver([msg("a", 4), msg("a", 5)])  # 4 published after the replay read it
    assert connection.texts() == [text("a", 5)]
    hub.deliver([msg("a", 4), msg("a", 6)])  # a duplicate past the seam is dropped by the order
    assert connection.texts() == [text("a", 5), text("a", 6)]


async def test_what_a_socket_already_has_is_dropped_even_when_the_connection_is_full() -> None:
    hub = hub_over(FakeStorage())
    connection = Connection()
    sub = hub.subscribe(["a"], connection, cursors={"a": 0})
    for seq in (1, 2):
        sub.sent("a", seq)
    sub.go_live()
    connection.full = True
    hub.deliver([msg("a", 1), msg("a", 2), msg("a", 3)])
    connection.drains()
    assert connection.texts() == [text("a", 3)]


async def test_points_arriving_out_of_seq_order_are_sent_in_seq_order_and_a_release_is_not_waited_for(
) -> None:
    storage = FakeStorage()
    hub = hub_over(storage, pass_after=0.05)
    _, connection = live(hub, ["a"])
    hub.deliver([msg("a", 1, ts=100)])
    hub.deliver([msg("a", 3, ts=99), msg("a", 5, ts=98)])  # 2 and 4 are late
    assert connection.texts() == [text("a", 1, ts=100)]
    hub.deliver([msg("a", 2, ts=101)])
    assert connection.texts()[1:] == [text("a", 2, ts=101), text("a", 3, ts=99)]
    hub.deliver([Message("a", 4, b"", 97.0)])  # 4's write failed: 5 goes at once
    assert connection.texts()[3:] == [text("a", 5, ts=98)]
    hub.deliver([msg("a", 3, ts=99), msg("a", 6, ts=96)])  # a duplicate, then the next
    assert connection.texts()[4:] == [text("a", 6, ts=96)]
    await asyncio.sleep(0.1)
    assert storage.passed == []  # nothing was missing long enough to be passed over


async def test_a_seq_that_never_comes_is_passed_over_and_a_stored_one_is_sent_from_storage() -> None:
    storage = FakeStorage([scored("a", 3)])  # 3 was stored, its publication lost; 2 never was
    hub = hub_over(storage, pass_after=0.05)
    _, connection = live(hub, ["a"])
    hub.deliver([msg("a", 1), msg("a", 4)])
    assert connection.texts() == [text("a", 1)]
    await asyncio.sleep(0.2)
    assert storage.passed == [("a", 2, 3)]
    assert connection.texts() == [text("a", seq) for seq in (1, 3, 4)]
    hub.deliver([msg("a", 2), msg("a", 5)])  # too late for 2: the order is past it
    assert connection.texts()[3:] == [text("a", 5)]


async def test_a_pass_that_cannot_be_done_closes_the_sockets_with_1013() -> None:
    hub = hub_over(FakeStorage(fail=True), pass_after=0.01)
    _, connection = live(hub, ["a"])
    hub.deliver([msg("a", 1), msg("a", 3)])
    await asyncio.sleep(0.1)
    assert connection.closed == MISSED


def test_a_replay_stops_at_a_missing_seq_the_hub_has_not_resolved() -> None:
    page = [scored("a", seq) for seq in (3, 4, 6, 9, 10)]

    def seqs(after: int, resolved: range) -> list[int]:
        kept, unsettled = _unbroken(page, after, resolved, complete=False)
        assert unsettled is None
        return [p.score.seq for p in kept]

    assert seqs(2, range(3, 3)) == [3, 4]  # 5 may still be on its way: the live stream brings it
    assert seqs(2, range(3, 6)) == [3, 4, 6]  # 5 was passed over (or released): 7 is not resolved yet
    assert seqs(2, range(3, 9)) == [3, 4, 6, 9, 10]
    assert seqs(0, range(1, 1)) == []  # 1 is missing


def test_a_replay_settles_itself_the_missing_seqs_below_the_start_of_the_hubs_stream() -> None:
    page = [scored("a", seq) for seq in (3, 4, 6, 9, 10)]

    def cut(after: int, resolved: range, complete: bool = False) -> tuple[list[int], range | None]:
        kept, unsettled = _unbroken([p for p in page if p.score.seq > after], after, resolved, complete)
        return [p.score.seq for p in kept], unsettled

    # The stream here started at 7: nobody here accounts for 5, nor for 7 and 8.
    assert cut(2, range(7, 11)) == ([3, 4], range(5, 6))
    assert cut(5, range(7, 11)) == ([6, 9, 10], None)  # 7 and 8 are in the stream: gone
    assert cut(6, range(12, 12)) == ([], range(7, 9))
    assert cut(10, range(14, 15), complete=True) == ([], range(11, 14))  # after the last stored
    assert cut(10, range(14, 15)) == ([], None)  # the next page will tell


async def test_the_stream_of_a_metric_starts_at_the_first_seq_seen_and_seqs_below_are_settled_apart(
) -> None:
    storage = FakeStorage([scored("a", 1), scored("a", 4)])
    hub = hub_over(storage, pass_after=0.3)
    _, connection = live(hub, ["a"])
    hub.deliver([msg("a", 4)])
    assert hub.resolved("a") == range(4, 5)

    async def late_write() -> None:
        await asyncio.sleep(0.05)
        storage.points.append(scored("a", 2))

    writer = asyncio.create_task(late_write())
    # 2 is being written elsewhere: waited for and found; 3 never comes: passed over.
    settled = await hub.settle("a", range(2, 4))
    await writer
    assert [p.score.seq for p in settled] == [2]
    assert storage.passed == [("a", 3, 3)]
    hub.deliver([msg("a", 2)])  # late, below the start: not sent live (the replay sent it)
    assert connection.texts() == [text("a", 4)]
    started = asyncio.get_running_loop().time()
    assert await hub.settle("a", range(3, 4)) == []  # already passed: no wait, no second pass
    assert asyncio.get_running_loop().time() - started < 0.2
    assert storage.passed == [("a", 3, 3)]


async def test_a_socket_alone_on_a_metric_goes_on_after_its_replay_without_waiting() -> None:
    storage = FakeStorage()
    hub = hub_over(storage, pass_after=0.05)
    connection = Connection()
    sub = hub.subscribe(["a"], connection, cursors={"a": 2})
    assert hub.resolved("a") == range(3, 3)
    for seq in (3, 4):  # the replay found 3 and 4, published before the socket came
        sub.sent("a", seq)
    hub.replayed(sub, "a", 4)
    sub.go_live()
    hub.deliver([msg("a", 5)])
    assert connection.texts() == [text("a", 5)]  # no wait for 3 and 4, no pass
    other = Connection()
    other_sub = hub.subscribe(["a"], other, cursors={"a": 1})
    other_sub.go_live()
    hub.replayed(other_sub, "a", 9)  # not alone: the order stays where it is
    assert hub.resolved("a") == range(3, 6)
    await asyncio.sleep(0.1)
    assert storage.passed == []


async def test_a_lost_subscription_is_caught_up_from_storage_by_seq_without_duplicates() -> None:
    stored = [scored("a", seq, ts=20 - seq) for seq in range(1, 5)] + [scored("b", 1)]
    storage = FakeStorage(stored)
    hub = hub_over(storage)
    _, connection = live(hub, ["a"])
    hub.deliver([msg("a", 1, ts=19)])
    hub.lost()
    await hub.resumed()
    assert storage.asked == [("a", 1)]  # after the last seq sent, whatever the timestamps
    assert connection.texts() == [p.encode().decode() for p in stored[:4]]
    hub.deliver([msg("a", 4, ts=16), msg("a", 5)])  # 4 arrives late
    assert connection.texts()[4:] == [text("a", 5)]
    await hub.resumed()  # not lost: nothing to do
    assert len(storage.asked) == 1


async def test_a_catch_up_that_cannot_be_done_closes_the_sockets_with_1013() -> None:
    hub = hub_over(FakeStorage(fail=True))
    _, connection = live(hub, ["a"])
    hub.deliver([msg("a", 1)])
    hub.lost()
    await hub.resumed()
    assert connection.closed == MISSED


async def test_a_long_outage_closes_sockets_and_refuses_new_ones_until_the_bus_returns() -> None:
    hub = hub_over(FakeStorage(), catchup=CatchUpLimits(grace=0.05))
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
    messages = [Message("a.b:c-d_e", 7, b'{"x":1}', 1.5), Message("z", 0, b'{"y":"\\n\\t"}', 0.1),
                Message("z", 8, b"", 1e9 + 0.123)]
    assert decode_batch(encode_batch(messages)) == messages
    with pytest.raises(ValueError, match="version"):
        decode_batch(b"cv9\nz\t{}\n")


def _frame_by_fstring(messages: Sequence[Message]) -> bytes:
    """The frame as it was written one f-string per message (repr of each stamp)."""
    parts = [_VERSION]
    for metric, seq, data, ts in messages:
        parts += (f"{metric}\t{seq}\t{ts!r}\t".encode(), data, b"\n")
    return b"".join(parts)


_messages = st.lists(st.builds(
    Message,
    st.from_regex(METRIC_NAME.pattern.strip("^$"), fullmatch=True) | st.just("__incidents__"),
    st.integers(0, 2**63 - 1),
    st.binary(max_size=20).map(lambda b: b.replace(b"\n", b"").replace(b"\t", b"")),
    st.floats(allow_nan=False) | st.sampled_from([0.0, -0.0, 1e16, 1.75e9 + 0.001, 253_402_300_799.999]),
), max_size=12)


@settings(max_examples=400, deadline=None)
@given(_messages)
def test_a_frame_reads_back_as_the_f_string_frame_does(messages: list[Message]) -> None:
    """Stamps and seqs written by orjson columns: the same messages as the one-f-string-per-message
    frame gives, infinities (orjson's null) included; lines identical but for a stamp's spelling."""
    frame, reference = encode_batch(messages), _frame_by_fstring(messages)
    assert decode_batch(frame) == decode_batch(reference) == messages
    for line, want in zip(frame.split(b"\n"), reference.split(b"\n"), strict=True):
        got_fields, want_fields = line.split(b"\t", 3), want.split(b"\t", 3)
        if len(want_fields) == 4:
            assert float(got_fields[2]) == float(want_fields[2])
            del got_fields[2], want_fields[2]
        assert got_fields == want_fields


def test_since_cursors_are_told_from_timestamps_by_the_subscribed_metrics() -> None:
    metrics = ("cpu", "host:1")
    assert parse_since(["cpu:5", "host:1:0"], metrics) == ({"cpu": 5, "host:1": 0}, None)
    cursors, after = parse_since(["cpu:3", "2025-09-27T02:33:11Z"], metrics)
    assert cursors == {"cpu": 3}
    assert after == pytest.approx(1758940391.000999, abs=1e-7)
    # "host" is not subscribed, so "host:12" is read as a timestamp, and is not one.
    bad_values = (["host:12"], ["cpu:x"], ["cpu:1", "cpu:2"], ["cpu:-1"],
                  ["2025-09-27T02:33:11Z", "1758940391"])
    for bad in bad_values:
        with pytest.raises(Refused):
            parse_since(bad, metrics)


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
    monkeypatch.setattr("chronoview.bus.fanout.LATEST_PERIOD", 0.05)
    hub = hub_over(FakeStorage())
    everything = [Connection() for _ in range(200)]
    for connection in everything:
        hub.subscribe(None, connection, latest=True).go_live()
    named = Connection()
    hub.subscribe(["b"], named, latest=True).go_live()
    every_point = Connection()
    hub.subscribe(None, every_point).go_live()
    timers = [hub._fanout._latest_timer]

    points = [msg("a", i + 1, ts=10 + i) for i in range(50)]
    points += [msg("b", 1, ts=5), msg("a", 51, ts=1)]  # a late point of a
    hub.deliver(points)
    assert all(not c.wire for c in everything)  # nothing per point
    assert not named.wire
    assert len(every_point.texts()) == 52  # metric=* without mode: every point, in order
    await asyncio.sleep(0.08)
    newest = {"a": text("a", 50, ts=59), "b": text("b", 1, ts=5)}
    assert sorted(everything[0].texts()) == sorted(newest.values())
    assert len({id(c.wire[0]) for c in everything}) == 1  # one batch, built once, shared
    assert named.texts() == [newest["b"]]

    await asyncio.sleep(0.1)  # no new point: nothing more is sent
    assert len(everything[0].texts()) == 2
    hub.deliver([msg("b", 2, ts=6)])
    await asyncio.sleep(0.08)
    assert everything[0].texts()[2:] == [text("b", 2, ts=6)]
    assert named.texts()[1:] == [text("b", 2, ts=6)]
    timers.append(hub._fanout._latest_timer)
    assert None not in timers  # one timer for the hub, re-armed each tick, whatever the sockets

    await hub.close(0.01)


def test_a_batch_of_metrics_nobody_wants_asks_once_per_metric_and_emits_nothing() -> None:
    asked: list[str] = []
    emitted: list[list[Message]] = []

    def wanted(metric: str) -> bool:
        asked.append(metric)
        return metric == "watched"

    async def never(metric: str, first: int, last: int) -> list[Message]:
        raise AssertionError("no pass expected")

    reorder = Reorder(emitted.append, never, wanted, lambda metric: None)
    batch = [Message(f"m{i % 3}", i // 3 + 1, b"{}", 1.0) for i in range(300)]
    batch += [Message("watched", 1, b"{}", 1.0), Message("watched", 2, b"{}", 1.0)]
    reorder.push(batch)
    assert sorted(asked) == ["m0", "m1", "m2", "watched"]
    assert emitted == [batch[-2:]]
    reorder.push(batch[:3])  # a later batch asks again: a socket may have come meanwhile
    assert len(asked) == 7
