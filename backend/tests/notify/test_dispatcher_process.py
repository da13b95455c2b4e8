"""The dispatcher in a process of its own (notify/process.py): `chronoview serve` sends from a child
process, which the server restarts when it dies and stops with itself; every delivery still goes
out once. Under `uvicorn --factory` the dispatcher stays in the serving loop."""

from __future__ import annotations

import collections
import contextlib
import multiprocessing
import os
import re
import signal
import time
from pathlib import Path

import httpx
import psutil

from tests.notify.conftest import ADMIN_TOKEN
from tests.notify.receivers import HANG, Answer, Receiver, always, sequence
from tests.notify.test_processes import AUTH, _channel, _incidents, _log, _wait
from tests.server import ServerProcess, start_server
from tests.services import free_port


def _dispatchers(server: ServerProcess) -> list[psutil.Process]:
    """The server's dispatcher processes (multiprocessing's spawned children, not its resource tracker)."""
    return [child for child in psutil.Process(server.pid).children()
            if any("spawn_main" in part for part in child.cmdline())]


def _connected_to(process: psutil.Process, port: int) -> bool:
    return any(c.raddr and c.raddr.port == port for c in process.net_connections(kind="tcp"))


def test_sends_come_from_a_child_process_that_stops_when_the_server_is_killed(tmp_path: Path) -> None:
    hook = Receiver(always(HANG)).start()  # the send stays open: whoever holds its socket sent it
    server = start_server(tmp_path, ADMIN_TOKEN=ADMIN_TOKEN)
    try:
        [child] = _dispatchers(server)
        _channel(server.url, {"url": hook.url})
        _incidents(server.url, ["cpu"])
        hook.wait_for(1, 20)
        port = int(hook.url.rsplit(":", 1)[1])
        assert _connected_to(child, port)
        assert not _connected_to(psutil.Process(server.pid), port)
        server.stop(signal.SIGKILL)
        # The closed pipe tells the child its server is gone: it gives back the row and exits.
        child.wait(10)
        server = start_server(tmp_path, ADMIN_TOKEN=ADMIN_TOKEN)
        [row] = _log(server.url)
        assert row["state"] == "pending", row  # due again now, not when the 30 s lease runs out
    finally:
        server.stop()
        hook.stop()


def _attempts(url: str) -> dict[str, float]:
    """chronoview_notifications_total from the server's /-/metrics, by its labels."""
    text = httpx.get(f"{url}/-/metrics", headers=AUTH, timeout=10).text
    return {labels: float(value) for labels, value in
            re.findall(r'^chronoview_notifications_total(\{[^}]*\}) (\S+)$', text, re.MULTILINE)}


def test_the_child_s_attempts_are_counted_in_the_server_s_metrics(tmp_path: Path) -> None:
    hook = Receiver(sequence(Answer(500), Answer(200))).start()
    server = start_server(tmp_path, ADMIN_TOKEN=ADMIN_TOKEN)
    try:
        _channel(server.url, {"url": hook.url})
        _incidents(server.url, ["cpu", "mem"])
        _wait(lambda: (rows := _log(server.url)) and len(rows) == 2
              and all(r["state"] == "delivered" for r in rows), 30, "both delivered, one after a retry")
        counted = _wait(lambda: (got := _attempts(server.url)) and sum(got.values()) == 3 and got, 10,
                        "three attempts counted")
        assert counted == {'{kind="webhook",result="retry"}': 1.0, '{kind="webhook",result="delivered"}': 2.0}
    finally:
        server.stop()
        hook.stop()


def _pipes(pid: int) -> set[str]:
    """The pipes among a process's descriptors past stdin, stdout and stderr."""
    found = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if int(fd) > 2 and target.startswith("pipe:"):
                found.add(target)
    return found


def test_wake_ups_and_counts_share_one_link_to_the_child(tmp_path: Path) -> None:
    """One duplex link per child (a socket pair): no pipe of its own for the counts beside the one
    for the wake-ups. A spawned process shares pipes of multiprocessing's own with its parent (its
    start-up data, its sentinel), measured here on a bare one; the dispatcher shares no more."""
    bare = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(30,), daemon=True)
    bare.start()
    try:
        _wait(lambda: psutil.Process(bare.pid).cmdline(), 10, "the bare child started")
        time.sleep(1)
        others = [p for p in psutil.Process().children() if p.pid != bare.pid]
        own = len(_pipes(os.getpid()) & _pipes(bare.pid) - set().union(*(_pipes(p.pid) for p in others)))
    finally:
        bare.kill()
        bare.join()
    server = start_server(tmp_path, ADMIN_TOKEN=ADMIN_TOKEN)
    try:
        [child] = _dispatchers(server)
        trackers = [p for p in psutil.Process(server.pid).children() if p.pid != child.pid]
        tracked = set().union(*(_pipes(p.pid) for p in trackers))  # the resource tracker's
        shared = (_pipes(server.pid) & _pipes(child.pid)) - tracked
        assert len(shared) == own, (shared, own)
    finally:
        server.stop()


def test_a_killed_dispatcher_process_is_restarted_and_sends_each_delivery_once(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there yet: every attempt fails and is kept for later
    server = start_server(tmp_path, ADMIN_TOKEN=ADMIN_TOKEN)
    receiver = None
    try:
        [child] = _dispatchers(server)
        _channel(server.url, {"url": f"http://127.0.0.1:{port}/hook"})
        _incidents(server.url, [f"m{i}" for i in range(20)])
        _wait(lambda: (rows := _log(server.url)) and len(rows) == 20
              and all(r["state"] == "pending" and r["attempts"] >= 1 for r in rows), 20, "first attempts")
        child.kill()
        child.wait(5)
        receiver = Receiver(always(200), port).start()
        [restarted] = _wait(lambda: [p for p in _dispatchers(server) if p.pid != child.pid], 10,
                            "a new dispatcher process")
        rows = _wait(lambda: (rows := _log(server.url)) and all(r["state"] == "delivered" for r in rows)
                     and rows, 40, "every delivery from the restarted dispatcher")
        time.sleep(1.5)
        got = collections.Counter(r.headers["x-chronoview-delivery"] for r in receiver.received)
        assert set(got) == {r["id"] for r in rows}
        assert len(got) == 20
        assert set(got.values()) == {1}
        assert server.process.poll() is None  # the server itself served on throughout
        server.stop()
        assert not restarted.is_running()  # a graceful stop takes the dispatcher with it
        assert "the dispatcher process exited" in server.log.read_text()
    finally:
        server.stop()
        if receiver is not None:
            receiver.stop()


def test_under_uvicorn_factory_the_dispatcher_stays_in_the_serving_process(tmp_path: Path) -> None:
    hook = Receiver(always(200)).start()
    server = start_server(tmp_path, asgi=True, ADMIN_TOKEN=ADMIN_TOKEN)
    try:
        assert _dispatchers(server) == []
        _channel(server.url, {"url": hook.url})
        _incidents(server.url, ["cpu"])
        hook.wait_for(1, 20)
    finally:
        server.stop()
        hook.stop()
