"""Putting each metric's messages back in seq order (SPEC §6), whichever process published them.

Processes publish in the order their own writes finish, so across processes (and after a bus
outage) a metric's points can arrive out of seq order. For each metric some socket wants, this
process keeps the next seq it owes its sockets: a message with that seq goes out at once (with any
that waited behind it), a later one waits, an earlier one is a duplicate (already sent or passed
over) and is dropped. A release (a write that failed) fills its place without sending anything.

A seq still missing after `PASS_AFTER` seconds (its process died between scoring and publishing)
is passed over through the database (`Storage.pass_seqs`): if its point was stored after all, it
is sent from there; otherwise the seq is recorded as passed, and its late write fails. Either way
nobody ever stores a point a socket was told does not exist.

One order per process, not per socket: a socket that resumes from a cursor skips, by its own
floor (Subscription), what it already has, and the stream it joins owes it nothing older — every
seq from the track's start up to the process's next one was sent or passed, so it is stored or
never will be, and the socket's replay from the database finds it. A track starts at the first seq
it sees (or after the cursor of the socket that wanted it first); a seq below its start arriving
late is dropped here, so a replay from a cursor below the start settles such seqs itself (see
Hub.settle).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from chronoview.bus.base import Message

log = logging.getLogger(__name__)

# How long a missing seq is waited for before it is passed over (SPEC §6: at most 1 s, with the
# database round trip of the pass on top).
PASS_AFTER = 0.8

Emit = Callable[[Sequence[Message]], None]
# Pass over seqs first..last of a metric: the messages of those that were stored after all.
PassOver = Callable[[str, int, int], Awaitable[list[Message]]]


class _Track:
    __slots__ = ("held", "metric", "next", "passing", "start", "timer")

    def __init__(self, metric: str, next_seq: int | None) -> None:
        self.metric = metric
        self.next = next_seq  # None: the first message seen starts the stream
        self.start = next_seq  # the seq the stream started at: nothing below it is accounted for
        self.held: dict[int, Message] = {}
        self.timer: asyncio.TimerHandle | None = None
        self.passing = False


class Reorder:
    def __init__(
        self, emit: Emit, pass_over: PassOver, wanted: Callable[[str], bool],
        failed: Callable[[str], None], pass_after: float = PASS_AFTER,
    ) -> None:
        self._emit = emit
        self._pass_over = pass_over
        self._wanted = wanted
        self._failed = failed  # a pass could not be done: the metric's sockets must resume
        self._pass_after = pass_after
        self._tracks: dict[str, _Track] = {}
        self._passes: set[asyncio.Task[None]] = set()

    def start(self, metric: str, after: int) -> None:
        """A socket resumes `metric` after seq `after`: the stream starts there if not under way."""
        track = self._tracks.get(metric)
        if track is None:
            self._tracks[metric] = _Track(metric, after + 1)
        elif track.next is None:
            track.next = track.start = after + 1

    def resolved(self, metric: str) -> range | None:
        """The seqs of the metric each sent or passed over (so stored, or never will be): from the
        stream's start to the next seq owed; None when the metric's stream is not under way."""
        track = self._tracks.get(metric)
        if track is None or track.next is None or track.start is None:
            return None
        return range(track.start, track.next)

    def skip_to(self, metric: str, seq: int) -> None:
        """Every seq up to `seq` is accounted for elsewhere (a replay sent them): the stream goes on
        after it."""
        track = self._tracks.get(metric)
        if track is None or track.next is None or track.next > seq:
            return
        for held in [s for s in track.held if s <= seq]:
            del track.held[held]
        track.next = seq + 1
        out: list[Message] = []
        self._release_held(track, out)
        if out:
            self._emit(out)

    def next_seqs(self) -> dict[str, int]:
        """The next seq owed, per metric under way."""
        return {metric: t.next for metric, t in self._tracks.items() if t.next is not None}

    def drop(self, metric: str) -> None:
        track = self._tracks.pop(metric, None)
        if track is not None and track.timer is not None:
            track.timer.cancel()

    def prune(self) -> None:
        """Forget the metrics no socket wants any more."""
        for metric in [m for m in self._tracks if not self._wanted(m)]:
            self.drop(metric)

    def push(self, messages: Sequence[Message]) -> None:
        """Take messages as they arrive; emit, in one call, those now in order.

        A metric no socket wants is asked about once per call, not once per message (nothing
        here awaits, so the answer holds for the whole batch): a batch of metrics nobody watches
        cost a `wanted` call per point."""
        out: list[Message] = []
        tracks = self._tracks
        unwanted: set[str] = set()
        for message in messages:
            metric = message.metric
            if metric.startswith("!"):  # a stream of its own (incident events): no seq
                out.append(message)
                continue
            track = tracks.get(metric)
            if track is None:
                if metric in unwanted:
                    continue
                if not self._wanted(metric):
                    unwanted.add(metric)
                    continue
                track = tracks[metric] = _Track(metric, None)
            seq, expected = message.seq, track.next
            if expected is None:
                track.start = seq
            if expected is None or seq == expected:
                track.next = seq + 1
                if message.data:
                    out.append(message)
                if track.held:
                    self._release_held(track, out)
            elif seq > expected:
                track.held.setdefault(seq, message)
                if track.timer is None and not track.passing:
                    track.timer = asyncio.get_running_loop().call_later(
                        self._pass_after, self._overdue, metric, track)
        if out:
            self._emit(out)

    def _release_held(self, track: _Track, out: list[Message]) -> None:
        """Send what waited behind the seq that just came; a gap further on gets its full wait."""
        held = track.held
        start = expected = track.next
        assert expected is not None
        while held:
            message = held.pop(expected, None)
            if message is None:
                break
            if message.data:
                out.append(message)
            expected += 1
        track.next = expected
        if track.timer is not None and (not held or expected != start):
            track.timer.cancel()
            track.timer = None
        if held and track.timer is None and not track.passing:
            track.timer = asyncio.get_running_loop().call_later(
                self._pass_after, self._overdue, track.metric, track)

    def _overdue(self, metric: str, track: _Track) -> None:
        track.timer = None
        if self._tracks.get(metric) is not track or not track.held or track.next is None:
            return
        track.passing = True
        first, last = track.next, min(track.held) - 1
        task = asyncio.get_running_loop().create_task(self._pass(metric, track, first, last))
        self._passes.add(task)
        task.add_done_callback(self._passes.discard)

    async def _pass(self, metric: str, track: _Track, first: int, last: int) -> None:
        try:
            found = await self._pass_over(metric, first, last)
        except Exception as exc:  # the database is down: the sockets resume from their cursors
            log.warning("passing over %s seqs %d..%d failed (%r): its sockets must resume", metric,
                        first, last, exc)
            if self._tracks.get(metric) is track:
                self.drop(metric)
                self._failed(metric)
            return
        track.passing = False
        if self._tracks.get(metric) is not track or track.next is None:
            return
        log.info("passed over %s seqs %d..%d (%d found stored)", metric, first, last, len(found))
        out: list[Message] = []
        for message in found:
            if message.seq >= track.next:
                track.held.setdefault(message.seq, message)
        while track.next <= last:
            found_message = track.held.pop(track.next, None)
            if found_message is not None and found_message.data:
                out.append(found_message)
            track.next += 1
        self._release_held(track, out)
        if out:
            self._emit(out)

    def close(self) -> None:
        for metric in list(self._tracks):
            self.drop(metric)
        for task in self._passes:
            task.cancel()
