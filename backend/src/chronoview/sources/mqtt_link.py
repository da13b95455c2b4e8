"""paho-mqtt 2 driven by the asyncio event loop: one MQTT 5 connection with a persistent session.

paho is the client because it has manual acknowledgements (aiomqtt has none: aiomqtt#345). It
runs on the event loop through paho's external-loop interface (the socket's reads and writes are
asyncio reader/writer callbacks), not in paho's own thread. The reason is correctness, not only
speed: an acknowledgement names a packet id, and after a reconnect the broker reuses ids for other
messages. In one thread, "is this message from the current connection? then ack it" is one
uninterrupted step (`ack` checks the connection's generation); with paho's thread reconnecting
underneath, a late ack could land on the new connection and acknowledge a message that was never
stored. One thread also means no lock and no cross-thread wake-up per message. Only the blocking
part of connecting (DNS, TCP, TLS handshake) runs in a worker thread, while the socket is not
watched and no ack can be sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
import random
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from paho.mqtt.client import Client, ConnectFlags, DisconnectFlags, MQTTMessage, MQTTv5
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

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
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 30.0
DISCONNECT_TIMEOUT = 2.0
_READS_PER_WAKEUP = 256
_SESSION_TAKEN_OVER = 0x8E  # MQTT 5 DISCONNECT reason code


@dataclass(slots=True)
class MqttTarget:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None
    filters: list[str]
    stale: list[str]  # the other form (shared or plain), left in the session by a change of shape


def parse_url(url: str, topics: list[str], shared: bool) -> MqttTarget:
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
    return MqttTarget(parts.hostname or "", parts.port or (8883 if tls else 1883), tls, username,
                      password, filters, plain if shared else grouped)


def default_client_id() -> str:
    return f"chronoview-{socket.gethostname()}"


_ID_SLOTS = 256


def claim_client_id(base: str) -> tuple[str, int]:
    """This process's client id and the descriptor holding it (close it to give the id back).

    Two clients with one id take the broker session from each other, so every process on this
    machine (the workers of `chronoview serve --workers N`, a second server) gets its own: `base`
    for the first, `base-1`, `base-2`, … for the others. Each holds a lock file for its number; the
    lowest free number keeps a worker's id, and so its persistent session, the same across restarts.
    """
    digest = hashlib.sha256(base.encode()).hexdigest()[:16]
    for slot in range(_ID_SLOTS):
        path = os.path.join(tempfile.gettempdir(), f"chronoview-mqtt-{digest}-{slot}.lock")
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            continue
        return (base if slot == 0 else f"{base}-{slot}"), descriptor
    raise RuntimeError(f"more than {_ID_SLOTS} processes on this machine use MQTT_CLIENT_ID {base!r}")


class MqttLink:
    """Connects, subscribes, reconnects with backoff; hands each PUBLISH to `on_message` with the
    connection's generation, and sends an acknowledgement only to the connection it belongs to."""

    def __init__(self, target: MqttTarget, client_id: str,
                 on_message: Callable[[MQTTMessage, int], None], on_lost: Callable[[], None]) -> None:
        self.target = target
        self.client_id = client_id
        self.connected = False
        self.last_error = ""
        self.generation = 0  # one per connection
        self._on_message_cb = on_message
        self._on_lost_cb = on_lost
        self._client = self._build_client()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._sock: Any = None  # the socket the event loop watches, if any
        self._connack: asyncio.Future[None] | None = None
        self._lost = asyncio.Event()
        self._publishes = 0  # PUBLISH packets read: tells _on_readable whether a read brought one
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def address(self) -> str:
        return f"{'mqtts' if self.target.tls else 'mqtt'}://{self.target.host}:{self.target.port}"

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._task = asyncio.create_task(self._run(), name="mqtt-connection")

    async def stop(self) -> None:
        """Disconnect cleanly (the acks queued before go out first); the session stays."""
        self._closing = True
        if self.connected:
            self._client.disconnect()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), DISCONNECT_TIMEOUT)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._unwatch()

    def ack(self, generation: int, mid: int, qos: int) -> None:
        """Acknowledge a message, if the connection that delivered it is still the current one."""
        if qos and self.connected and generation == self.generation:
            self._client.ack(mid, qos)

    def _build_client(self) -> Client:
        client = Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=MQTTv5,
                        manual_ack=True)
        client.enable_logger(logging.getLogger("chronoview.sources.paho"))
        if self.target.username is not None:
            client.username_pw_set(self.target.username, self.target.password)
        if self.target.tls:
            client.tls_set_context(ssl.create_default_context())
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call] # paho leaves it untyped
        properties.SessionExpiryInterval = SESSION_EXPIRY_SECONDS
        properties.ReceiveMaximum = RECEIVE_MAXIMUM
        client.connect_async(self.target.host, self.target.port, KEEPALIVE_SECONDS,
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
                self.last_error = str(exc) or type(exc).__name__
                log.warning("MQTT %s: cannot connect (%s); retrying in %.1fs",
                            self.address, self.last_error, delay)
                self._drop_connection()
            else:
                delay = BACKOFF_FIRST
                await self._serve()
                if self._closing:
                    return
                log.warning("MQTT %s: connection lost (%s); reconnecting", self.address,
                            self.last_error)
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
        self.generation += 1
        self.connected = False
        self._unwatch()
        self._lost.set()
        self._on_lost_cb()

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
            before = self._publishes
            if self._client.loop_read() != MQTTErrorCode.MQTT_ERR_SUCCESS or self._sock is not sock:
                return
            # paho reads one packet per call; stop once a call brought no message (socket drained).
            if self._publishes == before:
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
        self.connected = True
        self.last_error = ""
        log.info("MQTT %s: connected as %r (session %s)", self.address, self.client_id,
                 "resumed" if flags.session_present else "new")
        if flags.session_present and self.target.stale:
            # A resumed session may still hold these from a run in the other shape: each message
            # would then come twice.
            client.unsubscribe(self.target.stale)
        options = SubscribeOptions(qos=1, retainHandling=SubscribeOptions.RETAIN_DO_NOT_SEND)
        client.subscribe([(topic, options) for topic in self.target.filters])
        self._connack.set_result(None)

    def _on_subscribe(self, _client: Client, _userdata: Any, _mid: int, reasons: list[ReasonCode],
                      _properties: Properties | None) -> None:
        for topic, reason in zip(self.target.filters, reasons, strict=False):
            if reason.is_failure:
                self.last_error = f"subscription {topic!r} refused: {reason}"
                log.error("MQTT %s: %s", self.address, self.last_error)

    def _on_disconnect(self, _client: Client, _userdata: Any, _flags: DisconnectFlags,
                       reason: ReasonCode, _properties: Properties | None) -> None:
        if reason.is_failure:
            self.last_error = str(reason)
        if reason.value == _SESSION_TAKEN_OVER:
            log.error("MQTT %s: another client connected with the client id %r; give each process "
                      "its own MQTT_CLIENT_ID", self.address, self.client_id)
        self._drop_connection()

    def _on_message(self, _client: Client, _userdata: Any, message: MQTTMessage) -> None:
        self._publishes += 1
        self._on_message_cb(message, self.generation)
