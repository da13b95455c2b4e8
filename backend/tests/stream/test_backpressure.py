"""A client that cannot keep up is closed with 1013; nobody else waits for it (SPEC §6).

The slow client is a raw TCP socket that completes the WebSocket handshake (websockets' sans-I/O
protocol) and then truly stops reading, so the kernel buffers on both sides fill (a few MB on
loopback), the server's transport pauses, and the socket's bounded queue overflows.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from tests.server import start_server
from tests.stream.harness import eventually, open_socket

QUEUE = 2000
METRIC = "slow." + "m" * 95  # long names make big messages (~300 bytes): fewer points fill buffers
BATCH = 1000  # half the queue: a burst is not a slow reader
MAX_POINTS = 60_000  # kernel buffers on loopback take a few MB before the server's queue grows
CUT = "closing a WebSocket that cannot keep up"


class StalledClient:
    """A WebSocket client that reads the handshake and then nothing, until told to drain."""

    def __init__(self, url: str, port: int) -> None:
        self.protocol = ClientProtocol(parse_uri(url))
        self.sock = socket.socket()
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        self.protocol.send_request(self.protocol.connect())
        self.sock.sendall(b"".join(self.protocol.data_to_send()))
        self.texts: list[bytes] = []
        while not any(isinstance(e, Response) for e in self._receive(self.sock.recv(4096))):
            pass
        assert self.protocol.handshake_exc is None

    def _receive(self, data: bytes) -> list[object]:
        if data:
            self.protocol.receive_data(data)
        else:
            self.protocol.receive_eof()
        events: list[object] = list(self.protocol.events_received())
        for event in events:
            if getattr(event, "opcode", None) is Opcode.TEXT:
                self.texts.append(event.data)  # type: ignore[attr-defined]
        if (reply := self.protocol.data_to_send()):
            self.sock.sendall(b"".join(reply))
        return events

    def drain(self) -> tuple[int, str]:
        """Read everything the server sent until its close frame; returns (code, reason)."""
        while self.protocol.close_rcvd is None:
            data = self.sock.recv(1 << 16)
            self._receive(data)
            if not data:
                break
        assert self.protocol.close_rcvd is not None, "the connection ended without a close frame"
        return self.protocol.close_rcvd.code, self.protocol.close_rcvd.reason

    def close(self) -> None:
        self.sock.close()


@pytest.mark.parametrize("asgi", [False, True])
async def test_a_socket_that_never_reads_is_closed_1013_while_fast_sockets_get_every_point(
    tmp_path: Path, asgi: bool
) -> None:
    server = start_server(tmp_path, WS_QUEUE_MAX=str(QUEUE), asgi=asgi)
    stalled = StalledClient(server.ws_url([METRIC]), server.port)
    try:
        fast = [await open_socket(server.ws_url([METRIC])) for _ in range(2)]
        sent: list[float] = []
        after_cut = 0
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            # Post until the server cuts the stalled socket loose, then a few batches more.
            while after_cut < 3:
                assert len(sent) < MAX_POINTS, "the stalled socket was never closed"
                points = [{"metric": METRIC, "value": float(i), "ts": 1_700_000_000 + i / 100}
                          for i in range(len(sent), len(sent) + BATCH)]
                response = await http.post("/metrics", json=points, headers={"Prefer": "return=minimal"})
                assert response.status_code == 201, response.text
                sent += [float(i) for i in range(len(sent), len(sent) + BATCH)]
                posted = len(sent)
                await eventually(lambda n=posted: all(len(s.messages) >= n - BATCH for s in fast),  # type: ignore[misc]
                                 10, "the fast sockets to keep up")
                if after_cut or CUT in server.tail(100_000):
                    after_cut += 1
        total = len(sent)
        for client in fast:
            await eventually(lambda c=client: len(c.messages) == total, 20, "every point")  # type: ignore[misc]
            assert client.values(METRIC) == sent
            assert not client.closed

        assert f"{CUT} ({QUEUE} messages queued)" in server.tail(100_000)  # WS_QUEUE_MAX's bound
        code, reason = await asyncio.to_thread(stalled.drain)
        assert (code, reason) == (1013, "too slow: message queue full; reconnect with since=")
        # It got an in-order prefix of the points, then the close: nothing was buffered for it
        # past its bound.
        assert 0 < len(stalled.texts) < total - 3 * BATCH
        received = [float(t.split(b'"value":')[1].split(b",")[0]) for t in stalled.texts]
        assert received == sent[: len(received)]
        for client in fast:
            await client.close()
    finally:
        stalled.close()
        server.stop()
