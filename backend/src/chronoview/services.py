"""The process-wide parts, built in the lifespan and handed to routes through deps.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chronoview.alerting.rules import RuleBook
from chronoview.bus.base import Bus
from chronoview.bus.hub import Hub
from chronoview.config import Settings
from chronoview.ingest import Pipeline
from chronoview.storage.base import Storage
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
    rules: RuleBook
    mqtt: MqttSubscriber | None = None
