"""A throwaway Mosquitto broker (Debian `mosquitto`) on its own loopback port, config and
persistence folder, never the machine's shared broker on 1883; and a publisher that knows which
messages the broker accepted (PUBACK received)."""

from __future__ import annotations

import contextlib
import getpass
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from paho.mqtt.client import Client, MQTTv5
from paho.mqtt.enums import CallbackAPIVersion

from tests.services import free_port, unavailable, wait_for_port

PUBLISHER_INFLIGHT = 100


@dataclass
class Broker:
    folder: Path
    port: int
    max_inflight: int = 20
    process: subprocess.Popen[bytes] | None = None
    tls: tuple[Path, Path] | None = None  # certificate and key: a TLS listener
    users: dict[str, str] | None = None  # anonymous clients refused when set

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> Broker:
        config = self.folder / "mosquitto.conf"
        config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            f"allow_anonymous {'false' if self.users else 'true'}\n"
            f"user {getpass.getuser()}\n"
            "persistence true\n"
            f"persistence_location {self.folder}/\n"
            "autosave_interval 1\n"
            # A ChronoView that is down must find everything published meanwhile.
            "max_queued_messages 0\n"
            f"max_inflight_messages {self.max_inflight}\n"
            f"log_dest file {self.folder}/mosquitto.log\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
        )
        if self.tls is not None:
            with config.open("a") as extra:
                extra.write(f"certfile {self.tls[0]}\nkeyfile {self.tls[1]}\n")
        if self.users:
            passwords = self.folder / "passwords"
            passwords.touch()
            for user, password in self.users.items():
                subprocess.run(["mosquitto_passwd", "-b", str(passwords), user, password], check=True,
                               capture_output=True)
            with config.open("a") as extra:
                extra.write(f"password_file {passwords}\n")
        self.process = subprocess.Popen(["mosquitto", "-c", str(config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, 10)
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """SIGTERM: Mosquitto writes its persistence file before it exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(15)
        self.process = None


@contextlib.contextmanager
def running_broker(folder: Path, max_inflight: int = 20, tls: tuple[Path, Path] | None = None,
                   users: dict[str, str] | None = None) -> Iterator[Broker]:
    if shutil.which("mosquitto") is None:
        unavailable("the mosquitto broker is not installed (scripts/system-deps.sh)")
    folder.mkdir(parents=True, exist_ok=True)
    broker = Broker(folder, free_port(), max_inflight, tls=tls, users=users).start()
    try:
        yield broker
    finally:
        broker.stop(signal.SIGKILL)


def mosquitto_pub(broker: Broker, topic: str, message: str, qos: int = 1) -> None:
    """The Debian command-line publisher, exactly as a user would run it."""
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-q", str(qos),
                    "-t", topic, "-m", message], check=True, timeout=10)


class Publisher:
    """QoS-1 publisher in paho's thread; `accepted` holds the payloads the broker acknowledged.

    It keeps its session across broker restarts and resends what was not acknowledged, as a
    device would; `publish` never blocks on a broker that is away."""

    def __init__(self, broker: Broker, client_id: str = "test-publisher") -> None:
        self.accepted: list[str] = []
        self._lock = threading.Lock()
        self._by_mid: dict[int, str] = {}
        self._early: set[int] = set()  # acknowledged before publish() had recorded the mid
        self.client = Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTv5)
        self.client.max_queued_messages_set(0)
        self.client.max_inflight_messages_set(PUBLISHER_INFLIGHT)
        self.client.reconnect_delay_set(0.1, 1)
        self.client.on_publish = self._on_publish
        self.client.connect_async("127.0.0.1", broker.port, 10, clean_start=False)
        self.client.loop_start()

    def _on_publish(self, _client: Client, _userdata: object, mid: int, reason: object, _p: object) -> None:
        with self._lock:
            payload = self._by_mid.pop(mid, None)
            if payload is None:
                self._early.add(mid)
            else:
                self.accepted.append(payload)

    def publish(self, topic: str, payload: str) -> None:
        # Not under our lock: paho's thread may be inside on_publish, waiting for it.
        info = self.client.publish(topic, payload, qos=1)
        with self._lock:
            if info.mid in self._early:
                self._early.discard(info.mid)
                self.accepted.append(payload)
            else:
                self._by_mid[info.mid] = payload

    def wait_all_accepted(self, count: int, within: float = 60) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.accepted) >= count:
                    return
            time.sleep(0.05)
        raise TimeoutError(f"broker accepted {len(self.accepted)} of {count} messages")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
