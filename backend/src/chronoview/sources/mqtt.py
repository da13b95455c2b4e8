"""The MQTT source (SPEC §12): subscribe, turn messages into points, acknowledge only stored ones.

paho-mqtt 2 is the client because it has manual acknowledgements (aiomqtt has none: aiomqtt#345).
It runs on the event loop through paho's external-loop interface (the socket's reads and writes
are asyncio reader/writer callbacks) rather than in paho's own thread. The reason is correctness,
not only speed: an acknowledgement names a packet id, and after a reconnect the broker reuses ids
for other messages. In one thread, "is this message from the current connection? then ack it" is
one uninterrupted step; with paho's thread reconnecting underneath, a late ack could land on the
new connection and acknowledge a message that was never stored. One thread also means no lock and
no cross-thread wake-up per message. Only the blocking part of connecting (DNS, TCP, TLS) runs in
a worker thread, while the socket is not watched and no ack can be sent.

Flow: each message is parsed and checked on arrival (`mqtt_payload`), so a bad one is counted,
logged and acknowledged (a redelivery would not make it better) without holding up the rest. Good
messages wait in arrival order and go to `Pipeline.ingest` — the function POST /metrics feeds —
as one batch of whatever arrived while the previous batch was being stored; once it returns, every
message of the batch is acknowledged, in arrival order as MQTT requires. A message still unacked
when the connection drops is redelivered by the broker (persistent session), so it is dropped
here if not yet stored: a duplicate is possible only for a message stored and not yet acked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from paho.mqtt.client import Client, ConnectFlags, DisconnectFlags, MQTTMessage, MQTTv5
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from chronoview.ingest import MAX_BATCH_POINTS, Pipeline, WindowUnavailable
from chronoview.points import Point
from chronoview.sources.mqtt_payload import BadPayload, parse_message
from chronoview.storage.base import StorageUnavailable

log = logging.getLogger(__name__)

SHARE_GROUP = "$share/chronoview/"
# How long the broker keeps the session (subscriptions and queued QoS-1 messages) while no process
# with this client id is connected: outages of up to a week lose nothing the broker still queues.
SESSION_EXPIRY_SECONDS = 7 * 24 * 3600
# Unacknowledged messages the broker may have on their way to us (MQTT 5 Receive Maximum): what
# one batch can hold, and the bound on duplicates after a crash. Mosquitto also caps it with its
# max_inflight_messages (default 20).
RECEIVE_MAXIMUM = 1000
KEEPALIVE_SECONDS = 30
CONNACK_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0  # for the batch in hand to be stored on shutdown
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 30.0
STORE_RETRY_MAX = 5.0
_READS_PER_WAKEUP = 256
_SESSION_TAKEN_OVER = 0x8E  # MQTT 5 DISCONNECT reason code
_LOG_EVERY = 1.0  # at most one line per second about bad payloads, with the count in between


@dataclass(slots=True)
class _Message:
    mid: int
    qos: int
    generation: int
    points: list[Point]


@dataclass(slots=True)
class MqttStats:
    received: int = 0
    stored: int = 0
    rejected: int = 0
    connected: bool = False
    last_error: str = ""


@dataclass(slots=True)
class _Target:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None
    filters: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # the other form, left by a change of shape


def parse_url(url: str, topics: list[str], shared: bool) -> _Target:
    """Broker address and credentials from MQTT_URL, and the filters to subscribe to.

    `shared` (several processes may run: Redis is configured): each filter joins the shared group,
    so the broker hands each message to one process. A single process subscribes plainly, because
    Mosquitto (2.0.11, measured) drops messages published for a *shared* subscription restored
    from its persistence file until the subscriber reconnects after a broker restart; a plain one
    queues them. A filter already written as `$share/...` is taken as it is.
    """
    parts = urlsplit(url)
    tls = parts.scheme == "mqtts"
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    plain = [t for t in topics if not t.startswith("$share/")]
    grouped = [SHARE_GROUP + t for t in plain]
    filters = [t if t.startswith("$share/") or not shared else SHARE_GROUP + t for t in topics]
    return _Target(parts.hostname or "", parts.port or (8883 if tls else 1883), tls, username, password,
                   filters, plain if shared else grouped)


def default_client_id() -> str:
    return f"chronoview-{socket.gethostname()}"


class MqttSubscriber:
    """Runs from the app lifespan: `start()`, then `await stop()`; `stats` feed /health."""

    def __init__(self, pipeline: Pipeline, url: str, topics: list[str], client_id: str,
                 shared: bool) -> None:
        self._pipeline = pipeline
        self._target = parse_url(url, topics, shared)
        self.client_id = client_id
        self.stats = MqttStats()
        self._client = self._build_client()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._generation = 0  # one per connection: acks go only to the connection that delivered
        self._sock: Any = None  # the socket being watched by the event loop, if any
        self._connack: asyncio.Future[None] | None = None
        self._lost = asyncio.Event()
        self._pending: list[_Message] = []
        self._wakeup = asyncio.Event()
        self._closing = False
        self._tasks: list[asyncio.Task[None]] = []
        self._next_log = 0.0
        self._unlogged = 0

    @property
    def address(self) -> str:
        return f"{'mqtts' if self._target.tls else 'mqtt'}://{self._target.host}:{self._target.port}"

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._tasks = [asyncio.create_task(self._run(), name="mqtt-connection"),
                       asyncio.create_task(self._consume(), name="mqtt-ingest")]

    async def stop(self) -> None:
        """Store and acknowledge the batch in hand, then disconnect; the rest waits in the broker."""
        if not self._tasks:
            return
        self._closing = True
        self._wakeup.set()
        run, consume = self._tasks
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(consume, STOP_TIMEOUT)
        if self.stats.connected:
            self._client.disconnect()  # the acks queued before it go out first
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), 2.0)
        run.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run
        self._unwatch()
        self._tasks = []

    # --- connection -----------------------------------------------------------------------------

    def _build_client(self) -> Client:
        client = Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=MQTTv5,
                        manual_ack=True)
        client.enable_logger(logging.getLogger("chronoview.sources.paho"))
        if self._target.username is not None:
            client.username_pw_set(self._target.username, self._target.password)
        if self._target.tls:
            client.tls_set_context(ssl.create_default_context())
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call] # paho leaves it untyped
        properties.SessionExpiryInterval = SESSION_EXPIRY_SECONDS
        properties.ReceiveMaximum = RECEIVE_MAXIMUM
        client.connect_async(self._target.host, self._target.port, KEEPALIVE_SECONDS,
                             clean_start=False, properties=properties)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.on_socket_close = self._on_socket_close
        client.on_socket_register_write = self._on_register_write
        client.on_socket_unregister_write = self._on_unregister_write
        return client

    async def _run(self) -> None:
        delay = BACKOFF_FIRST
        while not self._closing:
            try:
                await self._connect()
            except Exception as exc:  # refused, unreachable, TLS, bad credentials: retry later
                self.stats.last_error = str(exc) or type(exc).__name__
                log.warning("MQTT %s: cannot connect (%s); retrying in %.1fs",
                            self.address, self.stats.last_error, delay)
                self._drop_connection()
            else:
                delay = BACKOFF_FIRST
                await self._serve()
                if self._closing:
                    return
                log.warning("MQTT %s: connection lost (%s); reconnecting", self.address,
                            self.stats.last_error)
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not secrecy
            delay = min(delay * 2, BACKOFF_MAX)

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        self._unwatch()
        self._lost.clear()
        self._connack = loop.create_future()
        # Blocking DNS, TCP and TLS handshake; nothing else touches the client meanwhile.
        rc = await asyncio.to_thread(self._client.reconnect)
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise ConnectionError(f"paho error {rc}")
        self._watch(self._client.socket())
        await asyncio.wait_for(self._connack, CONNACK_TIMEOUT)

    async def _serve(self) -> None:
        """While connected: paho's timers (keepalive pings, lost-broker detection) once a second."""
        while not self._lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), 1.0)
            if not self._lost.is_set():
                self._client.loop_misc()

    def _drop_connection(self) -> None:
        self._generation += 1
        self.stats.connected = False
        self._pending = [m for m in self._pending if m.qos == 0]  # the broker redelivers the others
        self._unwatch()
        self._lost.set()

    def _watch(self, sock: Any) -> None:
        assert self._loop is not None
        self._sock = sock
        self._loop.add_reader(sock, self._on_readable)
        if self._client.want_write():
            self._loop.add_writer(sock, self._on_writable)

    def _unwatch(self) -> None:
        if self._sock is not None and self._loop is not None:
            self._loop.remove_reader(self._sock)
            self._loop.remove_writer(self._sock)
        self._sock = None

    def _on_readable(self) -> None:
        sock = self._sock
        for _ in range(_READS_PER_WAKEUP):
            before = self.stats.received
            if self._client.loop_read() != MQTTErrorCode.MQTT_ERR_SUCCESS or self._sock is not sock:
                return
            # paho reads one packet per call; stop once a call brought no message (socket drained).
            if self.stats.received == before:
                break
        pending = getattr(sock, "pending", None)  # TLS: decrypted bytes the selector cannot see
        if pending is not None and pending() and self._loop is not None:
            self._loop.call_soon(self._on_readable)

    def _on_writable(self) -> None:
        self._client.loop_write()

    def _on_register_write(self, _client: Client, _userdata: Any, sock: Any) -> None:
        # Called from the connecting thread too: _connect watches the socket once that returns.
        if sock is self._sock and threading.get_ident() == self._loop_thread and self._loop is not None:
            self._loop.add_writer(sock, self._on_writable)

    def _on_unregister_write(self, _client: Client, _userdata: Any, sock: Any) -> None:
        if sock is self._sock and threading.get_ident() == self._loop_thread and self._loop is not None:
            self._loop.remove_writer(sock)

    def _on_socket_close(self, _client: Client, _userdata: Any, sock: Any) -> None:
        if sock is self._sock and threading.get_ident() == self._loop_thread:
            self._unwatch()

    def _on_connect(self, client: Client, _userdata: Any, flags: ConnectFlags, reason: ReasonCode,
                    _properties: Properties | None) -> None:
        if self._connack is None or self._connack.done():
            return
        if reason.is_failure:
            self._connack.set_exception(ConnectionError(f"broker refused: {reason}"))
            return
        self.stats.connected = True
        self.stats.last_error = ""
        log.info("MQTT %s: connected as %r (session %s)", self.address, self.client_id,
                 "resumed" if flags.session_present else "new")
        if flags.session_present and self._target.stale:
            # A resumed session may still hold these from a run in the other shape: each message
            # would then come twice.
            client.unsubscribe(self._target.stale)
        options = SubscribeOptions(qos=1, retainHandling=SubscribeOptions.RETAIN_DO_NOT_SEND)
        client.subscribe([(topic, options) for topic in self._target.filters])
        self._connack.set_result(None)

    def _on_subscribe(self, _client: Client, _userdata: Any, _mid: int, reasons: list[ReasonCode],
                      _properties: Properties | None) -> None:
        for topic, reason in zip(self._target.filters, reasons, strict=False):
            if reason.is_failure:
                self.stats.last_error = f"subscription {topic!r} refused: {reason}"
                log.error("MQTT %s: %s", self.address, self.stats.last_error)

    def _on_disconnect(self, _client: Client, _userdata: Any, _flags: DisconnectFlags,
                       reason: ReasonCode, _properties: Properties | None) -> None:
        if reason.is_failure:
            self.stats.last_error = str(reason)
        if reason.value == _SESSION_TAKEN_OVER:
            log.error("MQTT %s: another client connected with the client id %r; give each process "
                      "its own MQTT_CLIENT_ID", self.address, self.client_id)
        self._drop_connection()

    # --- messages -------------------------------------------------------------------------------

    def _on_message(self, _client: Client, _userdata: Any, message: MQTTMessage) -> None:
        self.stats.received += 1
        entry = _Message(message.mid, message.qos, self._generation, [])
        try:
            entry.points = parse_message(message.topic, message.payload, time.time())
        except (BadPayload, UnicodeDecodeError) as exc:
            self._reject(str(exc))
        self._pending.append(entry)  # bad ones too: acks keep arrival order
        self._wakeup.set()

    def _reject(self, reason: str) -> None:
        self.stats.rejected += 1
        now = time.monotonic()
        if now < self._next_log:
            self._unlogged += 1
            return
        more = f" (and {self._unlogged} more since the last report)" if self._unlogged else ""
        log.warning("MQTT message rejected: %s%s; %d rejected so far", reason, more, self.stats.rejected)
        self._next_log, self._unlogged = now + _LOG_EVERY, 0

    async def _consume(self) -> None:
        while True:
            await self._wakeup.wait()
            if self._closing:
                return
            batch = self._take()
            if not self._pending:
                self._wakeup.clear()
            if not await self._store(batch):
                return  # closing during an outage: unacked, the broker keeps them
            self._ack(batch)

    def _take(self) -> list[_Message]:
        """The oldest waiting messages, up to one pipeline batch of points (at least one message)."""
        size = taken = 0
        for message in self._pending:
            if taken and size + len(message.points) > MAX_BATCH_POINTS:
                break
            size += len(message.points)
            taken += 1
        batch, self._pending = self._pending[:taken], self._pending[taken:]
        return batch

    async def _store(self, batch: list[_Message]) -> bool:
        """Store the batch's points, waiting out an outage; False if told to stop meanwhile.

        A message whose points the pipeline refuses (rather than failing to store) is set apart
        and counted as rejected, so it cannot hold up the rest."""
        delay = BACKOFF_FIRST
        while True:
            # Unacked QoS-1 messages of a lost connection come again on the next: not stored now.
            live = [m for m in batch if m.qos == 0 or m.generation == self._generation]
            points = [p for m in live for p in m.points]
            if not points:
                return True
            try:
                await self._pipeline.ingest(points)
            except (StorageUnavailable, WindowUnavailable) as exc:
                if self._closing:
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
            self.stats.stored += len(points)
            return True

    def _ack(self, batch: list[_Message]) -> None:
        if not self.stats.connected:
            return
        for message in batch:
            if message.qos and message.generation == self._generation:
                self._client.ack(message.mid, message.qos)
