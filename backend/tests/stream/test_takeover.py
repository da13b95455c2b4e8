"""The simulator's lease across processes (issue 14): when its holder is killed with SIGKILL, another
of three `chronoview serve` processes on one PostgreSQL and one Redis produces the metric within 2 s,
and no two processes ever produce it at once."""

from __future__ import annotations

import asyncio
import bisect
import signal
import time
from pathlib import Path

import asyncpg
import redis

from chronoview.simulator import LEASE_PREFIX
from tests.server import ServerProcess, spawn
from tests.stream.harness import eventually

METRIC = "traffic"
INTERVAL = 0.1


def holder(redis_url: str) -> int | None:
    """The pid of the process holding the metric's lease (its token starts with the pid)."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        token = client.get(LEASE_PREFIX + METRIC)
    finally:
        client.close()
    return int(str(token).split("@")[0]) if token else None


async def stored_stamps(pg_url: str) -> list[float]:
    conn = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"), timeout=10)
    try:
        rows = await conn.fetch("SELECT extract(epoch FROM ts)::float8 AS ts FROM points WHERE metric = $1 "
                                "ORDER BY ts", METRIC)
    finally:
        await conn.close()
    return [row["ts"] for row in rows]


async def test_another_process_produces_within_2s_of_a_sigkill_and_never_two_at_once(
    tmp_path: Path, pg_url: str, redis_url: str
) -> None:
    env = {"DATABASE_URL": pg_url, "REDIS_URL": redis_url, "SIMULATED_METRICS": METRIC,
           "SIMULATION_INTERVAL_SECONDS": str(INTERVAL)}
    servers: list[ServerProcess] = []
    try:
        for name in ("a", "b", "c"):
            (tmp_path / name).mkdir()
            servers.append(spawn(tmp_path / name, env))
        for server in servers:
            server.wait_ready(60)
        by_pid = {server.pid: server for server in servers}
        first = await eventually(lambda: holder(redis_url), 10, "a lease holder")
        assert first in by_pid
        await asyncio.sleep(2.0)  # it produces for a while

        by_pid[first].stop(signal.SIGKILL)
        killed = time.time()
        second = await eventually(lambda: (pid := holder(redis_url)) not in (None, first) and pid, 10,
                                  "another holder")
        assert second in by_pid
        await asyncio.sleep(2.0)  # the new holder produces for a while

        stamps = await stored_stamps(pg_url)
        before = [ts for ts in stamps if ts <= killed]
        after = [ts for ts in stamps if ts > killed]
        assert len(before) >= 10
        assert len(after) >= 10
        assert after[0] - killed < 2.0, ("takeover", after[0] - killed)
        assert after[0] - before[-1] < 2.0, ("gap", after[0] - before[-1])
        assert len(set(stamps)) == len(stamps)
        # One producer at a time: a point per tick, so never much more than 1/INTERVAL points in
        # a second (a loaded loop may delay a tick's point, never add one; two producers would
        # double the rate).
        busiest = max(bisect.bisect_left(stamps, ts + 1.0) - i for i, ts in enumerate(stamps))
        assert busiest <= 1.5 / INTERVAL, busiest
        assert holder(redis_url) == second
    finally:
        for server in servers:
            server.stop()
