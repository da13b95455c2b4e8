"""The stream across processes: PostgreSQL + Redis, several real servers (SPEC §2, §3, §6).

Each test gets a redis-server of its own (which it may kill and start again) and a fresh
PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import redis

from chronoview.simulator import LEASE_PREFIX
from tests.server import ServerProcess, spawn
from tests.services import RedisServer
from tests.stream.harness import Socket, eventually, open_socket, post

BASE = float(int(time.time()) - 600)




def start_two(servers: list[ServerProcess], tmp_path: Path, pg_url: str, redis_url: str,
              **env: str) -> tuple[ServerProcess, ServerProcess]:
    """Two app processes on one database and one Redis, started side by side."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        servers.append(spawn(tmp_path / name, {"DATABASE_URL": pg_url, "REDIS_URL": redis_url, **env}))
    a, b = (server.wait_ready() for server in servers[-2:])
    return a, b


async def stored_values(pg_url: str, metric: str) -> list[float]:
    conn = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"), timeout=10)
    try:
        rows = await conn.fetch("SELECT value FROM points WHERE metric = $1 ORDER BY ts, id", metric)
    finally:
        await conn.close()
    return [row["value"] for row in rows]


async def test_a_point_posted_to_one_process_reaches_sockets_on_the_other_in_order(
    tmp_path: Path, pg_url: str, own_redis: RedisServer, servers: list[ServerProcess]
) -> None:
    a, b = start_two(servers, tmp_path, pg_url, own_redis.url())
    on_b = [await open_socket(b.ws_url(["shared"])) for _ in range(2)]
    on_a = await open_socket(a.ws_url(["shared", "other"]))
    sockets = [*on_b, on_a]

    expected: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=a.url, timeout=30) as http:
        for i in range(40):  # single points and batches, in one order
            size = 1 if i % 4 else 25
            points = [{"metric": "shared", "value": float(len(expected) + j), "ts": BASE + len(expected) + j}
                      for j in range(size)]
            expected += await post(http, points)
    await eventually(lambda: all(len(s.messages) >= len(expected) for s in sockets), 15, "every point")

    # ... and the other way round: posted to B, seen on A.
    async with httpx.AsyncClient(base_url=b.url, timeout=30) as http:
        other = await post(http, [{"metric": "other", "value": 7.0, "ts": BASE}])
    await eventually(lambda: on_a.of("other"), 10, "the point posted to B on A")
    await asyncio.sleep(0.3)
    for socket in sockets:
        assert socket.of("shared") == expected
    assert on_a.of("other") == other
    assert all(len(s.messages) == len(expected) for s in on_b)
    for socket in sockets:
        await socket.close()


async def test_sockets_on_every_process_hear_of_a_new_metric_and_of_its_removal(
    tmp_path: Path, pg_url: str, own_redis: RedisServer, servers: list[ServerProcess]
) -> None:
    a, b = start_two(servers, tmp_path, pg_url, own_redis.url())
    listening = [await open_socket(f"ws://127.0.0.1:{s.port}/ws/stream?incidents=1") for s in (a, b)]
    deaf = await open_socket(b.ws_url(["fresh"]))  # the metric's points, no announcements
    added = {"type": "catalog", "event": "added", "metric": "fresh"}
    removed = {**added, "event": "removed"}
    async with httpx.AsyncClient(base_url=a.url, timeout=30) as http:
        await post(http, [{"metric": "fresh", "value": 1.0, "ts": BASE}])
        await eventually(lambda: all(s.messages == [added] for s in listening), 5, "the news on A and B")
        await post(http, [{"metric": "fresh", "value": 2.0, "ts": BASE + 1}])  # not new any more
    async with httpx.AsyncClient(base_url=b.url, timeout=30) as http:
        assert (await http.delete("/metrics/fresh")).status_code == 204
    await eventually(lambda: all(s.messages == [added, removed] for s in listening), 5, "the removal")
    await eventually(lambda: len(deaf.messages) == 2, 5, "both points on the plain socket")
    assert [m["type"] for m in deaf.messages] == ["metric", "metric"]
    for socket in (*listening, deaf):
        await socket.close()


