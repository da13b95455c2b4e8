"""The MQTT source (SPEC §12): messages become points, acknowledged only once they are stored.

The connection itself (paho on the event loop, session, reconnects) is `mqtt_link`; the mapping
of topics and payloads is `mqtt_payload`. Here: each message is parsed and checked on arrival, so a
bad one is counted, logged and acknowledged (a redelivery would not make it better) without holding
up the rest. Good messages wait in arrival order and go to `Pipeline.ingest` — the function
POST /metrics feeds — as one batch of whatever arrived while the previous batch was being stored;
once it returns, every message of the batch is acknowledged, in arrival order as MQTT requires.
A message still unacknowledged when the connection drops is redelivered by the broker (persistent
session), so it is dropped here if not yet stored: a duplicate is possible only for a message that
was stored and not yet acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from dataclasses import dataclass

from paho.mqtt.client import MQTTMessage

from chronoview.backlog import Backlog
from chronoview.ingest import MAX_BATCH_POINTS, Pipeline, WindowUnavailable
from chronoview.points import Point
from chronoview.sources.mqtt_link import BACKOFF_FIRST, MqttLink, claim_client_id, parse_url
from chronoview.sources.mqtt_payload import BadPayload, parse_message
from chronoview.storage.base import StorageUnavailable

log = logging.getLogger(__name__)

STOP_TIMEOUT = 10.0  # for the batch in hand to be stored on shutdown
STORE_RETRY_MAX = 5.0
_LOG_EVERY = 1.0  # at most one line per second about bad payloads, with the count in between


@dataclass(slots=True)
class _Message:
    mid: int
    qos: int
    generation: int
    points: list[Point]


class MqttSubscriber:
    """Runs from the app lifespan: `start()`, then `await stop()`; /health reads `connected` and
    `rejected` (messages counted as bad payloads since start)."""

    def __init__(self, pipeline: Pipeline, url: str, topics: list[str], client_id: str,
                 shared: bool) -> None:
        self._pipeline = pipeline
        self._link = MqttLink(parse_url(url, topics, shared), client_id, self._on_message, self._on_lost)
        self.rejected = 0
        self._pending: Backlog[_Message] = Backlog(lambda message: len(message.points), MAX_BATCH_POINTS)
        self._consumer: asyncio.Task[None] | None = None
        self._next_log = 0.0
        self._unlogged = 0
        self._id_lock: int | None = None

    @property
    def connected(self) -> bool:
        return self._link.connected

    def start(self) -> None:
        self._link.client_id, self._id_lock = claim_client_id(self._link.client_id)
        self._link.start()
        self._consumer = asyncio.create_task(self._consume(), name="mqtt-ingest")

    async def stop(self) -> None:
        """Store and acknowledge the batch in hand, then disconnect; the rest waits in the broker."""
        if self._consumer is None:
            return
        self._pending.close()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(self._consumer, STOP_TIMEOUT)
        self._consumer = None
        await self._link.stop()
        if self._id_lock is not None:
            os.close(self._id_lock)  # the client id is free again
            self._id_lock = None

    def _on_message(self, message: MQTTMessage, generation: int) -> None:
        entry = _Message(message.mid, message.qos, generation, [])
        try:
            entry.points = parse_message(message.topic, message.payload, time.time())
        except (BadPayload, UnicodeDecodeError) as exc:
            self._reject(str(exc))
        self._pending.put(entry)  # bad ones too: acknowledgements keep arrival order

    def _on_lost(self) -> None:
        # The broker redelivers the unacknowledged QoS-1 messages on the next connection.
        self._pending.items = [m for m in self._pending.items if m.qos == 0]

    def _reject(self, reason: str) -> None:
        self.rejected += 1
        now = time.monotonic()
        if now < self._next_log:
            self._unlogged += 1
            return
        more = f" (and {self._unlogged} more since the last report)" if self._unlogged else ""
        log.warning("MQTT message rejected: %s%s; %d rejected so far", reason, more, self.rejected)
        self._next_log, self._unlogged = now + _LOG_EVERY, 0

    async def _consume(self) -> None:
        while True:
            await self._pending.ready.wait()
            if self._pending.closing:
                return
            batch = self._pending.take()
            if not await self._store(batch):
                return  # closing during an outage: unacknowledged, the broker keeps them
            for message in batch:
                self._link.ack(message.generation, message.mid, message.qos)

    async def _store(self, batch: list[_Message]) -> bool:
        """Store the batch's points, waiting out an outage; False if told to stop meanwhile.

        A message whose points the pipeline refuses (rather than failing to store) is set apart
        and counted as rejected, so it cannot hold up the rest."""
        delay = BACKOFF_FIRST
        while True:
            # Unacknowledged QoS-1 messages of a lost connection come again: not stored now.
            live = [m for m in batch if m.qos == 0 or m.generation == self._link.generation]
            points = [p for m in live for p in m.points]
            if not points:
                return True
            try:
                await self._pipeline.ingest(points, source="mqtt")
            except (StorageUnavailable, WindowUnavailable) as exc:
                if self._pending.closing:
                    return False
                log.warning("MQTT batch of %d points not stored (%r); retrying in %.1fs",
                            len(points), exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, STORE_RETRY_MAX)
                continue
            except Exception as exc:
                if len(live) > 1:  # find the message at fault: one at a time
                    for message in live:
                        if not await self._store([message]):
                            return False
                    return True
                live[0].points = []
                self._reject(f"refused by the pipeline: {exc!r}")
                return True
            return True
