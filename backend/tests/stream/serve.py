"""`python -m tests.stream.serve`: the real server, with a test-only knob from the environment.

- CHRONOVIEW_TEST_ASGI_WS=1: serve WebSockets with uvicorn's own protocol, which offers no sink, so
  the stream takes its portable path (`AsgiSink`).
"""

from __future__ import annotations

import os
import sys

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

import chronoview.__main__ as cli
import chronoview.serving

if os.environ.get("CHRONOVIEW_TEST_ASGI_WS") == "1":
    chronoview.serving.StreamProtocol = WebSocketsSansIOProtocol  # type: ignore[misc]
sys.exit(cli.main(["serve"]))
