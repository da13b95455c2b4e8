"""The WebSocket protocol of `chronoview serve`, for a uvicorn started by hand (part of the seam):

    uvicorn --factory chronoview.main:create_app --ws chronoview.serving.ws:Protocol

gives the same fast write path on the pinned uvicorn, and uvicorn's own protocol on any other.
"""

from __future__ import annotations

from chronoview.serving import websocket_protocol

Protocol = websocket_protocol()
