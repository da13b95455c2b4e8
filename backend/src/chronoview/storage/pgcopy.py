"""The points of a large write as PostgreSQL's binary COPY stream (`SqlStorage._write_postgres`).

Column arrays cost asyncpg an `isinstance(element, collections.abc.Iterable)` per element (an ABC
check, 6.6 % of the server's samples during 10,000-point batches), and an INSERT over `unnest`
stores its rows one by one; a COPY is one `struct.pack` per point here, and PostgreSQL stores its
rows in batches. The same pass over the points gathers what the statement beside the COPY needs:
the seqs as runs (the passed-seq check), the alerting points and the newest point per metric.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from chronoview.points import Point, ScoredPoint

# The columns of `points` in the order of each row below.
COLUMNS = ("metric", "ts", "value", "zscore", "alert", "mean", "std", "n", "seq")
# Signature, flags, length of the header extension; the trailer is a field count of -1.
_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_TRAILER = b"\xff\xff"
_NULL = b"\xff\xff\xff\xff"
# timestamptz counts microseconds from 2000-01-01 UTC.
_PG_EPOCH = 946_684_800.0
# Each field is its length, then its value; the metric (its own length) goes before these. A NULL
# is a length of -1 alone: a point too old for its window (stored, not scored) has no z-score.
_ROW = struct.Struct(">iq id id i? id id ii iq")
_ROW_NO_Z = struct.Struct(">iq id i i? id id ii iq")
_F8 = struct.Struct(">id")
_HEAD = struct.Struct(">hi")
# Rows per piece of the stream (~130 KB): PostgreSQL stores one while the next is built.
STREAM_SLICE = 2_000


def pg_micros(ts: float) -> int:
    """Microseconds since 2000-01-01 as PostgreSQL's `to_timestamp(ts)` computes them (rint of the
    same double arithmetic, and round() is half to even like rint): both write paths store one
    instant for one ts."""
    return round((ts - _PG_EPOCH) * 1e6)


def _prefix(metric: str) -> bytes:
    name = metric.encode()
    return _HEAD.pack(len(COLUMNS), len(name)) + name


def _float8(x: float | None) -> bytes:
    return _NULL if x is None else _F8.pack(8, x)


def _row_with_nulls(item: ScoredPoint) -> bytes:
    """A row whose score lacks a mean or std (too few points yet)."""
    p, s = item.point, item.score
    return b"".join((struct.pack(">iqid", 8, pg_micros(p.ts), 8, p.value), _float8(s.zscore),
                     struct.pack(">i?", 1, s.alert), _float8(s.mean), _float8(s.std),
                     struct.pack(">iiiq", 4, s.n, 8, s.seq)))


class _Metric:
    """What the pass keeps per metric: its open run of seqs, its row prefix, its newest point."""

    __slots__ = ("first", "last", "newest", "prefix")

    def __init__(self, item: ScoredPoint) -> None:
        self.first = item.score.seq
        self.last = self.first - 1
        self.prefix = _prefix(item.point.metric)
        self.newest = item.point


@dataclass(frozen=True, slots=True)
class CopyRest:
    """What the statement beside the COPY needs, gathered while the stream was built."""

    # Runs of consecutive seqs of one metric, as three columns: metric, first seq, last seq.
    run_metrics: list[str]
    run_firsts: list[int]
    run_lasts: list[int]
    alerts: list[ScoredPoint]
    latest: dict[str, Point]  # per metric, its newest point (of equal stamps, the last one)


class CopyRows:
    """A group's COPY stream, built a slice at a time as the driver sends it (`stream`), and the
    rest of its write, gathered in the same pass (`finish`, once the stream has been read to its end).

    PostgreSQL stores one slice while the next is built: the Python side of the stream (~0.7 µs
    per point) no longer comes before the first byte is sent."""

    __slots__ = ("_alerts", "_done", "_metrics", "_run_firsts", "_run_lasts", "_run_metrics", "_scored")

    def __init__(self, scored: Sequence[ScoredPoint]) -> None:
        self._scored = scored
        self._metrics: dict[str, _Metric] = {}
        self._run_metrics: list[str] = []
        self._run_firsts: list[int] = []
        self._run_lasts: list[int] = []
        self._alerts: list[ScoredPoint] = []
        self._done = False

    def finish(self) -> CopyRest:
        """The runs, alerts and newest points of the group. Raises RuntimeError unless the stream
        was read to its end: before that they hold only the rows built so far."""
        if not self._done:
            raise RuntimeError("CopyRows.finish() before its stream was read to its end")
        latest = {name: m.newest for name, m in self._metrics.items()}
        return CopyRest(self._run_metrics, self._run_firsts, self._run_lasts, self._alerts, latest)

    async def stream(self, slice_points: int = STREAM_SLICE) -> AsyncIterator[bytes]:
        """The binary COPY stream, `slice_points` rows per piece; once. Runs are kept per metric,
        so points of several metrics interleaved (a line-protocol body: one point per field of each
        line) still make one run per metric."""
        if self._done or self._metrics:
            raise RuntimeError("a CopyRows stream is read once")
        scored = self._scored
        yield _HEADER
        for start in range(0, len(scored), slice_points):
            yield self._rows(scored[start : start + slice_points])
        for name, m in self._metrics.items():
            self._run_metrics.append(name)
            self._run_firsts.append(m.first)
            self._run_lasts.append(m.last)
        self._done = True
        yield _TRAILER

    def _rows(self, scored: Sequence[ScoredPoint]) -> bytes:
        out: list[bytes] = []
        append = out.append
        pack, pack_no_z = _ROW.pack, _ROW_NO_Z.pack
        metrics = self._metrics
        run_metrics, run_firsts, run_lasts = self._run_metrics, self._run_firsts, self._run_lasts
        alerts = self._alerts
        for item in scored:
            p, s = item.point, item.score
            seq = s.seq
            m = metrics.get(p.metric)
            if m is None:
                m = metrics[p.metric] = _Metric(item)
            if seq != m.last + 1:  # a run ends (a rebuilt metric's second call, another process's seqs)
                run_metrics.append(p.metric)
                run_firsts.append(m.first)
                run_lasts.append(m.last)
                m.first = seq
            m.last = seq
            if p.ts >= m.newest.ts:
                m.newest = p
            append(m.prefix)
            try:  # pg_micros inlined: a call per point costs more than the rounding
                if s.zscore is None:
                    append(pack_no_z(8, round((p.ts - _PG_EPOCH) * 1e6), 8, p.value, -1, 1, s.alert,
                                     8, s.mean, 8, s.std, 4, s.n, 8, seq))
                else:
                    append(pack(8, round((p.ts - _PG_EPOCH) * 1e6), 8, p.value, 8, s.zscore, 1, s.alert,
                                8, s.mean, 8, s.std, 4, s.n, 8, seq))
            except struct.error:  # a mean or std of None
                append(_row_with_nulls(item))
            if s.alert:
                alerts.append(item)
        return b"".join(out)
