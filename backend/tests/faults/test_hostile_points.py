"""Points built to break the pipeline, against real servers (issue 12, items 1, 8 and 10).

A timestamp beyond year 9999 once raised inside a group's write: that request and every later one
hung until SIGKILL. Now every point passes one range check (SPEC §5) before it is queued, and an
exception inside the pipeline fails only its own request.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.faults.helpers import assert_clean_error, stored_points
from tests.server import ServerProcess, start_server
from tests.services import PostgresServer, RedisServer

# Each of these once wedged ingest (SQLite) or was stored but never answered (PostgreSQL).
WEDGING = [
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+01:00",
    "1969-12-31T23:59:59.999999Z",
    "9999-12-31T23:59:59.9999999-00:01",
]
NOT_RFC_3339 = ["2025-W01-1", "20250101T000000Z", "2025-01-01", "2025-01-01T00:00Z", "2025-001"]


def _post(http: httpx.Client, body: object) -> httpx.Response:
    return http.post("/metrics", json=body, timeout=5)


def _good(http: httpx.Client, metric: str = "good") -> None:
    response = _post(http, {"metric": metric, "value": 1.0})
    assert response.status_code == 201, response.text


def _check_refusals(server: ServerProcess, database_url: str) -> None:
    with httpx.Client(base_url=server.url, timeout=5) as http:
        for ts in WEDGING:
            response = _post(http, {"metric": "w", "value": 1, "ts": ts})
            assert_clean_error(response, 422, "ts", "range")
            response = _post(http, [{"metric": "w", "value": 1}, {"metric": "w", "value": 1, "ts": ts}])
            body = assert_clean_error(response, 422, "ts")
            assert body["detail"][0]["loc"] == [1, "ts"], body
            _good(http)  # the next request is served at once
        assert http.get("/ready").status_code == 200
        # The edges themselves are stored and answered, in RFC 3339 with Z.
        for ts, shown in (("9999-12-31T23:59:59.5Z", "9999-12-31T23:59:59.500Z"),
                          ("9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59.000Z"),
                          ("1970-01-01T01:00:00+01:00", "1970-01-01T00:00:00.000Z"),
                          (0, "1970-01-01T00:00:00.000Z"), (253_402_300_799, "9999-12-31T23:59:59.000Z")):
            response = _post(http, {"metric": "edge", "value": 2, "ts": ts})
            assert response.status_code == 201, (ts, response.text)
            assert response.json()["data"]["ts"] == shown
        for ts in NOT_RFC_3339:
            assert_clean_error(_post(http, {"metric": "w", "value": 1, "ts": ts}), 422, "RFC 3339")
        for value in (1e151, -1e151, 1.7e308, -1.7e308):
            assert_clean_error(_post(http, {"metric": "w", "value": value}), 422, "value")
        assert _post(http, {"metric": "big", "value": 1e150}).status_code == 201
    assert stored_points(database_url, "w") == []
    assert len(stored_points(database_url, "edge")) == 5
    # The server still stops on SIGTERM (it used to ignore it, waiting on a wedged write).
    assert server.stop(signal.SIGTERM, timeout=15) == 0 or server.process.returncode == -signal.SIGTERM
    assert "Traceback" not in server.log.read_text()


def test_out_of_range_timestamps_are_refused_and_wedge_nothing_sqlite(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        _check_refusals(server, f"sqlite+aiosqlite:///{tmp_path / 'cv.db'}")
    finally:
        server.stop(signal.SIGKILL)


@pytest.mark.slow
def test_out_of_range_timestamps_are_refused_and_wedge_nothing_postgres_redis(
    tmp_path: Path, own_postgres: PostgresServer, own_redis: RedisServer
) -> None:
    db_url = own_postgres.url()
    server = start_server(tmp_path, DATABASE_URL=db_url, REDIS_URL=own_redis.url(0))
    try:
        with httpx.Client(base_url=server.url, timeout=5) as http:
            for _ in range(10):  # a loaded metric: its window lives in Redis
                _good(http, "w-loaded")
        _check_refusals(server, db_url)
    finally:
        server.stop(signal.SIGKILL)


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("hostile-ts"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def good_client(shared_server: ServerProcess) -> Iterator[list[int]]:
    """A client posting good points all along the property test; yields the statuses it got."""
    statuses: list[int] = []
    stop = threading.Event()

    def run() -> None:
        with httpx.Client(base_url=shared_server.url, timeout=5) as http:
            while not stop.is_set():
                try:
                    statuses.append(_post(http, {"metric": "steady", "value": 1.0}).status_code)
                except httpx.HTTPError:
                    statuses.append(0)
                time.sleep(0.01)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield statuses
    finally:
        stop.set()
        thread.join(10)


_offsets = st.one_of(
    st.just("Z"), st.just("z"), st.just(""),
    st.builds(lambda sign, h, m: f"{sign}{h:02d}:{m:02d}", st.sampled_from("+-"),
              st.integers(0, 23), st.integers(0, 59)),
)
_fractions = st.one_of(st.just(""), st.integers(1, 12).flatmap(
    lambda n: st.integers(0, 10**n - 1).map(lambda f: f".{f:0{n}d}")))
_years = st.one_of(st.integers(1, 9999), st.sampled_from([1, 1969, 1970, 9998, 9999]))
_strings = st.builds(
    lambda y, mo, d, h, mi, s, frac, off, sep:
        f"{y:04d}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}:{s:02d}{frac}{off}",
    _years, st.integers(1, 12), st.integers(1, 28), st.sampled_from([0, 23, 12]), st.sampled_from([0, 59]),
    st.sampled_from([0, 59]), _fractions, _offsets, st.sampled_from(["T", "t", " "]),
)
_numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(-1.0, 1.0), st.floats(253_402_300_799.0, 253_402_300_800.5),
    st.integers(-(10**20), 10**20),
)
_timestamps = st.one_of(_strings, _numbers, st.text(max_size=40))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ts=_timestamps, batch=st.booleans())
def test_random_timestamps_end_in_2xx_or_4xx_within_a_second(
    shared_server: ServerProcess, good_client: list[int], ts: object, batch: bool
) -> None:
    before = len(good_client)
    with httpx.Client(base_url=shared_server.url) as http:
        point = {"metric": "random", "value": 1.0, "ts": ts}
        started = time.monotonic()
        response = http.post("/metrics", json=[point] if batch else point, timeout=5)
        assert time.monotonic() - started < 1.0, ts
    assert response.status_code in (201, 422), (ts, response.status_code, response.text)
    if response.status_code == 201:
        body = response.json()
        shown = (body["results"][0] if batch else body)["data"]["ts"]
        assert "1970-01-01T00:00:00.000Z" <= shown <= "9999-12-31T23:59:59.999Z", (ts, shown)
    else:
        assert_clean_error(response, 422, "ts")
    # The good client keeps being served, with nothing but 201s.
    deadline = time.monotonic() + 1.0
    while len(good_client) <= before and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(good_client) > before, "the good client got no answer within a second"
    assert set(good_client) == {201}, sorted(set(good_client))


def _capped_window(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        for start in range(0, 6_000, 2_000):  # 6,000 points inside W = 300 s
            batch = [{"metric": "dense", "value": float(i % 7), "ts": 1_700_000_000 + i / 100}
                     for i in range(start, start + 2_000)]
            response = http.post("/metrics", json=batch)
            assert response.status_code == 201, response.text
        assert [r["n"] for r in response.json()["results"][-3:]] == [1_000, 1_000, 1_000]


def test_the_window_holds_at_most_alert_window_max_points_sqlite(tmp_path: Path) -> None:
    server = start_server(tmp_path, ALERT_WINDOW_MAX_POINTS="1000")
    try:
        _capped_window(server)
    finally:
        server.stop()


@pytest.mark.slow
def test_the_window_holds_at_most_alert_window_max_points_postgres_redis(
    tmp_path: Path, own_postgres: PostgresServer, own_redis: RedisServer
) -> None:
    server = start_server(tmp_path, ALERT_WINDOW_MAX_POINTS="1000", DATABASE_URL=own_postgres.url(),
                          REDIS_URL=own_redis.url(0))
    try:
        _capped_window(server)
    finally:
        server.stop()
