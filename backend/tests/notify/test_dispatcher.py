"""The dispatcher's timing with a fake clock (nobody waits 24 real hours), against a real
receiver and a real database; and the pure retry rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from chronoview.notify import enqueue
from chronoview.notify.crypto import SecretBox
from chronoview.notify.dispatcher import Dispatcher
from chronoview.notify.kinds import Attempt, classify
from chronoview.notify.outbox import Outbox
from chronoview.notify.retry import GIVE_UP_AFTER, SCHEDULE, backoff, decide
from chronoview.notify.store import NotifyStore
from chronoview.storage import SqlStorage
from tests.notify.conftest import incident_event
from tests.notify.receivers import Answer, always, sequence

T0 = 1_800_000_000.0


@dataclass
class Rig:
    storage: SqlStorage
    outbox: Outbox
    store: NotifyStore
    box: SecretBox
    dispatcher: Dispatcher
    clock: list[float]

    async def channel(self, url: str) -> int:
        record = await self.store.create_channel("hook", "webhook", {}, self.box.seal({"url": url}), True,
                                                 self.clock[0])
        return record.id

    async def emit(self, *events: Any) -> None:
        async with self.storage.connect(write=True) as conn:
            await enqueue(conn, events, self.clock[0])

    async def round(self) -> int:
        claimed = await self.dispatcher.dispatch_due()
        await self.dispatcher.drain()
        return claimed


@pytest.fixture
async def rig(sqlite_url: str) -> AsyncIterator[Rig]:
    storage = SqlStorage(sqlite_url)
    await storage.migrate()
    clock = [T0]
    box = SecretBox("fake-clock-key")
    outbox = Outbox(storage)
    dispatcher = Dispatcher(outbox, storage, box, base_url="http://cv.test", secret_key="k",
                            retention_seconds=30 * 86_400.0, clock=lambda: clock[0], rng=lambda: 0.5)
    yield Rig(storage, outbox, NotifyStore(storage), box, dispatcher, clock)
    await dispatcher.stop()
    await storage.close()


async def test_backoff_schedule_then_failed_after_24_hours(rig: Rig, receiver: Any) -> None:
    hook = receiver(always(503))
    await rig.channel(hook.url)
    await rig.emit(incident_event("cpu"))
    gaps: list[float] = []
    for _ in range(100):
        assert await rig.round() == 1
        (row,) = await rig.outbox.log(None, None, 10)
        if row.state == "failed":
            break
        assert row.state == "pending"
        assert row.next_attempt_at is not None
        gaps.append(row.next_attempt_at - rig.clock[0])
        assert await rig.round() == 0  # not due before its time
        rig.clock[0] = row.next_attempt_at
    assert row.state == "failed"
    assert "24 h" in (row.reason or "")
    assert gaps[:5] == pytest.approx(list(SCHEDULE))
    assert set(gaps[5:-1]) == {3600.0}
    assert 0 < gaps[-1] <= 3600.0
    assert rig.clock[0] - T0 == pytest.approx(GIVE_UP_AFTER)
    assert row.attempts == len(hook.received) == len(gaps) + 1
    assert len({r.headers["x-chronoview-delivery"] for r in hook.received}) == 1


async def test_an_incidents_messages_go_out_in_order(rig: Rig, receiver: Any) -> None:
    hook = receiver(sequence(Answer(500), Answer(500), Answer(200)))
    await rig.channel(hook.url)
    await rig.emit(incident_event("cpu", "opened", incident_id="i1"))
    await rig.emit(incident_event("cpu", "resolved", incident_id="i1"))
    for _ in range(10):
        await rig.round()
        rig.clock[0] += 200
    events = [orjson.loads(r.body)["chronoview"]["event"] for r in hook.received]
    assert events == ["opened", "opened", "opened", "resolved"]
    assert [r.state for r in await rig.outbox.log(None, None, 10)] == ["delivered", "delivered"]


async def test_a_crashed_send_is_claimed_again_after_its_lease(rig: Rig, receiver: Any) -> None:
    hook = receiver(always(200))
    await rig.channel(hook.url)
    await rig.emit(incident_event("cpu"))
    (taken,) = await rig.outbox.claim(rig.clock[0], 10)  # a process that claimed, then died
    assert await rig.round() == 0  # leased: nobody else takes it
    rig.clock[0] += 31
    assert await rig.round() == 1
    (row,) = await rig.outbox.log(None, None, 10)
    assert row.state == "delivered"
    assert row.attempts == 2
    assert row.id == taken.delivery_id


def test_backoff_jitter_stays_within_a_fifth() -> None:
    pairs = [(1, 5.0), (2, 30.0), (3, 120.0), (4, 600.0), (5, 1800.0), (6, 3600.0), (40, 3600.0)]
    for attempts, base in pairs:
        assert backoff(attempts, lambda: 0.0) == pytest.approx(base * 0.8)
        assert backoff(attempts, lambda: 1.0) == pytest.approx(base * 1.2)


def test_decisions() -> None:
    half = lambda: 0.5  # noqa: E731
    assert decide(Attempt("ok", 200), 1, T0, T0, half).state == "delivered"
    assert decide(Attempt("fail", 400, error="HTTP 400"), 1, T0, T0, half).state == "failed"
    gone = decide(Attempt("gone", 410, error="HTTP 410"), 1, T0, T0, half)
    assert gone.state == "failed"
    assert gone.disable_channel
    waited = decide(Attempt("retry", 429, retry_after=3.0), 1, T0, T0 + 1, half)
    assert waited.next_attempt_at == T0 + 4
    scheduled = decide(Attempt("retry", 503), 3, T0, T0 + 100, half)
    assert scheduled.next_attempt_at == T0 + 220
    clamped = decide(Attempt("retry", 503), 30, T0, T0 + GIVE_UP_AFTER - 10, half)
    assert clamped.next_attempt_at == T0 + GIVE_UP_AFTER
    assert decide(Attempt("retry", 503), 31, T0, T0 + GIVE_UP_AFTER, half).state == "failed"


@pytest.mark.parametrize(("status", "headers", "outcome", "retry_after"), [
    (200, {}, "ok", None), (204, {}, "ok", None), (301, {}, "fail", None), (400, {}, "fail", None),
    (401, {}, "fail", None), (404, {}, "fail", None), (408, {}, "retry", None), (410, {}, "gone", None),
    (429, {"Retry-After": "3"}, "retry", 3.0), (500, {}, "retry", None),
    (503, {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}, "retry", 0.0),
    (503, {"Retry-After": "999999"}, "retry", 3600.0), (503, {"Retry-After": "soon"}, "retry", None),
])
def test_classify(status: int, headers: dict[str, str], outcome: str, retry_after: float | None) -> None:
    attempt = classify(httpx.Response(status, headers=headers), T0)
    assert attempt.outcome == outcome
    assert attempt.retry_after == retry_after


async def test_settled_deliveries_follow_the_retention(rig: Rig, receiver: Any) -> None:
    hook = receiver(always(200))
    await rig.channel(hook.url)
    await rig.emit(incident_event("old"))
    await rig.round()
    rig.clock[0] += 10 * 86_400
    await rig.emit(incident_event("new"))
    assert await rig.outbox.purge(rig.clock[0] - 5 * 86_400, 100) == 1  # the settled old one only
    assert [r.metric for r in await rig.outbox.log(None, None, 10)] == ["new"]  # pending: kept
    assert await rig.outbox.purge(rig.clock[0] + 86_400, 100) == 0
