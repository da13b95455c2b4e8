"""`python -m tests.stream.serve`: the real server, with test-only knobs from the environment.

- CHRONOVIEW_TEST_WS_QUEUE: the hub's queue bound (a constant, no setting yet); back-pressure tests
  need a small one.
- CHRONOVIEW_TEST_ASGI_WS=1: serve WebSockets with uvicorn's own protocol, which offers no sink, so
  the stream takes its portable path (`AsgiSink`).
"""

from __future__ import annotations

import os
import sys

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

import chronoview.__main__ as cli
import chronoview.bus.hub as hub

if "CHRONOVIEW_TEST_WS_QUEUE" in os.environ:
    hub.DEFAULT_MAX_QUEUE = int(os.environ["CHRONOVIEW_TEST_WS_QUEUE"])
if os.environ.get("CHRONOVIEW_TEST_ASGI_WS") == "1":
    cli.StreamProtocol = WebSocketsSansIOProtocol  # type: ignore[misc]
sys.exit(cli.main(["serve"]))