def lease_holders(redis_url: str, metrics: list[str]) -> dict[str, int]:
    """metric -> pid of the process holding its simulator lease (the token starts with the pid)."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        tokens = {m: client.get(LEASE_PREFIX + m) for m in metrics}
    finally:
        client.close()
    return {m: int(str(t).split("@")[0]) for m, t in tokens.items() if t}


def per_metric_counts(socket: Socket, metrics: list[str], start: float, end: float) -> dict[str, int]:
    """Points per metric whose timestamps fall in [start, end) (timestamps are when they were made)."""
    from datetime import datetime

    counts = dict.fromkeys(metrics, 0)
    for message in socket.messages:
        ts = datetime.fromisoformat(message["data"]["ts"]).timestamp()
        if start <= ts < end and message["data"]["metric"] in counts:
            counts[message["data"]["metric"]] += 1
    return counts


async def test_each_simulated_metric_has_one_producer_and_another_process_takes_over(
    tmp_path: Path, pg_url: str, own_redis: RedisServer, servers: list[ServerProcess]
) -> None:
    metrics = ["traffic", "cpu", "orders"]
    interval = 0.2
    env = {"SIMULATED_METRICS": ",".join(metrics), "SIMULATION_INTERVAL_SECONDS": str(interval)}
    a, b = start_two(servers, tmp_path, pg_url, own_redis.url(), **env)
    by_pid = {a.pid: a, b.pid: b}
    sockets = {a.pid: await open_socket(a.ws_url(metrics)), b.pid: await open_socket(b.ws_url(metrics))}

    # Two processes, one producer per metric: one point per interval, not two (a slow, loaded
    # machine may skip a tick, never add one).
    await eventually(lambda: all(len(sockets[b.pid].of(m)) >= 2 for m in metrics), 10, "every metric")
    window = 3.0
    started = time.time()
    await asyncio.sleep(window + 0.5)
    counts = per_metric_counts(sockets[b.pid], metrics, started, started + window)
    expected = window / interval
    for count in counts.values():
        assert 0.6 * expected <= count <= 1.25 * expected, ("two processes", counts)
    holders = lease_holders(own_redis.url(), metrics)
    assert set(holders) == set(metrics)
    assert set(holders.values()) <= set(by_pid)

    # kill -9 the holder of traffic: the other process takes its metrics over within a few seconds.
    victim = by_pid[holders["traffic"]]
    survivor = b if victim is a else a
    watching = sockets[survivor.pid]
    victim.stop(signal.SIGKILL)
    killed = time.time()
    seen = len(watching.messages)
    taken = set(m for m, pid in holders.items() if pid == victim.pid)
    await eventually(lambda: taken <= {m["data"]["metric"] for m in watching.messages[seen:]}, 8,
                     "the survivor to produce the victim's metrics")
    takeover = time.time() - killed
    assert takeover < 6, takeover
    assert lease_holders(own_redis.url(), metrics) == dict.fromkeys(metrics, survivor.pid)

    started = time.time()
    await asyncio.sleep(2.5)
    counts = per_metric_counts(watching, metrics, started, started + 2.0)
    for count in counts.values():
        assert 0.6 * 10 <= count <= 1.25 * 10, ("after the takeover", counts)
    await watching.close()


async def test_sockets_keep_receiving_when_the_subscription_drops_and_when_redis_restarts(
    tmp_path: Path, pg_url: str, own_redis: RedisServer, servers: list[ServerProcess]
) -> None:
    metric = "flow"
    a, b = start_two(servers, tmp_path, pg_url, own_redis.url())
    sockets = [await open_socket(a.ws_url([metric])), await open_socket(b.ws_url([metric]))]
    acked: list[float] = []
    refused = 0
    stop = asyncio.Event()

    async def feed() -> None:
        nonlocal refused
        async with httpx.AsyncClient(base_url=a.url, timeout=30) as http:
            i = 0
            while not stop.is_set():
                point = {"metric": metric, "value": float(i), "ts": BASE + i * 0.01}
                try:
                    response = await http.post("/metrics", json=point)
                except httpx.HTTPError:
                    response = None
                if response is not None and response.status_code == 201:
                    acked.append(float(i))
                    i += 1
                else:
                    refused += 1
                await asyncio.sleep(0.01)

    feeder = asyncio.create_task(feed())
    try:
        await eventually(lambda: all(len(s.messages) >= 30 for s in sockets), 15, "points before the outage")
        # Only the subscriptions drop while Redis stays up and points keep coming: what is published
        # before each process has subscribed again must reach its sockets all the same.
        client = redis.Redis.from_url(own_redis.url())
        assert client.client_kill_filter(_type="pubsub") == 2
        client.close()
        dropped = len(acked)
        await eventually(lambda: len(acked) >= dropped + 30, 15, "ingest while resubscribing")

        own_redis.kill()
        await eventually(lambda: refused >= 5, 15, "posts refused while Redis is down")
        own_redis.start()  # same port, empty
        restarted = len(acked)
        await eventually(lambda: len(acked) >= restarted + 60, 30, "ingest after Redis returns")
    finally:
        stop.set()
        await feeder
    await eventually(lambda: all(len(s.messages) >= len(acked) for s in sockets), 20,
                     "every acknowledged point on every socket")
    await asyncio.sleep(0.3)
    stored = await stored_values(pg_url, metric)
    assert stored == acked
    for socket in sockets:
        assert not socket.closed
        assert socket.values(metric) == stored  # in order, none missing, none twice
        await socket.close()
