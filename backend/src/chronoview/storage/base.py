"""The storage interface: everything the API and the pipeline ask of the database."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from chronoview.points import ScoredPoint

if TYPE_CHECKING:  # alerting imports Storage
    from chronoview.alerting.incidents import Incident, IncidentChange
    from chronoview.alerting.rules import Rule


class StorageUnavailable(Exception):
    """The database cannot be reached or failed; the request gets a 503."""


class SeqPassed(StorageUnavailable):
    """A point's seq was passed over by a reader (SPEC §6): it may never be stored; retry."""


class RuleConflict(Exception):
    """An alert rule with this `match` exists already (409)."""


@dataclass(frozen=True, slots=True)
class MetricMeta:
    """How a metric is shown (PUT /metrics/{metric}/meta); None leaves the dashboard's default."""

    unit: str | None = None
    label: str | None = None
    decimals: int | None = None


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    metric: str
    last_value: float
    last_ts: float
    simulated: bool
    meta: MetricMeta = MetricMeta()


@dataclass(frozen=True, slots=True)
class SeriesColumns:
    """Points of a metric as parallel columns, oldest first; `downsampled` when some were left out."""

    ts: list[float]
    values: list[float]
    alert: list[bool]
    zscore: list[float | None]
    # The baseline each point was scored against (SPEC §4), for the μ ± kσ band.
    mean: list[float | None]
    std: list[float | None]
    downsampled: bool


@dataclass(frozen=True, slots=True)
class ReplayCursor:
    """Where a replay stands: the unique key of the last point sent, (ts as stored, row id).

    Paging by a unique key, never by timestamp alone: any number of points may share a timestamp.
    """

    ts: datetime
    id: int

    @classmethod
    def after(cls, moment: datetime) -> ReplayCursor:
        """The cursor before the first point with a later timestamp than `moment`."""
        return cls(moment, LAST_ID)


LAST_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class SnapshotRecord:
    id: UUID
    state: dict[str, Any]
    data: dict[str, Any] | None
    created_at: float
    expires_at: float | None
    delete_key_hash: str


