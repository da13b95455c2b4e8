"""What only the Redis backend has to get right: keys, expiry, the script, batches, many writers."""

from __future__ import annotations

import asyncio
import itertools
import random
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from redis.crc import key_slot

from chronoview.points import Point, Score
from chronoview.window import MemoryWindow, WindowParams, create_window
from chronoview.window.memory import latest_window
from chronoview.window.redis import SEQ_MARGIN, RedisWindow
from tests.window.owned import OwnedRedisWindow
from tests.window.reference import ReferenceWindow, assert_all_match

T0 = 1_750_000_000.0
PARAMS = WindowParams(seconds=300.0, sigma=2.5, min_points=5)
SHORT = WindowParams(seconds=20.0, sigma=2.5, min_points=5)  # keeps the reference quick on big batches


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    connection = Redis.from_url(redis_url)
    yield connection
    await connection.aclose()


@pytest.fixture
async def window(redis_url: str) -> AsyncIterator[RedisWindow]:
    made = OwnedRedisWindow(redis_url, PARAMS)
    yield made
    await made.close()


def steady(metric: str, count: int, start: float = T0, seed: int = 0) -> list[Point]:
    rnd = random.Random(seed)
    return [Point(metric, start + i * 0.5, 100.0 + rnd.gauss(0.0, 3.0)) for i in range(count)]


async def test_keys_of_a_metric_share_one_hash_slot_and_expire(window: RedisWindow, client: Redis) -> None:
    await window.rebuild("traffic", [])
    await window.score(steady("traffic", 3))
    wkey, skey, qkey = RedisWindow.keys("traffic")
    assert all("{traffic}" in key for key in (wkey, skey, qkey))
    assert key_slot(wkey.encode()) == key_slot(skey.encode()) == key_slot(qkey.encode())
    for key in (wkey, skey):
        ttl = await client.pttl(key)
        assert PARAMS.seconds * 1000 < ttl <= (PARAMS.seconds + 61) * 1000
    assert await client.pttl(qkey) == -1  # the seq counter never expires
    assert sorted(k.decode() for k in await client.keys("*")) == sorted([wkey, skey, qkey])


async def test_every_write_refreshes_the_expiry(window: RedisWindow, client: Redis) -> None:
    await window.rebuild("cpu", [])
    await window.score(steady("cpu", 2))
    wkey, skey, _ = RedisWindow.keys("cpu")
    await client.pexpire(wkey, 5000)
    await client.pexpire(skey, 5000)
    await window.score([Point("cpu", T0 + 10, 1.0)])
    assert await client.pttl(wkey) > 5000
    assert await client.pttl(skey) > 5000


async def test_an_expired_metric_scores_none_and_rebuilds(window: RedisWindow, client: Redis) -> None:
    await window.rebuild("cpu", [])
    await window.score(steady("cpu", 10))
    for key in RedisWindow.keys("cpu")[:2]:
        await client.pexpire(key, 1)
    await asyncio.sleep(0.05)
    assert await window.score([Point("cpu", T0 + 100, 1.0)]) == [None]
    assert await client.keys("*") == [RedisWindow.keys("cpu")[2].encode()]  # nothing written but the counter
    await window.rebuild("cpu", [(T0, 1.0), (T0 + 1, 2.0)])
    [score] = await window.score([Point("cpu", T0 + 2, 3.0)])
    assert score == Score(None, False, 1.5, pytest.approx(0.5**0.5), 2)


async def test_a_flushed_server_scores_none(window: RedisWindow, client: Redis) -> None:
    await window.rebuild("cpu", [])
    await client.flushdb()
    assert await window.score(steady("cpu", 2)) == [None, None]


async def test_half_a_state_is_dropped_whole(window: RedisWindow, client: Redis) -> None:
    await window.rebuild("cpu", [])
    await window.score(steady("cpu", 10))
    await client.delete(RedisWindow.keys("cpu")[0])  # as maxmemory eviction might
    assert await window.score([Point("cpu", T0 + 100, 1.0)]) == [None]
    assert await client.keys("*") == [RedisWindow.keys("cpu")[2].encode()]


