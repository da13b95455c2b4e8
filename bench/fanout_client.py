"""A WebSocket client process for bench/fanout.py: many sockets on one metric, in one asyncio loop.

    fanout_client.py URL METRIC SOCKETS OUT MODE DEADLINE [deflate|plain]

Opens SOCKETS connections to URL/ws/stream?metric=METRIC (as a browser would: permessage-deflate
offered), prints "READY <open>" once they are all open, then
- MODE=stream: every socket reads messages. A message's `value` is the time the point was posted
  (time.time() in the poster); values >= 1e9 are measured: (sent, received) pairs are appended to
  OUT as little-endian doubles. A value < 0 is the end marker. Values in between are warm-up.
- MODE=idle: the sockets just stay open (no reads are pending beyond the library's own).
It ends at the end marker on every socket, on SIGTERM, or at DEADLINE seconds, and prints one JSON
line: per-socket counts of measured messages and the close codes seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import signal
import sys
import time
from array import array
from pathlib import Path

import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

CONNECT_CONCURRENCY = 100


def raise_nofile(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


async def main(
    url: str, metric: str, sockets: int, out: str, mode: str, deadline: float, deflate: bool
) -> None:
    raise_nofile(sockets + 256)
    target = url.replace("http://", "ws://") + f"/ws/stream?metric={metric}"
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    sent, received = array("d"), array("d")
    counts = [0] * sockets
    closes: dict[str, int] = {}

    async def open_one() -> object:
        async with gate:
            for attempt in range(5):
                try:
                    return await connect(target, ping_interval=None, max_queue=None,
                                         open_timeout=60, close_timeout=2,
                                         compression="deflate" if deflate else None)
                except OSError:
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.2 * (attempt + 1))
        raise AssertionError

    conns = list(await asyncio.gather(*(open_one() for _ in range(sockets))))
    print(f"READY {len(conns)}", flush=True)

    async def read(i: int, ws) -> None:  # type: ignore[no-untyped-def]
        now = time.time
        try:
            async for raw in ws:
                value = orjson.loads(raw)["data"]["value"]
                if value >= 1e9:
                    sent.append(value)
                    received.append(now())
                    counts[i] += 1
                elif value < 0:
                    return
        except ConnectionClosed as exc:
            code = str(exc.rcvd.code if exc.rcvd else "none")
            closes[code] = closes.get(code, 0) + 1

    readers = [asyncio.create_task(read(i, ws)) for i, ws in enumerate(conns)] if mode == "stream" else []
    stopper = asyncio.ensure_future(stop.wait())
    ends = [stopper, asyncio.gather(*readers)] if readers else [stopper]
    await asyncio.wait(ends, timeout=deadline, return_when=asyncio.FIRST_COMPLETED)
    for task in readers:
        task.cancel()
    stopper.cancel()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(asyncio.gather(*(ws.close() for ws in conns),  # type: ignore[attr-defined]
                                              return_exceptions=True), 5)
    return sent, received, {"counts": counts, "closes": closes}


def write(out: str, sent: array, received: array, summary: dict[str, object]) -> None:
    Path(out).write_bytes(array("d", [len(sent)]).tobytes() + sent.tobytes() + received.tobytes())
    print(orjson.dumps(summary).decode(), flush=True)


if __name__ == "__main__":
    url, metric, n, out, mode, deadline = sys.argv[1:7]
    deflate = (sys.argv[7] if len(sys.argv) > 7 else "deflate") == "deflate"
    write(out, *asyncio.run(main(url, metric, int(n), out, mode, float(deadline), deflate)))