class Storage(Protocol):
    dialect: str  # "postgresql" or "sqlite": which bulk read (and CSV encoder) applies

    async def migrate(self) -> None:
        """Bring the schema to the newest migration (safe with several processes starting)."""
        ...

    async def ping(self) -> None: ...

    async def write(
        self, scored: Sequence[ScoredPoint], simulated: Collection[str] = frozenset(),
        incidents: Sequence[IncidentChange] = (),
    ) -> list[str]:
        """Store points, their scores, their alerts and the incident changes they caused in one
        transaction; returns the metrics this write added to the catalog (their first points), so
        exactly one write, in whichever process, announces each new metric.

        `simulated` names the metrics that the simulator produced, for the catalog.
        """
        ...

    async def write_incidents(self, changes: Sequence[IncidentChange]) -> None:
        """Store incident changes not caused by a point (the resolver's) in one transaction."""
        ...

    async def open_incident(self, metric: str) -> Incident | None: ...

    async def open_incidents(self) -> list[Incident]: ...

    async def incidents(
        self, state: str | None, metric: str | None, since: float, limit: int
    ) -> list[Incident]:
        """Incidents started or resolved since `since`, or still open, newest first."""
        ...

    async def incident(self, incident_id: UUID) -> Incident | None: ...

    async def purge_incidents(self, before: float, limit: int) -> int: ...

    async def alert_rules(self) -> list[Rule]: ...

    async def alert_rule(self, rule_id: int) -> Rule | None: ...

    async def create_alert_rule(self, fields: dict[str, Any]) -> Rule:
        """Raises RuleConflict when a rule with the same `match` exists."""
        ...

    async def update_alert_rule(self, rule_id: int, fields: dict[str, Any]) -> Rule | None: ...

    async def delete_alert_rule(self, rule_id: int) -> bool: ...

    async def window_history(self, metric: str, seconds: float) -> list[tuple[float, float]]:
        """(ts, value) of the metric's points newer than its newest ts minus `seconds`, oldest first."""
        ...

    async def points_after_seq(self, metric: str, seq: int, limit: int) -> list[ScoredPoint]:
        """Up to `limit` stored points of a metric with a greater seq, in seq order (SPEC §6)."""
        ...

    async def last_seq(self, metric: str) -> int:
        """The highest seq of the metric stored or passed over (0 if none): where its seq counter
        resumes after a rebuild."""
        ...

    async def first_seq_later_than(self, metric: str, ts: float, seq: int) -> int | None:
        """The lowest seq above `seq` of the metric's points stored with a timestamp after `ts`."""
        ...

    async def missing_seqs(self, metric: str, first: int, last: int) -> list[range]:
        """The runs of seqs first..last of a metric neither stored nor passed over, in order: each
        seq is still being written, or was released (its write failed), or its process died (a seq
        whose point retention deleted is passed: see `purge_points`). Costs what is stored or
        passed there, not the span's width."""
        ...

    async def pass_seqs(self, metric: str, first: int, last: int) -> list[ScoredPoint]:
        """Pass over the seqs first..last of a metric whose points never arrived (SPEC §6): those
        already stored are returned in seq order, and none of the others can ever be stored (their
        late write raises SeqPassed, a StorageUnavailable: 503, the client retries)."""
        ...

    async def replay_page(
        self, metric: str, cursor: ReplayCursor, limit: int
    ) -> tuple[list[ScoredPoint], ReplayCursor]:
        """Up to `limit` stored points of a metric after `cursor`, in (ts, id) order, and the cursor
        after the last of them (`cursor` itself when there are none): one page of a replay."""
        ...

    async def catalog(self) -> list[CatalogEntry]: ...

    async def set_meta(self, metric: str, meta: MetricMeta) -> bool:
        """Replace a metric's unit, label and decimals; False when the metric is not in the catalog."""
        ...

    async def delete_metric(self, metric: str) -> bool:
        """Remove a metric's points, alerts and catalog entry (meta included) in one transaction;
        False when there was nothing to remove."""
        ...

    async def alerts(
        self, metric: str | None, start: float, end: float, limit: int
    ) -> list[ScoredPoint]:
        """Alert points in [start, end], newest first."""
        ...

    async def series(self, metric: str, start: float, end: float, max_points: int) -> SeriesColumns:
        """The points of a metric with start <= ts <= end, oldest first, downsampled to
        `max_points` as `chronoview.downsample.downsample` does (extremes and alerts kept)."""
        ...

    def copy_points(
        self, query: str, args: Sequence[Any], delimiter: str, settings: Mapping[str, str]
    ) -> AsyncGenerator[bytes, None]:
        """PostgreSQL only: the CSV of `COPY (query) TO STDOUT` with these positional arguments, as
        the server writes it, in chunks, memory bounded, under `settings` local to its transaction."""
        ...

    def point_pages(
        self, metrics: Sequence[str], start: float, end: float, cells: Sequence[str],
        page_rows: int = ...,
    ) -> AsyncGenerator[list[tuple[Any, ...]], None]:
        """SQLite only: rows of the SQL expressions `cells` (which hold `ts`, the stored stamp) plus
        id of the metrics' points in [start, end], in (ts, id) order, `page_rows` at a time."""
        ...

    async def create_snapshot(self, record: SnapshotRecord) -> None: ...

    async def get_snapshot(self, snapshot_id: UUID, now: float) -> SnapshotRecord | None:
        """The snapshot, or None when unknown or expired at `now`."""
        ...

    async def delete_snapshot(self, snapshot_id: UUID) -> bool: ...

    async def purge_points(self, metric: str, before: float, limit: int) -> int:
        """Delete up to `limit` points of a metric older than `before`; returns how many. The
        metric's seqs up to the highest deleted are then passed (one range from 1, merging those
        inside it), so no reader waits for them and no late write of one is stored."""
        ...

    async def purge_alerts(self, before: float, limit: int) -> int: ...

    async def purge_snapshots(self, now: float, limit: int) -> int:
        """Delete up to `limit` snapshots expired at `now`."""
        ...

    async def purge_passed_seqs(self, before: float, limit: int) -> int:
        """Delete up to `limit` ranges of passed seqs passed before `before`, but never a metric's
        highest or lowest one; returns how many."""
        ...

    async def close(self) -> None: ...
