"""The pipeline of a point (SPEC §3): validate → score → persist → publish, with group commit.

Every source (POST /metrics, the simulator) hands points to `Pipeline.ingest`. Requests that arrive
while a batch is being written wait together and go out as the next batch: one window call and one
database transaction for all of them, each caller answered only once its own points are durable.

The score is computed just before the write so that the point, its z-score, any alert and any
incident change (SPEC §10: decided by the window in the same atomic step as the score) land in one
transaction. If scoring or that transaction fails, the windows of every metric in the batch are
dropped, so the next point rebuilds them from the database: a point that was not stored never
counts in a baseline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

import orjson

from chronoview import selfmetrics
from chronoview.alerting.incidents import STREAM_KEY, IncidentChange, events_of
from chronoview.alerting.rules import RuleBook
from chronoview.backlog import Backlog
from chronoview.bus.base import Bus, Message
from chronoview.catalog import catalog_message
from chronoview.points import Point, Score, ScoredPoint, encode_all
from chronoview.storage.base import Storage, StorageUnavailable
from chronoview.validation import check_points
from chronoview.window.base import Window

log = logging.getLogger(__name__)

MAX_BATCH_POINTS = 10_000
WRITES_IN_FLIGHT = 4
# Points serialised between two turns of the event loop while their write is in flight: each
# slice takes ~2 ms, so the write's round trips (BEGIN, statement, COPY, COMMIT) are not held up
# behind the whole group's serialisation.
ENCODE_SLICE = 1_000


class WindowUnavailable(Exception):
    """The window backend (Redis) cannot be reached: nothing was stored or published."""


@dataclass(slots=True)
class Ingested:
    scored: list[ScoredPoint]
    encoded: list[bytes]
    incidents: list[IncidentChange] = field(default_factory=list)  # of the whole group

    @property
    def alerts(self) -> int:
        return sum(1 for item in self.scored if item.score.alert)


@dataclass(slots=True)
class _Request:
    points: Sequence[Point]
    simulated: bool
    source: str
    metrics: set[str]  # of its points
    done: asyncio.Future[Ingested] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Pipeline:
    def __init__(
        self, storage: Storage, window: Window, bus: Bus, rules: RuleBook,
        writes_in_flight: int = WRITES_IN_FLIGHT,
    ) -> None:
        self._storage = storage
        self._window = window
        self._bus = bus
        self.rules = rules
        self._pending: Backlog[_Request] = Backlog(
            lambda request: len(request.points), MAX_BATCH_POINTS, lambda request: request.metrics)
        self._worker: asyncio.Task[None] | None = None
        self._slots = asyncio.Semaphore(writes_in_flight)
        # Groups being written, counted per metric, and a signal each time one finishes.
        self._writing: dict[str, int] = {}
        self._written = asyncio.Event()
        self._tail: asyncio.Task[None] | None = None  # the newest group still being written
        # Told when incident changes were stored (the notification dispatcher: send them now).
        self.on_incidents: Callable[[], None] | None = None

    def start(self) -> None:
        self._worker = asyncio.create_task(self._run(), name="ingest-pipeline")

    async def close(self) -> None:
        """Finish what was accepted, then stop."""
        if self._worker is None:
            return
        # The worker drains the queue, group by group, instead of being cancelled mid-write:
        # every accepted request gets its answer, however many groups are still queued.
        self._pending.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        self._worker = None
        while self._pending.items:  # anything that slipped in as the worker stopped
            await self._start_group(self._pending.take())
        await self._drain()

    async def ingest(
        self, points: Sequence[Point], simulated: bool = False, source: str = "http"
    ) -> Ingested:
        """Score, store and publish points; returns once they are durable.

        `source` names where they came from (`http`, `line_protocol`, `mqtt`, `simulator`) for
        `chronoview_points_ingested_total`. Raises `InvalidPoint` (nothing queued, nothing
        changed) for a point outside SPEC §5's limits.
        """
        check_points(points)
        request = _Request(points, simulated, source, {p.metric for p in points})
        self._pending.put(request)
        return await asyncio.shield(request.done)

    async def _run(self) -> None:
        pending = self._pending
        while True:
            await pending.ready.wait()
            await self._metrics_free()
            group = pending.take()
            if not group:  # closed, with nothing left to do
                return
            try:
                await self._start_group(group)
            except Exception as exc:  # a bug must fail its own group, never stop the worker
                log.exception("ingest group failed unexpectedly")
                self._answer_failure(group, exc)

    async def _metrics_free(self) -> None:
        """Wait while a write in flight has a metric of a waiting request.

        Two writes of one metric do not overlap in PostgreSQL (the second waits on the first's
        lock of its catalog row until that commits), so starting the second early gains nothing,
        and it splits the requests into more, smaller groups: each group costs a window call, a
        statement and a commit, a publication, as much server CPU as several requests. Waiting
        here lets the requests that arrive meanwhile join the group; groups of other metrics
        still overlap (up to `writes_in_flight`).

        The backlog counts the waiting requests per metric: each wake checks the metrics in
        flight against those, not against every waiting point (up to a group's 10,000).
        """
        writing, held = self._writing, self._pending.held
        while writing and not writing.keys().isdisjoint(held):
            self._written.clear()
            await self._written.wait()

    def _written_group(self, metrics: set[str]) -> None:
        """A group's write is over (stored or failed): its slot and its metrics are free."""
        for metric in metrics:
            left = self._writing[metric] - 1
            if left:
                self._writing[metric] = left
            else:
                del self._writing[metric]
        self._written.set()
        self._slots.release()

    async def _drain(self) -> None:
        if self._tail is not None:
            await self._tail

    async def _start_group(self, group: list[_Request]) -> None:
        """Score a group now (scoring is strictly in arrival order), then write it in the background.

        Up to `writes_in_flight` groups of distinct metrics are written at once, so one commit's
        latency does not stall every request behind it (`_metrics_free`: groups sharing a metric
        take turns); answers and publications still go out in group order.
        """
        await self._slots.acquire()
        points = [p for request in group for p in request.points]
        metrics = set().union(*(request.metrics for request in group))
        for metric in metrics:
            self._writing[metric] = self._writing.get(metric, 0) + 1
        try:
            scored, changes = await self._score(points)
        except BaseException as exc:
            self._written_group(metrics)
            await self._fail(group, points, exc)
            return
        self._tail = asyncio.create_task(
            self._finish(group, points, metrics, scored, changes, self._tail))

    async def _finish(
        self, group: list[_Request], points: list[Point], metrics: set[str],
        scored: list[ScoredPoint], changes: list[IncidentChange], previous: asyncio.Task[None] | None,
    ) -> None:
        """Write, answer and publish one group. Never raises, and always releases its write slot:
        the next group awaits this task, so an exception escaping it would fail every later one."""
        added: list[str] = []
        try:
            encoded, messages, added = await self._write_encoded(group, scored, changes)
        except BaseException as exc:
            failure: BaseException | None = exc
            encoded, messages = [], []
        else:
            failure = None
        finally:
            self._written_group(metrics)
        if previous is not None:
            await previous  # never raises: answers and publications keep group order
        if failure is not None:
            await self._fail(group, points, failure)
            # Their seqs are released, in the group's place in the order: nobody waits for them.
            await self._publish([Message(item.point.metric, item.score.seq, b"", item.point.ts)
                                 for item in scored])
            return
        start = 0
        for request in group:
            end = start + len(request.points)
            request.done.set_result(Ingested(scored[start:end], encoded[start:end], changes))
            selfmetrics.POINTS_INGESTED.labels(request.source).inc(end - start)
            start = end
        alerts = sum(1 for item in scored if item.score.alert)
        if alerts:
            selfmetrics.ALERTS.inc(alerts)
        opened = sum(1 for change in changes if change.opened)
        if opened:
            selfmetrics.INCIDENTS_OPENED.inc(opened)
        # The answers go out first (their handlers run in this turn of the loop), the publication
        # after: a client sending one batch at a time does not wait for it.
        await asyncio.sleep(0)
        # A new metric is announced before its first point: a dashboard subscribes once it knows it.
        await self._publish([catalog_message("added", metric) for metric in added] + messages, changes)

    async def _publish(self, messages: list[Message], changes: Sequence[IncidentChange] = ()) -> None:
        try:  # the incident events are built in here too: publishing must never raise
            if changes and self.on_incidents is not None:
                self.on_incidents()  # wakes the notification dispatcher
            await self._bus.publish(messages + incident_messages(changes))
        except Exception:  # stored is what matters; sockets catch up with since= on reconnect
            log.exception("publishing a batch failed; its points are stored")

    async def _write_encoded(
        self, group: list[_Request], scored: list[ScoredPoint], changes: list[IncidentChange]
    ) -> tuple[list[bytes], list[Message], list[str]]:
        """Store the group; its messages are serialised, a slice at a time, while the database
        works on the write. Returns them (as bytes and as the bus's messages) and the metrics the
        write added to the catalog."""
        write = asyncio.ensure_future(self._write(group, scored, changes))
        try:
            encoded: list[bytes] = []
            for start in range(0, len(scored), ENCODE_SLICE):
                await asyncio.sleep(0)
                encoded += encode_all(scored[start : start + ENCODE_SLICE])
            new = tuple.__new__  # Message's own __new__ is a Python function: a call per point
            messages = [new(Message, (item.point.metric, item.score.seq, data, item.point.ts))
                        for item, data in zip(scored, encoded, strict=True)]
        except BaseException:
            # The write must not be left running unobserved; the group fails all the same (its
            # windows are dropped and rebuilt from whatever the database holds).
            with contextlib.suppress(BaseException):
                await write
            raise
        return encoded, messages, await write

    async def _fail(self, group: list[_Request], points: list[Point], exc: BaseException) -> None:
        # Scoring may have added points to their windows before a rebuild or the write failed
        # (a batch spans metrics): none of them were stored, so none may stay in a baseline.
        await self._forget({p.metric for p in points})
        log.warning("ingest batch of %d points failed: %r", len(points), exc)
        self._answer_failure(group, exc)

    @staticmethod
    def _answer_failure(group: list[_Request], exc: BaseException) -> None:
        for request in group:
            if not request.done.done():
                request.done.set_exception(exc)

    async def _write(
        self, group: list[_Request], scored: list[ScoredPoint], changes: list[IncidentChange]
    ) -> list[str]:
        simulated = frozenset(p.metric for request in group if request.simulated for p in request.points)
        return await self._storage.write(scored, simulated=simulated, incidents=changes)

    async def _forget(self, metrics: set[str]) -> None:
        with contextlib.suppress(Exception):
            await self._window.forget(sorted(metrics))

    async def _score(self, points: list[Point]) -> tuple[list[ScoredPoint], list[IncidentChange]]:
        params = self.rules.params
        try:
            assessment = await self._window.assess(points, params)
            scores, changes = assessment.scores, assessment.changes
            missing = sorted({p.metric for p, s in zip(points, scores, strict=True) if s is None})
            if missing:
                await self._drain()  # the rebuild must see every point already scored
                for metric in missing:
                    await self._rebuild(metric)
                redo = [i for i, s in enumerate(scores) if s is None]
                again = await self._window.assess([points[i] for i in redo], params)
                for i, score in zip(redo, again.scores, strict=True):
                    scores[i] = score
                changes += again.changes
                if any(score is None for score in again.scores):
                    raise WindowUnavailable("the window lost a metric's state while rebuilding it")
        except (StorageUnavailable, WindowUnavailable):
            raise
        except Exception as exc:  # whatever the window backend's client raises
            log.warning("window unavailable: %r", exc)
            raise WindowUnavailable(type(exc).__name__) from exc
        for change in changes:  # the rule in force, stored with an incident when it opens
            change.incident.rule = self.rules.effective(change.incident.metric).as_json()
        # Every score is there now: one constructor call per point (map: no frame per point).
        return list(map(ScoredPoint, points, cast("list[Score]", scores))), changes

    async def _rebuild(self, metric: str) -> None:
        """A metric's window from the database, with its open incident if the backend lost it."""
        params = self.rules.params(metric)
        history = await self._storage.window_history(metric, params.seconds)
        incident = await self._storage.open_incident(metric)
        last_seq = await self._storage.last_seq(metric)
        await self._window.rebuild(metric, history, params, incident, last_seq)
        selfmetrics.WINDOW_REBUILDS.inc()

    async def expire(self, metric: str, now: float) -> IncidentChange | None:
        """Resolve a silent metric's incident once the wall clock passes its resolve time
        (SPEC §10): decided by the window, stored, then published; None when not due."""
        params = self.rules.params(metric)
        try:
            change = await self._window.expire(metric, now, params)
        except LookupError:
            await self._rebuild(metric)
            change = await self._window.expire(metric, now, params)
        if change is None:
            return None
        change.incident.rule = self.rules.effective(metric).as_json()
        try:
            await self._storage.write_incidents([change])
        except BaseException:
            await self._forget({metric})  # the next point or pass starts from what is stored
            raise
        await self._publish([], [change])
        return change


def incident_messages(changes: Sequence[IncidentChange]) -> list[Message]:
    """The stream's incident events (SPEC §10), under the bus key of `incidents=1` sockets."""
    return [Message(STREAM_KEY, 0, orjson.dumps(event.message()), 0.0) for event in events_of(changes)]


