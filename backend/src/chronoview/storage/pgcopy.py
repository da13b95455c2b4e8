"""The points of a large write as PostgreSQL's binary COPY stream (`SqlStorage._write_postgres`).

Column arrays cost asyncpg an `isinstance(element, collections.abc.Iterable)` per element (an ABC
check, 6.6 % of the server's samples during 10,000-point batches), and an INSERT over `unnest`
stores its rows one by one; a COPY is one `struct.pack` per point here, and PostgreSQL stores its
rows in batches. The same pass over the points gathers what the statement beside the COPY needs:
the seqs as runs (the passed-seq check), the alerting points and the newest point per metric.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
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


@dataclass(slots=True)
class CopyRows:
    data: bytes
    # Runs of consecutive seqs of one metric, as three columns: metric, first seq, last seq.
    run_metrics: list[str]
    run_firsts: list[int]
    run_lasts: list[int]
    alerts: list[ScoredPoint]
    latest: dict[str, Point]  # per metric, its newest point (of equal stamps, the last one)


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


def copy_rows(scored: Sequence[ScoredPoint]) -> CopyRows:
    """The group's COPY stream and the rest of its write. Runs are kept per metric, so points of
    several metrics interleaved (a line-protocol body: one point per field of each line) still
    make one run per metric."""
    out = [_HEADER]
    append = out.append
    pack, pack_no_z = _ROW.pack, _ROW_NO_Z.pack
    metrics: dict[str, _Metric] = {}
    run_metrics: list[str] = []
    run_firsts: list[int] = []
    run_lasts: list[int] = []
    alerts: list[ScoredPoint] = []
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
    for name, m in metrics.items():
        run_metrics.append(name)
        run_firsts.append(m.first)
        run_lasts.append(m.last)
    append(_TRAILER)
    return CopyRows(b"".join(out), run_metrics, run_firsts, run_lasts, alerts,
                    {name: m.newest for name, m in metrics.items()})