async def test_the_script_is_reloaded_after_script_flush(window: RedisWindow, client: Redis) -> None:
    await window.rebuild("a", [])
    await window.rebuild("b", [])
    await client.script_flush()
    [one] = await window.score([Point("a", T0, 1.0)])
    assert one == Score(None, False, None, None, 0)
    await client.script_flush()
    scores = await window.score([Point("a", T0 + 1, 2.0), Point("b", T0, 5.0)])  # pipelined
    assert scores == [Score(None, False, 1.0, None, 1), Score(None, False, None, None, 0)]


async def test_equal_values_are_distinct_members(window: RedisWindow, client: Redis) -> None:
    await window.rebuild("same", [(T0 - 1, 7.0)])
    await window.score([Point("same", T0 + i, 7.0) for i in range(6)] + [Point("same", T0 + 2, 7.0)])
    members = await client.zrange(RedisWindow.keys("same")[0], 0, -1)
    assert len(members) == len(set(members)) == 8
    [score] = await window.score([Point("same", T0 + 7, 7.0)])
    assert score == Score(None, False, 7.0, 0.0, 8)


async def test_floats_come_back_exactly(window: RedisWindow) -> None:
    x = 0.1 + 0.2  # 0.30000000000000004: any rounding on the way would show
    await window.rebuild("exact", [(T0, x)])
    [score] = await window.score([Point("exact", T0 + 1, x)])
    assert score is not None
    assert score.mean == x


async def test_ten_thousand_points_in_one_call(redis_url: str, client: Redis) -> None:
    window = OwnedRedisWindow(redis_url, SHORT)
    reference = ReferenceWindow(SHORT)
    await window.rebuild("bulk", [])
    reference.rebuild("bulk", [])
    points = steady("bulk", 10_000, seed=1)
    await client.config_resetstat()
    got = await window.score(points)
    stats = await client.info("commandstats")
    await window.close()
    assert stats["cmdstat_evalsha"]["calls"] == 1
    assert_all_match(got, reference.score(points), points, SHORT)


@pytest.mark.parametrize("size", [1_000, 20_000])
@pytest.mark.parametrize("at_cap", [True, False], ids=["at-cap", "by-time"])
async def test_a_full_window_costs_a_batch_the_same_commands_whatever_it_holds(
    redis_url: str, client: Redis, size: int, at_cap: bool
) -> None:
    """SPEC §4's O(1) per point, counted in commands rather than timed: in a batch whose points
    each make one old point leave (past the cap, or by time), the leaving ones are read in chunks
    of 64 and removed in one command, and the new ones wait to go in by one ZADD at the end (one
    per chunk read until 2026-12). (A window at its cap once popped each point on its own and read
    the chunk again every time: ~5x the cost per point.)"""
    step = 290.0 / size  # every point in the window, and in-order points evict one each by time
    params = WindowParams(seconds=300.0, max_points=size) if at_cap else WindowParams(
        seconds=290.0 + step / 2, max_points=size + 1)
    window = OwnedRedisWindow(redis_url, params)
    await window.rebuild("full", [(T0 + i * step, float(i % 7)) for i in range(size)])
    batch = [Point("full", T0 + (size + i) * step, float(i % 5)) for i in range(640)]
    await client.config_resetstat()
    scores = await window.score(batch)
    stats = await client.info("commandstats")
    await window.close()
    assert [s.n for s in scores if s] == [size] * len(batch)
    calls = {name.removeprefix("cmdstat_"): stat["calls"] for name, stat in stats.items()}
    assert calls.pop("zadd") == 1
    assert calls.pop("zrange") <= len(batch) // 64 + 1
    assert sum(calls.values()) <= 12  # EVALSHA and the state's own: HMGET, HSET, INCRBY, ...
    assert await client.zcard(RedisWindow.keys("full")[0]) == params.max_points  # the last one added


async def test_larger_batches_are_split_but_stay_in_order(redis_url: str) -> None:
    window = OwnedRedisWindow(redis_url, SHORT)
    reference = ReferenceWindow(SHORT)
    await window.rebuild("bulk", [])
    reference.rebuild("bulk", [])
    points = steady("bulk", 23_456, seed=2)
    points[15_000] = Point("bulk", points[14_990].ts, 1e6)  # late, and an outlier
    got = await window.score(points)
    await window.close()
    assert_all_match(got, reference.score(points), points, SHORT)


