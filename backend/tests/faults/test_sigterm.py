"""SIGTERM while POSTs are in flight (SPEC §3): a graceful stop loses nothing acknowledged.

A real server process on PostgreSQL (embedded window, so the next start must rebuild it from the
database) takes batches from several threads; SIGTERM arrives mid-stream. Points carry no `ts`
(the server's now, so they reach the window in time order, as live sources do) and are told apart
by their values, unique per point.
"""

from __future__ import annotations

import signal
import statistics
import threading
import time
from pathlib import Path

import httpx
import pytest

from chronoview.window.memory import latest_window
from tests.faults.helpers import Outcome, stored_points, wait_until
from tests.server import start_server

THREADS = 8
BATCH = 2_000  # big enough that some requests are still being served when SIGTERM lands
# The restarted server's window cap: below the 24 · BATCH points acknowledged at the least.
WINDOW_CAP = 40_000


def _values(outcome: Outcome) -> set[float]:
    return {float(p["value"]) for p in outcome.points}


def _post_until_gone(url: str, k: int, outcomes: list[Outcome], stop: threading.Event) -> None:
    """Thread k posts batches (values k·10⁶ + j) until the server stops accepting connections."""
    j = 0
    with httpx.Client(base_url=url, timeout=60) as http:
        while not stop.is_set():
            points: list[dict[str, float | str]] = [
                {"metric": "load", "value": float(k * 1_000_000 + j + i)} for i in range(BATCH)]
            j += BATCH
            started = time.monotonic()
            try:
                response = http.post("/metrics", json=points, headers={"Prefer": "return=minimal"})
            except httpx.ConnectError as exc:  # the listening socket is closed: the server is going
                outcomes.append(Outcome(points, None, error=repr(exc), started=started,
                                        ended=time.monotonic()))
                return
            except httpx.HTTPError as exc:  # cut mid-request
                outcomes.append(Outcome(points, None, error=repr(exc), started=started,
                                        ended=time.monotonic()))
                continue
            body = response.json() if response.headers.get("content-type", "").startswith(
                "application/json") else response.text
            outcomes.append(Outcome(points, response.status_code, body, started=started,
                                    ended=time.monotonic()))


@pytest.mark.slow
def test_sigterm_under_load_keeps_every_acknowledged_point(tmp_path: Path, pg_url: str) -> None:
    server = start_server(tmp_path, DATABASE_URL=pg_url)
    outcomes: list[list[Outcome]] = [[] for _ in range(THREADS)]
    stop = threading.Event()
    threads = [threading.Thread(target=_post_until_gone, args=(server.url, k, outcomes[k], stop),
                                daemon=True) for k in range(THREADS)]
    try:
        for thread in threads:
            thread.start()
        wait_until(lambda: sum(len(o) for o in outcomes) >= 24, 120, "24 batches before SIGTERM")
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        code = server.process.wait(60)
        stop.set()
        for thread in threads:
            thread.join(60)
            assert not thread.is_alive()
    finally:
        stop.set()
        server.stop(signal.SIGKILL)
    log = server.log.read_text()
    # uvicorn finishes its graceful shutdown, then exits by the signal it caught (or 0).
    assert code in (0, -signal.SIGTERM), log[-3000:]
    assert "Application shutdown complete" in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]

    everything = [o for per_thread in outcomes for o in per_thread]
    acknowledged = [o for o in everything if o.status is not None and 200 <= o.status < 300]
    stored = stored_points(pg_url, "load")
    stored_values = {v for _, v in stored}
    assert len(stored_values) == len(stored)  # no point stored twice
    for outcome in acknowledged:
        assert outcome.status == 201
        assert outcome.body == {"accepted": BATCH, "alerts": outcome.body["alerts"]}  # type: ignore[index]
        assert _values(outcome) <= stored_values, "an acknowledged batch is missing"
    for outcome in everything:
        if outcome.status is not None:  # whatever answered, answered cleanly
            assert outcome.status in (201, 503), outcome.status
        # a batch is one transaction: all of it is stored or none of it
        assert len(_values(outcome) & stored_values) in (0, BATCH)
    assert len(acknowledged) >= 24
    # Requests were in flight when the signal came: those being served finished with 201; one
    # that had not reached the app yet may be cut (never acknowledged, so nothing is owed for it).
    in_flight = [o for o in everything if o.started < signalled < o.ended]
    assert any(o.status == 201 for o in in_flight), [(o.status, o.error) for o in in_flight]
    assert all(o.status in (201, 503, None) for o in in_flight)

    # The next start rebuilds the window from the database before scoring: from the newest
    # WINDOW_CAP of the stored points (SPEC §7, the oldest leave first), fewer than were acknowledged,
    # so the cap is always in play and the expected window is exact.
    assert len(stored) > WINDOW_CAP
    again = start_server(tmp_path, DATABASE_URL=pg_url, ALERT_WINDOW_MAX_POINTS=str(WINDOW_CAP))
    try:
        with httpx.Client(base_url=again.url, timeout=30) as http:
            scored = http.post("/metrics", json={"metric": "load", "value": 1.5})
            assert scored.status_code == 201, scored.text
    finally:
        again.stop()
    # Both the rebuild and stored_points read the points by (ts, id); every one is in the 300 s.
    _, window = latest_window(stored, 300.0, WINDOW_CAP)
    values = [v for _, v in window]
    assert scored.json()["n"] == len(values) == WINDOW_CAP
    assert scored.json()["mean"] == pytest.approx(statistics.fmean(values), rel=1e-9)
    assert scored.json()["std"] == pytest.approx(statistics.stdev(values), rel=1e-9)
