"""Catalog announcements (SPEC §6): a metric joined the catalog or left it.

They travel on the bus under the key of incident events, so every socket that asked for those
(`incidents=1`), on every process, hears of a new metric the moment its first point is stored and
of a removed one when DELETE /metrics/{metric} returns, without polling the catalog.
"""

from __future__ import annotations

from typing import Literal

import orjson

from chronoview.alerting.incidents import STREAM_KEY
from chronoview.bus.base import Message

CatalogEvent = Literal["added", "removed"]


def catalog_message(event: CatalogEvent, metric: str) -> Message:
    """`{"type":"catalog","event":…,"metric":…}` as the bus carries it."""
    body = orjson.dumps({"type": "catalog", "event": event, "metric": metric})
    return Message(STREAM_KEY, 0, body, 0.0)
