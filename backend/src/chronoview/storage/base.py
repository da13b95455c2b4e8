"""The storage interface: everything the API and the pipeline ask of the database."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from chronoview.points import ScoredPoint


class StorageUnavailable(Exception):
    """The database cannot be reached or failed; the request gets a 503."""


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    metric: str
    last_value: float
    last_ts: float
    simulated: bool


class Storage(Protocol):
    async def migrate(self) -> None:
        """Bring the schema to the newest migration (safe with several processes starting)."""
        ...

    async def ping(self) -> None: ...

    async def write(
        self, scored: Sequence[ScoredPoint], simulated: Collection[str] = frozenset()
    ) -> None:
        """Store points, their scores and their alerts in one transaction.

        `simulated` names the metrics that the simulator produced, for the catalog.
        """
        ...

    async def window_history(self, metric: str, seconds: float) -> list[tuple[float, float]]:
        """(ts, value) of the metric's points newer than its newest ts minus `seconds`, oldest first."""
        ...

    async def points_after(self, metric: str, after: float, limit: int) -> list[ScoredPoint]:
        """Stored points of a metric with ts > after, oldest first (WebSocket `since=` replay)."""
        ...

    async def catalog(self) -> list[CatalogEntry]: ...

    async def alerts(
        self, metric: str | None, start: float, end: float, limit: int
    ) -> list[ScoredPoint]:
        """Alert points in [start, end], newest first."""
        ...

    async def close(self) -> None: ...
