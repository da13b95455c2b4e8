"""The process-wide parts, built in the lifespan and handed to routes through deps.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chronoview.alerting.rules import RuleBook
from chronoview.bus.base import Bus
from chronoview.bus.hub import Hub
from chronoview.config import Settings
from chronoview.drain import Drain
from chronoview.ingest import Pipeline
from chronoview.notify.service import Notifications
from chronoview.ratelimit import Limiter
from chronoview.storage.base import Storage
from chronoview.validation import KnownNames
from chronoview.window.base import Window

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from chronoview.sources.mqtt import MqttSubscriber


@dataclass(slots=True)
class Services:
    settings: Settings
    storage: Storage
    window: Window
    bus: Bus
    pipeline: Pipeline
    redis: Redis | None
    hub: Hub
    drain: Drain
    snapshot_limiter: Limiter
    rules: RuleBook
    notifications: Notifications
    known_names: KnownNames  # metric names POST /metrics has found valid
    mqtt: MqttSubscriber | None = None
