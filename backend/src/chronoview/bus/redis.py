"""The bus over Redis pub/sub: one PUBLISH per batch, one subscription per process.

A batch travels as one frame: a version line, then `metric<TAB>seq<TAB>ts<TAB>message<LF>` per
point (metric names cannot hold a tab or a newline, and an encoded message holds neither). Every
process receives every batch from the subscription, its own included; while its subscription is
live, the publisher hands its own batches to its listener at once instead, and recognises their
echo (the same bytes) without parsing it: decoding a 10,000-point frame back into the messages it
was made of was ~8 % of the server's CPU in batch ingest. Each hub puts every metric back in seq
order (reorder.py), so when a batch arrives makes no difference to what a socket sees.

The subscription is a reader task that never hangs on a dead connection (encode/broadcaster #144):
it pings Redis when the channel is quiet and gives up on an unanswered ping, and a dropped
connection is an error, never a silent reconnect by the client library. On any loss it tells the
listener, reconnects with backoff, subscribes again and lets the listener catch up from the
database before it delivers anything newer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import orjson

from chronoview.bus.base import Listener, Message, cancel_and_wait

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import PubSub

log = logging.getLogger(__name__)

CHANNEL = "chronoview:points"
_VERSION = b"cv2\n"
_PING = b"chronoview-bus"
# Own frames awaiting their echo: publications are sent one after another, so it holds one or two;
# a lost one (a publish that timed out before Redis saw it) is dropped when a later one comes back.
_ECHOES_MAX = 64


def encode_batch(messages: Sequence[Message]) -> bytes:
    """One frame for a batch of messages.

    The seqs and the stamps are turned into text by one orjson call each (a stamp is the
    shortest text that reads back as the same float, as repr's); each line is then put together
    from bytes alone. An f-string and an encode per message cost twice as much (10,000 messages
    in-process: 0.61 → 0.28 µs each)."""
    if not messages:
        return _VERSION
    stamps = orjson.dumps([message[3] for message in messages])[1:-1].split(b",")
    if b"null" in stamps:  # orjson writes a non-finite float as null: never a point's, but exact
        stamps = [repr(message[3]).encode() for message in messages]
    seqs = orjson.dumps([message[1] for message in messages])[1:-1].split(b",")
    names: dict[str, bytes] = {}  # each metric's name and its tab
    parts = [_VERSION]
    for (metric, _, data, _), seq, stamp in zip(messages, seqs, stamps, strict=True):
        name = names.get(metric) or names.setdefault(metric, metric.encode() + b"\t")
        parts += (name, seq, b"\t", stamp, b"\t", data, b"\n")
    return b"".join(parts)


def decode_batch(frame: bytes) -> list[Message]:
    if not frame.startswith(_VERSION):
        raise ValueError(f"unknown frame version {frame[:8]!r}")
    messages: list[Message] = []
    for line in frame[len(_VERSION):].split(b"\n"):
        if line:
            metric, seq, ts, data = line.split(b"\t", 3)
            messages.append(Message(metric.decode(), int(seq), data, float(ts)))
    return messages


@dataclass(frozen=True, slots=True)
class Timing:
    """How long the bus waits on Redis, in seconds."""

    ping_interval: float = 5.0  # a subscription quiet for this long is pinged
    ping_timeout: float = 5.0  # an unanswered ping (or connect, or subscribe) fails after this
    backoff: tuple[float, float] = (0.1, 5.0)  # between reconnects: the first delay, the longest
    publish_timeout: float = 2.0
    start_timeout: float = 3.0  # how long `start` waits for the first subscription


class RedisBus:
    def __init__(self, redis: Redis, channel: str = CHANNEL, timing: Timing = Timing()) -> None:
        self._redis = redis
        self._channel = channel
        self._timing = timing
        self._listener: Listener | None = None
        self._reader: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._live = False  # subscribed and caught up: own batches are delivered at publish
        self._echoes: deque[bytes] = deque(maxlen=_ECHOES_MAX)
        self._closing = False

    async def start(self, listener: Listener) -> None:
        """Subscribe (waiting a little for it, so early batches are not missed) and start reading."""
        self._listener = listener
        self._reader = asyncio.create_task(self._run(listener), name="redis-bus-reader")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), self._timing.start_timeout)

    async def publish(self, messages: Sequence[Message]) -> None:
        """One PUBLISH for the batch, tried twice (a pooled connection may be stale after a Redis
        restart). If it cannot be sent, this process's sockets still get the batch: it is stored."""
        if not messages:
            return
        frame = encode_batch(messages)
        listener = self._listener if self._live else None
        if listener is not None:
            self._echoes.append(frame)
            listener.deliver(messages)
        for attempt in (1, 2):
            try:
                publish = self._redis.publish(self._channel, frame)
                await asyncio.wait_for(publish, self._timing.publish_timeout)
                return
            except Exception:
                if attempt == 2:
                    if listener is None and self._listener is not None:
                        self._listener.deliver(messages)
                    raise

    async def close(self) -> None:
        self._closing = True
        reader, self._reader = self._reader, None
        if reader is not None:
            await cancel_and_wait(reader)
        self._listener = None

    @property
    def subscribed(self) -> bool:
        return self._subscribed.is_set()

    async def _run(self, listener: Listener) -> None:
        low, high = self._timing.backoff
        delay = low
        while not self._closing:
            pubsub = self._redis.pubsub(push_handler_func=_pushed)
            restore: list[Any] = []
            try:
                self._echoes.clear()  # frames published before now may never come back
                await self._subscribe(pubsub, restore)
                self._subscribed.set()
                delay = low
                await listener.resumed()
                self._live = True
                await self._read(pubsub, listener)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # whatever the connection raised: the subscription is gone
                if self._subscribed.is_set():
                    log.warning("bus: lost the Redis subscription (%r); reconnecting", exc)
                else:
                    log.debug("bus: cannot subscribe yet: %r", exc)
                listener.lost()
            finally:
                self._live = False
                self._subscribed.clear()
                await _dispose(pubsub, restore)
            await asyncio.sleep(delay * (0.5 + random.random() / 2))  # noqa: S311 - jitter only
            delay = min(high, delay * 2)

    async def _subscribe(self, pubsub: PubSub, restore: list[Any]) -> None:
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        await asyncio.wait_for(cast(Any, pubsub).connect(), self._timing.ping_timeout)
        connection: Any = pubsub.connection
        # A reconnect inside the client library would hide a gap from us: no retries on this
        # connection while it is ours (the pool gets it back as it was).
        restore[:] = [connection, connection.retry]
        connection.retry = Retry(NoBackoff(), 0)
        await asyncio.wait_for(pubsub.subscribe(self._channel), self._timing.ping_timeout)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timing.ping_timeout
        while loop.time() < deadline:
            message = await pubsub.get_message(timeout=max(0.0, deadline - loop.time()))
            if message is not None and message["type"] == "subscribe":
                return
        raise TimeoutError("no SUBSCRIBE confirmation from Redis")

    async def _read(self, pubsub: PubSub, listener: Listener) -> None:
        """Deliver batches until the connection fails (raises) or the bus closes."""
        loop = asyncio.get_running_loop()
        heard = loop.time()
        pinged: float | None = None
        slice_ = min(1.0, self._timing.ping_interval / 2)
        while not self._closing:
            message = await pubsub.get_message(timeout=slice_)
            now = loop.time()
            if message is not None:
                heard, pinged = now, None
                if message["type"] == "message" and not self._echo(message["data"]):
                    self._deliver(message["data"], listener)
            elif pinged is not None:
                if now - pinged > self._timing.ping_timeout:
                    raise ConnectionError(f"Redis did not answer a PING within {self._timing.ping_timeout}s")
            elif now - heard > self._timing.ping_interval:
                await asyncio.wait_for(pubsub.ping(_PING), self._timing.ping_timeout)
                pinged = now

    def _echo(self, frame: bytes) -> bool:
        """Whether the frame is one this process published (and delivered) itself."""
        echoes = self._echoes
        for position, own in enumerate(echoes):
            if own == frame:
                for _ in range(position + 1):
                    echoes.popleft()
                return True
        return False

    @staticmethod
    def _deliver(frame: bytes, listener: Listener) -> None:
        try:
            messages = decode_batch(frame)
        except ValueError as exc:
            log.warning("bus: dropped a frame: %s", exc)
            return
        listener.deliver(messages)


async def _pushed(response: Any) -> Any:
    """A pushed message as it came. Without a handler of ours, redis-py's (RESP3, the default)
    builds `"Push response: " + str(response)` for a debug log it then discards: the repr of every
    frame, ~9 % of the server's CPU while ingesting 10,000-point batches (its own echoes)."""
    return response


async def _dispose(pubsub: PubSub, restore: list[Any]) -> None:
    if restore:
        connection, retry = restore
        connection.retry = retry
    with contextlib.suppress(Exception):
        await asyncio.wait_for(cast(Any, pubsub).aclose(), 2.0)
