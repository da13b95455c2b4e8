"""The repository's own nginx sample (deploy/nginx/chronoview.conf), run by Debian's nginx.

Only what must differ on a test machine is changed, by exact substitution (each must match once, so a
reworded sample fails loudly here instead of running something else): the two upstream addresses,
the listen addresses (free loopback ports) and the certificate paths. nginx runs unprivileged
parts in its own prefix, with its own temporary directories and an access log naming the upstream of
each request.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.services import free_port, make_self_signed_cert, unavailable, wait_for_port

SAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "chronoview.conf"


@dataclass
class Nginx:
    process: subprocess.Popen[bytes]
    http_port: int
    tls_port: int
    prefix: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.tls_port}"

    @property
    def access_log(self) -> Path:
        return self.prefix / "access.log"

    def requests(self, path: str) -> list[tuple[str, str]]:
        """(status, upstream port) of each logged request for this path, in order."""
        lines = [line.split() for line in self.access_log.read_text().splitlines()]
        return [(status, upstream.rsplit(":", 1)[-1]) for _, uri, status, upstream in lines if uri == path]


def _substitute(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise AssertionError(f"deploy/nginx/chronoview.conf no longer has exactly one {old!r}")
    return text.replace(old, new)


@contextlib.contextmanager
def nginx_sample(workdir: Path, backends: Sequence[int]) -> Iterator[Nginx]:
    """nginx with the sample's configuration in front of these backends (one or two loopback ports)."""
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None:
        unavailable("nginx is not installed (scripts/system-deps.sh installs it)")
        raise AssertionError  # unreachable: unavailable() skips or fails
    prefix = workdir / "nginx"
    (prefix / "temp").mkdir(parents=True)
    cert, key = make_self_signed_cert(prefix)
    http_port, tls_port = free_port(), free_port()
    site = SAMPLE.read_text()
    site = _substitute(site, "server 127.0.0.1:8001 ", f"server 127.0.0.1:{backends[0]} ")
    second = f"server 127.0.0.1:{backends[1]} " if len(backends) > 1 else "# (one backend) "
    site = _substitute(site, "server 127.0.0.1:8002 ", second)
    site = _substitute(site, "listen 80;", f"listen 127.0.0.1:{http_port};")
    site = _substitute(site, "listen 443 ssl;", f"listen 127.0.0.1:{tls_port} ssl;")
    site = _substitute(site, "/etc/ssl/chronoview/fullchain.pem", str(cert))
    site = _substitute(site, "/etc/ssl/chronoview/privkey.pem", str(key))
    (prefix / "chronoview.conf").write_text(site)
    temp = prefix / "temp"
    (prefix / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\nworker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} info;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        "  log_format upstream '$request_method $uri $status $upstream_addr';\n"
        f"  access_log {prefix / 'access.log'} upstream;\n"
        + "".join(f"  {kind}_temp_path {temp / kind};\n"
                  for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + f"  include {prefix / 'chronoview.conf'};\n"
        "}\n"
    )
    log = (prefix / "stderr.log").open("wb")
    process = subprocess.Popen(
        [binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log")],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(tls_port)
        yield Nginx(process, http_port, tls_port, prefix)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
