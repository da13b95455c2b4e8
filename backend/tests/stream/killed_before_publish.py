"""`python -m tests.stream.killed_before_publish serve`: `chronoview serve` that kills itself with
SIGKILL after storing its N-th group of points (N: KILL_BEFORE_PUBLISH) and before publishing it, as
a crash there would (tests/stream/test_offsets.py)."""

from __future__ import annotations

import os
import signal
import sys

from chronoview.__main__ import main
from chronoview.alerting.incidents import IncidentChange
from chronoview.bus.base import Message
from chronoview.ingest import Pipeline

KILL_BEFORE_PUBLISH = int(os.environ["KILL_BEFORE_PUBLISH"])
publish = Pipeline._publish
stored_groups = 0


async def _publish_or_die(pipeline: Pipeline, messages: list[Message], changes: list[IncidentChange]) -> None:
    global stored_groups
    if any(message.data for message in messages):  # a stored group (not seqs released, nor incidents)
        stored_groups += 1
        if stored_groups == KILL_BEFORE_PUBLISH:
            os.kill(os.getpid(), signal.SIGKILL)
    await publish(pipeline, messages, changes)


Pipeline._publish = _publish_or_die  # type: ignore[method-assign,assignment]

if __name__ == "__main__":
    sys.exit(main())
