"""`python -m tests.stream.serve`: the real server, with a WebSocket queue bound from the environment.

The bound is a constant of the hub (no setting yet); back-pressure tests need a small one.
"""

from __future__ import annotations

import os
import sys

import chronoview.bus.hub as hub
from chronoview.__main__ import main

hub.DEFAULT_MAX_QUEUE = int(os.environ["CHRONOVIEW_TEST_WS_QUEUE"])
sys.exit(main(["serve"]))
