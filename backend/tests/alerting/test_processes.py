"""SPEC §10 across processes: two `chronoview serve` processes on one PostgreSQL and one Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server import ServerProcess, start_server


@pytest.fixture
def servers(tmp_path: Path, pg_url: str, redis_url: str) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    env = {"DATABASE_URL": pg_url, "REDIS_URL": redis_url}
    a = start_server(tmp_path, **env)
    try:
        b = start_server(tmp_path, **env)
        try:
            yield a, b
        finally:
            b.stop()
    finally:
        a.stop()


def post(server: ServerProcess, points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = httpx.post(f"{server.url}/metrics", json=points, timeout=10)
    assert response.status_code == 201, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def test_two_processes_posting_one_metric_open_one_incident(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = servers
    # Recent timestamps: the resolver would rightly resolve an incident whose last alert is
    # older than resolve_after (60 s) by the wall clock.
    t0 = time.time() - 15
    post(a, [{"metric": "shared", "value": 10.0 + i % 2, "ts": t0 + i} for i in range(10)])
    # Huge values, sent to both processes at once: whatever order Redis applies them in, the
    # first one alerts and every later one finds the incident firing.
    spikes = [{"metric": "shared", "value": 10.0 ** (2 + i), "ts": t0 + 12 + i * 0.1} for i in range(30)]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda ip: post((a, b)[ip[0] % 2], [ip[1]])[0], enumerate(spikes)))
    assert all(answer["state"] == "firing" for answer in answers)
    alerting = sum(answer["alert"] for answer in answers)
    assert alerting >= 5
    [incident] = httpx.get(f"{a.url}/incidents").json()  # one incident, not two
    assert incident["state"] == "firing"
    # Every alerting point, from either process, extended that one incident.
    assert incident["alert_points"] == alerting


def test_a_rule_change_reaches_the_other_process_within_a_second_and_rebuilds_the_window(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = servers
    t0 = float(int(time.time()) - 500)  # whole seconds: stored microseconds round nothing
    post(a, [{"metric": "hall", "value": 20.0 + (i % 3), "ts": t0 + i} for i in range(200)])
    [before] = post(b, [{"metric": "hall", "value": 21.0, "ts": t0 + 200}])
    assert before["n"] == 200  # all inside the default 300 s window

    created = httpx.post(f"{a.url}/alert-rules", json={"match": "hall", "window_seconds": 50},
                         timeout=5)
    assert created.status_code == 201, created.text
    changed = time.monotonic()
    while httpx.get(f"{b.url}/metrics/hall/rule").json()["rule"]["window_seconds"] != 50:
        assert time.monotonic() - changed < 1.0, "the other process did not see the rule within 1 s"
        time.sleep(0.05)
    [short] = post(b, [{"metric": "hall", "value": 21.0, "ts": t0 + 201}])
    assert short["n"] == 49  # stored points with ts > t0 + 201 − 50: the window was rebuilt

    rule_id = created.json()["id"]
    httpx.put(f"{a.url}/alert-rules/{rule_id}", json={"match": "hall", "window_seconds": 600}, timeout=5)
    time.sleep(1.0)
    [longer] = post(b, [{"metric": "hall", "value": 21.0, "ts": t0 + 202}])
    # Points that had left the 50 s window come back: only the database still had them.
    assert longer["n"] == 202