async def test_several_metrics_travel_in_one_round_trip(window: RedisWindow, client: Redis) -> None:
    reference = ReferenceWindow(PARAMS)
    metrics = [f"m{i}" for i in range(5)]
    for metric in metrics:
        await window.rebuild(metric, [])
        reference.rebuild(metric, [])
    rnd = random.Random(3)
    points = [Point(rnd.choice(metrics), T0 + i, rnd.random()) for i in range(3000)]
    await client.config_resetstat()
    assert_all_match(await window.score(points), reference.score(points), points, PARAMS)
    stats = await client.info("commandstats")
    assert stats["cmdstat_evalsha"]["calls"] == 5


async def test_a_large_rebuild_is_staged_and_installed_whole(window: RedisWindow, client: Redis) -> None:
    history = [(T0 + i * 0.01, float(i % 17)) for i in range(25_000)]  # all inside 300 s
    reference = ReferenceWindow(PARAMS)
    await window.rebuild("big", history)
    reference.rebuild("big", history)
    assert await client.zcard(RedisWindow.keys("big")[0]) == 25_000
    assert sorted(k.decode() for k in await client.keys("*")) == sorted(RedisWindow.keys("big"))
    points = steady("big", 50, start=T0 + 250)
    assert_all_match(await window.score(points), reference.score(points), points, PARAMS)


async def test_racing_rebuilds_install_once(redis_url: str, client: Redis) -> None:
    small = [(T0 + i, float(i)) for i in range(10)]
    large = [(T0 + i * 0.01, float(i % 5)) for i in range(12_000)]  # staged in two calls
    windows = [OwnedRedisWindow(redis_url, PARAMS) for _ in range(4)]
    try:
        for round_number in range(5):
            metric = f"race{round_number}"
            histories = [small if i % 2 else large for i in range(len(windows))]
            await asyncio.gather(*(w.rebuild(metric, h) for w, h in zip(windows, histories, strict=True)))
            count = await client.zcard(RedisWindow.keys(metric)[0])
            assert count in (len(small), len(large))  # one history, never two mixed or doubled
            [score] = await windows[0].score([Point(metric, T0 + 120, 0.0)])
            assert score is not None
            assert score.n == count
        assert all(b"rebuild" not in k for k in await client.keys("*"))  # staging keys cleaned up
    finally:
        for w in windows:
            await w.close()


async def test_many_writers_agree_with_the_reference_in_redis_order(redis_url: str) -> None:
    """Two connections race on one metric; Redis applies whole batches, in the order it numbers them."""
    clients = [Redis.from_url(redis_url) for _ in range(2)]
    await RedisWindow(clients[0], PARAMS).rebuild("shared", [])
    rnd = random.Random(4)
    # Timestamps all over ten minutes: late and too-old points whichever order wins.
    batches = [
        [Point("shared", T0 + rnd.uniform(0, 600), rnd.choice([1.0, 2.0, 2.0, 3.0, 50.0])) for _ in range(25)]
        for _ in range(80)
    ]
    applied: list[tuple[int, int, list[Point], list[Score | None]]] = []

    async def write(number: int, mine: list[list[Point]]) -> None:
        writer = RedisWindow(clients[number], PARAMS)
        for batch in mine:
            scores = (await writer.assess(batch)).scores
            assert scores[0] is not None
            applied.append((scores[0].seq, number, batch, scores))

    try:
        await asyncio.gather(*(write(i % 2, batches[i::4]) for i in range(4)))
    finally:
        for client in clients:
            await client.aclose()
    applied.sort(key=lambda entry: entry[0])
    # Each batch got the next 25 seqs, in the order Redis applied the batches.
    seqs = [s.seq for entry in applied for s in entry[3] if s is not None]
    assert seqs == list(range(1, 25 * len(batches) + 1))
    order = [entry[1] for entry in applied]
    assert sum(a != b for a, b in itertools.pairwise(order)) > 5  # the writers really interleaved
    reference = ReferenceWindow(PARAMS)
    reference.rebuild("shared", [])
    for _, _, batch, scores in applied:
        assert_all_match(scores, reference.score(batch), batch, PARAMS)


