"""A real HTTP receiver on a loopback port, answering from a script: what a webhook endpoint,
a chat service or ntfy would be for the dispatcher."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HANG = -1  # a status that means: read the request, then never answer


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived


Script = Callable[[int], Answer]  # the n-th request (0-based) → the answer


def always(status: int, **headers: str) -> Script:
    return lambda _n: Answer(status, dict(headers))


def sequence(*answers: Answer) -> Script:
    """The answers in turn, the last one for every request after them."""
    return lambda n: answers[min(n, len(answers) - 1)]


class Receiver:
    def __init__(self, script: Script, port: int = 0) -> None:
        self.script = script
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    n = len(receiver.received)
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    receiver.received.append(Received(self.path, headers, body, time.monotonic()))
                answer = receiver.script(n)
                if answer.status == HANG:
                    receiver._closing.wait(60)
                    return
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *_args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            # http.server's backlog of 5 refuses connections when dispatchers send dozens at once.
            request_queue_size = 256

        self._server = Server(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, count: int, timeout: float) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"receiver got {len(self.received)} requests, not {count}, in {timeout}s")
