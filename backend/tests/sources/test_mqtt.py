"""The MQTT subscriber against a real Mosquitto and real `chronoview serve` processes (SPEC §12).

Each test starts its own broker (tests/sources/broker.py) and its own servers, and reads what was
stored straight from the database: a message counts as ingested once its point is in `points`.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.server import ServerProcess, start_server
from tests.services import make_self_signed_cert, owned_postgres, owned_redis
from tests.sources.broker import PUBLISHER_INFLIGHT, Broker, Publisher, mosquitto_pub, running_broker

README = Path(__file__).resolve().parents[3] / "README.md"
BROKER_INFLIGHT = 20  # Mosquitto's default max_inflight_messages: the most a kill can leave unacked


def stored(database_url: str, metric_prefix: str) -> list[tuple[str, float, float]]:
    """(metric, value, epoch seconds) of every stored point whose metric starts with the prefix."""
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.split("///", 1)[1]) as db:
            rows = db.execute("SELECT metric, value, ts FROM points WHERE metric LIKE ? ORDER BY id",
                              (metric_prefix + "%",)).fetchall()
        return [(m, v, _sqlite_epoch(ts)) for m, v, ts in rows]

    async def query() -> list[tuple[str, float, float]]:
        conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            rows = await conn.fetch("SELECT metric, value, ts FROM points WHERE metric LIKE $1",
                                    metric_prefix + "%")
        finally:
            await conn.close()
        return [(r["metric"], r["value"], r["ts"].timestamp()) for r in rows]

    return asyncio.run(query())


def _sqlite_epoch(text: str) -> float:
    from datetime import UTC, datetime

    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def wait_for(check: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {within}s: {what}")


def health(server: ServerProcess) -> dict[str, object]:
    body: dict[str, object] = httpx.get(f"{server.url}/health", timeout=5).json()
    return body


def serve(tmp_path: Path, broker: Broker, **env: str) -> ServerProcess:
    server = start_server(tmp_path, MQTT_URL=broker.url, **env)
    wait_for(lambda: health(server)["mqtt"] == "ok", 10, "the subscriber connected")
    return server


def values(database_url: str, metric: str) -> list[float]:
    return [v for m, v, _ in stored(database_url, metric) if m == metric]


def test_mosquitto_pub_numbers_value_objects_and_multi_field_json(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'cv.db'}"
    with running_broker(tmp_path / "broker") as broker:
        server = serve(tmp_path, broker)
        try:
            before = time.time()
            mosquitto_pub(broker, "chronoview/greenhouse/temp", "21.5")
            mosquitto_pub(broker, "chronoview/greenhouse/temp", "-4")
            mosquitto_pub(broker, "chronoview/greenhouse/hum",
                          '{"value": 40.5, "ts": "2026-01-02T03:04:05.250Z"}')
            mosquitto_pub(broker, "chronoview/greenhouse/hum", '{"value": 41, "ts": 1767323046}')
            mosquitto_pub(broker, "chronoview/room 1",
                          '{"temp": 20, "co2": 410.5, "label": "east", "ts": 1767323047}')
            mosquitto_pub(broker, "chronoview/qos0", "7", qos=0)
            wait_for(lambda: len(stored(db, "chronoview.")) == 7, 10, "seven points stored")
            points = stored(db, "chronoview.")
            temps = [(v, ts) for m, v, ts in points if m == "chronoview.greenhouse.temp"]
            assert [v for v, _ in temps] == [21.5, -4.0]
            assert all(before - 1 <= ts <= time.time() for _, ts in temps)  # no ts: received now
            assert [(v, ts) for m, v, ts in points if m == "chronoview.greenhouse.hum"] == [
                (40.5, 1767323045.25), (41.0, 1767323046.0)]
            assert sorted((m, v, ts) for m, v, ts in points if m.startswith("chronoview.room_1")) == [
                ("chronoview.room_1.co2", 410.5, 1767323047.0),
                ("chronoview.room_1.temp", 20.0, 1767323047.0)]
            assert values(db, "chronoview.qos0") == [7.0]
            catalog = {m["metric"] for m in httpx.get(f"{server.url}/metrics").json()}
            assert {"chronoview.greenhouse.temp", "chronoview.room_1.co2"} <= catalog
            assert health(server)["mqtt_rejected"] == 0
        finally:
            server.stop()


def test_readme_mosquitto_pub_example_works_as_written(tmp_path: Path) -> None:
    text = README.read_text()
    commands = [line.strip() for line in text.splitlines() if line.strip().startswith("mosquitto_pub ")]
    assert commands, "README shows no mosquitto_pub example"
    expected = re.findall(r"`([A-Za-z0-9_.:-]+)` = ([-0-9.]+)", text)
    assert expected, "README does not say which points the example stores"
    db = f"sqlite+aiosqlite:///{tmp_path / 'cv.db'}"
    with running_broker(tmp_path / "broker") as broker:
        server = serve(tmp_path, broker)
        try:
            for command in commands:  # as written, pointed at this test's broker port
                subprocess.run([*shlex.split(command), "-p", str(broker.port)], check=True, timeout=10)
            wait_for(lambda: len(stored(db, "")) >= len(expected), 10, "the README's points stored")
            got = {(m, v) for m, v, _ in stored(db, "")}
            assert {(m, float(v)) for m, v in expected} == got
        finally:
            server.stop()


def test_bad_payloads_are_counted_and_never_block_good_ones(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'cv.db'}"
    bad = [("chronoview/bad", "hello"), ("chronoview/bad", "NaN"), ("chronoview/bad", "1e999"),
           ("chronoview/bad", '{"value": 1e200}'), ("chronoview/bad", '{"value": true}'),
           ("chronoview/bad", '{"value": 1, "ts": "0001-01-01T00:00:00Z"}'),
           ("chronoview/bad", '{"label": "no numbers"}'), ("chronoview/" + "x" * 120, "1")]
    with running_broker(tmp_path / "broker") as broker:
        server = serve(tmp_path, broker)
        publisher = Publisher(broker)
        try:
            for i, (topic, payload) in enumerate(bad):
                publisher.publish("chronoview/good", str(i))
                publisher.publish(topic, payload)
            publisher.publish("chronoview/good", "100")
            publisher.wait_all_accepted(2 * len(bad) + 1)
            wait_for(lambda: len(values(db, "chronoview.good")) == len(bad) + 1, 15, "good ones stored")
            assert values(db, "chronoview.good") == [float(i) for i in range(len(bad))] + [100.0]
            wait_for(lambda: health(server)["mqtt_rejected"] == len(bad), 5, "every bad one counted")
            assert stored(db, "chronoview.bad") == []
            assert "MQTT message rejected" in server.log.read_text()
            # Acknowledged, not redelivered: after a restart with the same session nothing comes back.
            server.stop()
            server = serve(tmp_path, broker)
            publisher.publish("chronoview/good", "101")
            wait_for(lambda: values(db, "chronoview.good")[-1:] == [101.0], 10, "still ingesting")
            assert health(server)["mqtt_rejected"] == 0
        finally:
            publisher.close()
            server.stop()


@pytest.mark.slow
def test_two_processes_store_each_message_once(tmp_path: Path, pg_url: str, redis_url: str) -> None:
    count = 600
    with running_broker(tmp_path / "broker") as broker:
        # cv-a ran alone before (no Redis: a plain subscription); its resumed session must not
        # keep that one beside the shared one, or each message would come to it twice.
        serve(tmp_path, broker, MQTT_CLIENT_ID="cv-a", DATABASE_URL=pg_url).stop()
        env = {"DATABASE_URL": pg_url, "REDIS_URL": redis_url}
        first = serve(tmp_path, broker, MQTT_CLIENT_ID="cv-a", **env)
        second = serve(tmp_path, broker, MQTT_CLIENT_ID="cv-b", **env)
        publisher = Publisher(broker)
        try:
            for i in range(count):
                publisher.publish(f"chronoview/multi/{i % 3}", str(i))
            publisher.wait_all_accepted(count)
            wait_for(lambda: len(stored(pg_url, "chronoview.multi")) >= count, 30, "every message stored")
            time.sleep(1)  # a second copy, if any, would arrive by now
            got = sorted(v for _, v, _ in stored(pg_url, "chronoview.multi"))
            assert got == [float(i) for i in range(count)]
            assert health(first)["mqtt"] == health(second)["mqtt"] == "ok"
        finally:
            publisher.close()
            first.stop()
            second.stop()


def _publish_range(publisher: Publisher, start: int, stop: int, pause_every: int = 50) -> None:
    for i in range(start, stop):
        publisher.publish("chronoview/seq", str(i))
        if i % pause_every == 0:
            time.sleep(0.01)  # a steady stream rather than one burst


@pytest.mark.slow
def test_sigkill_while_messages_arrive_loses_nothing_the_broker_accepted(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'cv.db'}"
    with running_broker(tmp_path / "broker", max_inflight=BROKER_INFLIGHT) as broker:
        server = serve(tmp_path, broker, MQTT_CLIENT_ID="cv-kill")
        publisher = Publisher(broker)
        try:
            _publish_range(publisher, 0, 1500)
            wait_for(lambda: len(values(db, "chronoview.seq")) >= 300, 20, "ingest under way")
            server.stop(signal.SIGKILL)  # mid-stream: the broker still has messages for it
            _publish_range(publisher, 1500, 3000)  # published while ChronoView is down
            publisher.wait_all_accepted(3000)
            server = serve(tmp_path, broker, MQTT_CLIENT_ID="cv-kill")
            accepted = {float(p) for p in publisher.accepted}
            wait_for(lambda: accepted <= set(values(db, "chronoview.seq")), 60, "every accepted one stored")
            time.sleep(0.5)
            counts = Counter(values(db, "chronoview.seq"))
            duplicates = sum(n - 1 for n in counts.values())
            # Only a message stored but not yet acknowledged at the kill can come twice.
            assert duplicates <= BROKER_INFLIGHT, duplicates
            assert set(counts) == accepted
        finally:
            publisher.close()
            server.stop()



@pytest.mark.slow
def test_sigterm_while_messages_arrive_stores_each_once(tmp_path: Path) -> None:
    """A graceful stop stores and acknowledges the batch in hand before disconnecting; what it had
    not stored comes again after the restart: nothing lost and, unlike a kill, nothing twice."""
    db = f"sqlite+aiosqlite:///{tmp_path / 'cv.db'}"
    with running_broker(tmp_path / "broker") as broker:
        server = serve(tmp_path, broker, MQTT_CLIENT_ID="cv-term")
        publisher = Publisher(broker)
        try:
            _publish_range(publisher, 0, 1500)
            wait_for(lambda: len(values(db, "chronoview.seq")) >= 300, 20, "ingest under way")
            server.stop(signal.SIGTERM)
            assert "Application shutdown complete" in server.log.read_text()
            _publish_range(publisher, 1500, 2000)
            publisher.wait_all_accepted(2000)
            server = serve(tmp_path, broker, MQTT_CLIENT_ID="cv-term")
            wait_for(lambda: len(values(db, "chronoview.seq")) >= 2000, 30, "everything stored")
            time.sleep(0.5)
            assert sorted(values(db, "chronoview.seq")) == [float(i) for i in range(2000)]
        finally:
            publisher.close()
            server.stop()

@pytest.mark.slow
def test_broker_restart_mid_stream_loses_no_qos1_message(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'cv.db'}"
    with running_broker(tmp_path / "broker") as broker:
        server = serve(tmp_path, broker, MQTT_CLIENT_ID="cv-restart")
        publisher = Publisher(broker)
        try:
            _publish_range(publisher, 0, 1000)
            wait_for(lambda: len(values(db, "chronoview.seq")) >= 200, 20, "ingest under way")
            broker.stop()  # SIGTERM: Mosquitto saves its persistence file, sessions included
            wait_for(lambda: health(server)["mqtt"] == "down", 10, "/health shows the broker gone")
            broker.start()
            _publish_range(publisher, 1000, 2000)
            publisher.wait_all_accepted(2000, within=90)
            wait_for(lambda: health(server)["mqtt"] == "ok", 30, "the subscriber reconnected")
            accepted = {float(p) for p in publisher.accepted}
            assert len(accepted) == 2000
            wait_for(lambda: accepted <= set(values(db, "chronoview.seq")), 60, "every accepted one stored")
            # Twice only what was in flight at the restart: unacknowledged to the publisher (which
            # resends) or stored here and not yet acknowledged to the broker.
            assert len(values(db, "chronoview.seq")) - len(accepted) <= PUBLISHER_INFLIGHT + BROKER_INFLIGHT
        finally:
            publisher.close()
            server.stop()


@pytest.mark.slow
def test_database_outage_holds_the_acks_and_loses_nothing(tmp_path: Path) -> None:
    """PostgreSQL stopped while messages arrive: none is acknowledged (none rejected either); once
    it is back, the batch in hand and everything the broker held are stored."""
    with owned_postgres() as postgres, running_broker(tmp_path / "broker") as broker:
        db = postgres.url()
        server = serve(tmp_path, broker, DATABASE_URL=db, MQTT_CLIENT_ID="cv-outage")
        publisher = Publisher(broker)
        try:
            _publish_range(publisher, 0, 200)
            wait_for(lambda: len(values(db, "chronoview.seq")) == 200, 20, "ingest under way")
            postgres.stop("fast")
            _publish_range(publisher, 200, 600)
            publisher.wait_all_accepted(600)
            # A batch refused while the database is down (before its restart, however slow the
            # delivery): a fixed pause let a loaded run restart it before any batch was tried.
            wait_for(lambda: "not stored" in server.log.read_text(), 30, "a batch held back")
            assert health(server)["mqtt"] == "ok"
            postgres.start()
            wait_for(lambda: set(values(db, "chronoview.seq")) == {float(i) for i in range(600)}, 60,
                     "everything stored once the database is back")
            assert health(server)["mqtt_rejected"] == 0
        finally:
            publisher.close()
            server.stop()


@pytest.mark.slow
def test_redis_killed_holds_the_acks_and_loses_nothing(tmp_path: Path) -> None:
    """Redis killed (and started again empty) while messages arrive: none is stored or rejected
    meanwhile; once it is back, the held batch and everything the broker kept are stored once."""
    with owned_postgres() as postgres, owned_redis() as redis, running_broker(tmp_path / "broker") as broker:
        db = postgres.url()
        server = serve(tmp_path, broker, DATABASE_URL=db, REDIS_URL=redis.url(0),
                       MQTT_CLIENT_ID="cv-redis")
        publisher = Publisher(broker)
        try:
            _publish_range(publisher, 0, 200)
            wait_for(lambda: len(values(db, "chronoview.seq")) == 200, 20, "ingest under way")
            redis.kill()
            _publish_range(publisher, 200, 600)
            publisher.wait_all_accepted(600)
            wait_for(lambda: "not stored" in server.log.read_text(), 15, "a batch held back")
            assert len(values(db, "chronoview.seq")) == 200
            redis.start()
            wait_for(lambda: len(values(db, "chronoview.seq")) >= 600, 60,
                     "everything stored once Redis is back")
            assert sorted(values(db, "chronoview.seq")) == [float(i) for i in range(600)]
            assert health(server)["mqtt_rejected"] == 0
            assert health(server)["redis"] == "ok"
        finally:
            publisher.close()
            server.stop()


def test_mqtts_with_credentials_in_the_url(tmp_path: Path) -> None:
    """TLS verified against the broker's certificate (given as the trusted CA file), user and a
    percent-encoded password from the URL; a wrong password shows as down, and is never logged."""
    tmp_path.joinpath("tls").mkdir()
    cert, key = make_self_signed_cert(tmp_path / "tls")
    db = f"sqlite+aiosqlite:///{tmp_path / 'cv.db'}"
    users = {"sensor-hub": "p@ss:w/rd"}
    with running_broker(tmp_path / "broker", tls=(cert, key), users=users) as broker:
        url = f"mqtts://sensor-hub:p%40ss%3Aw%2Frd@localhost:{broker.port}"
        server = start_server(tmp_path, MQTT_URL=url, SSL_CERT_FILE=str(cert))
        try:
            wait_for(lambda: health(server)["mqtt"] == "ok", 10, "connected over TLS")
            subprocess.run(["mosquitto_pub", "-h", "localhost", "-p", str(broker.port), "--cafile", str(cert),
                            "-u", "sensor-hub", "-P", "p@ss:w/rd", "-q", "1", "-t", "chronoview/tls",
                            "-m", "42"], check=True, timeout=10)
            wait_for(lambda: values(db, "chronoview.tls") == [42.0], 10, "the point stored")
        finally:
            server.stop()
        wrong = start_server(tmp_path, MQTT_URL=url.replace("p%40ss", "nope"), SSL_CERT_FILE=str(cert))
        try:
            # The refusal is logged once the first attempt (TLS handshake, CONNACK) is over.
            wait_for(lambda: "cannot connect" in wrong.log.read_text(), 15, "the refusal logged")
            assert health(wrong)["mqtt"] == "down"
            log = wrong.log.read_text()
            assert not [secret for secret in ("nope", "w%2Frd", "w/rd") if secret in log]
        finally:
            wrong.stop()
