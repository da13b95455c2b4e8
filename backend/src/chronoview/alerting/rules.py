"""Alert rules (SPEC §10): which parameters score each metric, seen by every process within 1 s.

A rule's `match` is an exact metric name or a glob where `*` matches any run of characters, dots
included. The most specific rule wins: an exact match, else the glob with the longest literal
prefix (the text before its first `*`), else the oldest. Fields a rule leaves out (sigma, window,
min_points, direction) come from the settings, as does everything for a metric with no rule.

Every process keeps the rules in a `RuleBook` and reloads them from the database twice a second;
the table is small and the query is one indexed scan, so that is cheaper and simpler than a
notification channel, and it works the same with or without Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from chronoview.window.base import Direction, WindowParams

if TYPE_CHECKING:  # storage imports Rule from here
    from chronoview.storage.base import Storage

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5  # a change reaches every process within this plus one query: inside 1 s
_CACHE_MAX = 100_000


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    match: str
    sigma: float | None = None
    window_seconds: float | None = None
    min_points: int | None = None
    direction: Direction | None = None
    for_points: int = 1
    resolve_after_seconds: float = 60.0
    repeat_interval_seconds: float | None = None
    enabled: bool = True
    notify: list[str] | None = None  # channel ids (SPEC §11): None → the default channels; [] → none
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def literal_prefix(self) -> str:
        return self.match.split("*", 1)[0]

    @property
    def is_glob(self) -> bool:
        return "*" in self.match

    def matches(self, metric: str) -> bool:
        if not self.is_glob:
            return metric == self.match
        return _pattern(self.match).fullmatch(metric) is not None

    def params(self, defaults: WindowParams) -> WindowParams:
        return WindowParams(
            seconds=defaults.seconds if self.window_seconds is None else self.window_seconds,
            sigma=defaults.sigma if self.sigma is None else self.sigma,
            min_points=defaults.min_points if self.min_points is None else self.min_points,
            max_points=defaults.max_points,  # ALERT_WINDOW_MAX_POINTS is not a rule's to change
            direction=self.direction or defaults.direction,
            for_points=self.for_points,
            resolve_after=self.resolve_after_seconds,
            enabled=self.enabled,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "match": self.match, "sigma": self.sigma,
            "window_seconds": self.window_seconds, "min_points": self.min_points,
            "direction": self.direction, "for_points": self.for_points,
            "resolve_after_seconds": self.resolve_after_seconds,
            "repeat_interval_seconds": self.repeat_interval_seconds, "enabled": self.enabled,
            "notify": self.notify,
        }


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _pattern(glob: str) -> re.Pattern[str]:
    pattern = _PATTERNS.get(glob)
    if pattern is None:
        pattern = _PATTERNS[glob] = re.compile(".*".join(re.escape(part) for part in glob.split("*")))
    return pattern


def most_specific(rules: list[Rule], metric: str) -> Rule | None:
    """The rule that applies to `metric` (SPEC §10), or None."""
    best: Rule | None = None
    for rule in rules:
        if not rule.matches(metric):
            continue
        if not rule.is_glob:
            return rule  # names are unique: an exact rule beats every glob
        if best is None or _rank(rule) < _rank(best):
            best = rule
    return best


def _rank(rule: Rule) -> tuple[int, float, int]:
    return (-len(rule.literal_prefix), rule.created_at, rule.id)


@dataclass(frozen=True, slots=True)
class Effective:
    """What scores a metric, and where it comes from."""

    params: WindowParams
    rule: Rule | None
    defaults: WindowParams

    def as_json(self) -> dict[str, Any]:
        """The rule fields in force (stored with each incident, answered by GET …/rule)."""
        p, rule = self.params, self.rule
        return {
            "match": None if rule is None else rule.match,
            "rule_id": None if rule is None else rule.id,
            "sigma": p.sigma, "window_seconds": p.seconds, "min_points": p.min_points,
            "direction": p.direction, "for_points": p.for_points,
            "resolve_after_seconds": p.resolve_after,
            "repeat_interval_seconds": None if rule is None else rule.repeat_interval_seconds,
            "enabled": p.enabled, "notify": None if rule is None else rule.notify,
        }


class RuleBook:
    """The rules as this process knows them, with the effective parameters per metric cached."""

    def __init__(self, storage: Storage, defaults: WindowParams, poll: float = POLL_SECONDS) -> None:
        self._storage = storage
        self.defaults = replace(defaults)
        self._poll = poll
        self._rules: list[Rule] = []
        self._cache: dict[str, Effective] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def rules(self) -> list[Rule]:
        return list(self._rules)

    def effective(self, metric: str) -> Effective:
        found = self._cache.get(metric)
        if found is None:
            rule = most_specific(self._rules, metric)
            params = self.defaults if rule is None else rule.params(self.defaults)
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            found = self._cache[metric] = Effective(params, rule, self.defaults)
        return found

    def params(self, metric: str) -> WindowParams:
        """The parameters of a metric: the window's `ParamsOf`."""
        return self.effective(metric).params

    async def refresh(self) -> None:
        rules = await self._storage.alert_rules()
        if rules != self._rules:
            self._rules = rules
            self._cache = {}

    async def start(self) -> None:
        with contextlib.suppress(Exception):  # the database may be down: the poll retries
            await self.refresh()
        self._task = asyncio.create_task(self._run(), name="alert-rules")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        failing = False
        while True:
            await asyncio.sleep(self._poll)
            try:
                await self.refresh()
            except Exception as exc:  # keep the rules we have; the next poll tries again
                if not failing:
                    log.warning("alert rules could not be reloaded: %r", exc)
                failing = True
            else:
                failing = False