async def test_the_window_leaves_its_client_open(redis_url: str) -> None:
    """The app's one client serves the window, the bus and the rest: the lifespan closes it."""
    client = Redis.from_url(redis_url)
    window = RedisWindow(client, PARAMS)
    await window.rebuild("x", [])
    await window.close()
    assert await client.ping()
    await client.aclose()


async def test_a_decoding_client_still_reads_binary_replies(redis_url: str) -> None:
    client = Redis.from_url(redis_url, decode_responses=True)
    window = RedisWindow(client, PARAMS)
    try:
        await window.rebuild("text", [(T0, 1.0)])
        assert await window.score([Point("text", T0 + 1, 2.0)]) == [Score(None, False, 1.0, None, 1)]
    finally:
        await client.aclose()


async def test_create_window_chooses_the_backend(client: Redis) -> None:
    memory = create_window(None, PARAMS)
    assert isinstance(memory, MemoryWindow)
    shared = create_window(client, PARAMS)
    assert isinstance(shared, RedisWindow)
    await shared.rebuild("chosen", [])
    # The window's state and its seq counter live in this server (the ZSET is empty, so absent).
    assert await client.exists(*RedisWindow.keys("chosen")[1:]) == 2


def test_the_redis_driver_is_imported_only_when_used() -> None:
    code = (
        "import sys, chronoview.window as w; w.create_window(None); "
        "assert 'redis' not in sys.modules and 'chronoview.window.redis' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


async def test_seqs_are_dense_survive_rebuilds_and_restart_above_what_is_stored_after_a_flush(
    window: RedisWindow, client: Redis
) -> None:
    await window.rebuild("cpu", [])
    scores = await window.score(steady("cpu", 3)) + await window.score(steady("cpu", 2, start=T0 + 2))
    assert [s.seq for s in scores if s is not None] == [1, 2, 3, 4, 5]
    await window.forget(["cpu"])  # a failed write: 4 and 5 were released, never handed out again
    assert await window.score([Point("cpu", T0 + 3, 1.0)]) == [None]
    await window.rebuild("cpu", [(T0, 1.0)], last_seq=3)
    assert [s.seq for s in await window.score([Point("cpu", T0 + 3, 1.0)]) if s is not None] == [6]
    await window.forget(["cpu"])
    await window.rebuild("cpu", [(T0, 1.0)], last_seq=40)  # a counter below the stored maximum is raised
    assert [s.seq for s in await window.score([Point("cpu", T0 + 3, 1.0)]) if s is not None] == [41]
    await client.flushdb()  # the counter is gone: numbers above 41 may still be held elsewhere
    await window.rebuild("cpu", [(T0, 1.0)], last_seq=41)
    assert [s.seq for s in await window.score([Point("cpu", T0 + 4, 1.0)]) if s is not None] == [
        41 + SEQ_MARGIN + 1]


def _members(history: list[tuple[float, float]], batches: list[list[Point]], params: WindowParams,
             ) -> list[tuple[bytes, float]]:
    """The window ZSET that adding every point as a member would leave: (member, ts) by rank. A
    rebuild writes values with repr(), window.lua with "%.17g"."""
    newest, kept = latest_window(history, params.seconds, params.max_points)
    window = [(ts, number, repr(x)) for number, (ts, x) in enumerate(kept, start=1)]
    last_id = len(window)
    for batch in batches:
        for p in batch:
            newest = max(newest, p.ts)
            window = [m for m in window if m[0] > newest - params.seconds]
            if p.ts > newest - params.seconds:
                last_id += 1
                window.append((p.ts, last_id, f"{p.value:.17g}"))
                if len(window) > params.max_points:
                    window.remove(min(window))
    return [(f"{number}:{x}".encode(), ts) for ts, number, x in sorted(window)]


async def test_points_entering_and_leaving_within_a_call_never_touch_the_zset(
    redis_url: str, client: Redis
) -> None:
    """A batch spanning ten windows: each point newer than all before waits in the script's
    pending queue, and one that leaves within the call is never written, read back or removed
    (until 2026-12 all 3,000 were: one ZADD per 32 points, 3,000 members read back). A late point
    among the pending ones, one at the newest stamp again and one too old take the ZSET's path;
    either way the members and their ids are those adding every point would have left."""
    key = RedisWindow.keys("span")[0]
    window = OwnedRedisWindow(redis_url, PARAMS)
    reference = ReferenceWindow(PARAMS)
    history = [(T0 - 299 + i, 100.0 + i % 7) for i in range(300)]
    await window.rebuild("span", history)
    reference.rebuild("span", history)
    first = [Point("span", T0 + 1 + i, 100.0 + i % 13) for i in range(3_000)]
    await client.config_resetstat()
    got = await window.score(first)
    stats = await client.info("commandstats")
    assert_all_match(got, reference.score(first), first, PARAMS)
    assert stats["cmdstat_zadd"]["calls"] == 1  # the 300 still in the window, at the end
    assert stats["cmdstat_zrange"]["calls"] <= 300 // 32 + 1  # the rebuilt members only
    assert await client.zrange(key, 0, -1, withscores=True) == _members(history, [first], PARAMS)

    second = [Point("span", T0 + 3_001 + i, 100.0 + i % 11) for i in range(500)]
    # Late among the pending ones, at the newest stamp again, too old:
    second += [Point("span", T0 + 3_400.5, 1e3), Point("span", T0 + 3_500, 55.0),
               Point("span", T0 + 100, 1.0)]
    second += [Point("span", T0 + 3_501 + i, 100.0 + i % 5) for i in range(100)]
    got = await window.score(second)
    await window.close()
    assert_all_match(got, reference.score(second), second, PARAMS)
    assert await client.zrange(key, 0, -1, withscores=True) == _members(history, [first, second], PARAMS)


def test_pending_points_match_the_reference_and_leave_the_same_members(redis_url: str) -> None:
    """Random streams with late points, too-old ones and a small cap: the pending queue's
    evictions (by time and past the cap) and writes leave the scores and the ZSET of the
    ZSET-only path. Stamps are distinct (equal ones past the cap rank by member in Redis)."""
    with asyncio.Runner() as runner:

        @settings(derandomize=True, database=None, deadline=None, max_examples=80,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(st.data())
        def run(data: st.DataObject) -> None:
            params = WindowParams(seconds=data.draw(st.sampled_from([4.0, 10.0])), sigma=2.0, min_points=3,
                                  max_points=data.draw(st.sampled_from([3, 6, 1000])))
            moves = data.draw(st.lists(st.one_of(
                st.sampled_from([0.5, 0.5, 1.0, 1.0, 2.0, 6.0]), st.sampled_from([-0.5, -2.0, -5.0, -12.0])),
                min_size=40, max_size=150))
            values = data.draw(st.lists(st.sampled_from([1.0, 2.0, 3.5, 40.0]), min_size=len(moves),
                                        max_size=len(moves)))
            newest, stamps = T0, []
            for i, move in enumerate(moves):  # distinct: a grid of 0.5 plus i/1024
                ts = newest + move
                newest = max(newest, ts)
                stamps.append(ts + i / 1024)
            history = [(T0 - 8 + i / 1024, 2.0 + i % 3) for i in range(data.draw(st.integers(0, 12)))]
            cuts = sorted(data.draw(st.sets(st.integers(1, len(moves)), max_size=4)) | {len(moves)})
            metric = f"q{uuid.uuid4().hex[:8]}"
            points = [Point(metric, ts, x) for ts, x in zip(stamps, values, strict=True)]
            batches = [points[a:b] for a, b in itertools.pairwise([0, *cuts]) if a < b]

            async def go() -> None:
                window = OwnedRedisWindow(redis_url, params)
                reference = ReferenceWindow(params)
                try:
                    await window.rebuild(metric, history)
                    reference.rebuild(metric, history)
                    for number, batch in enumerate(batches):
                        assert_all_match(await window.score(batch), reference.score(batch), batch, params)
                        members = await window.client.zrange(RedisWindow.keys(metric)[0], 0, -1,
                                                             withscores=True)
                        assert members == _members(history, batches[: number + 1], params)
                finally:
                    await window.close()

            runner.run(go())

        run()
