"""deploy/: the systemd unit and the compose file pass their own tools' checks.

(The nginx sample is run for real in test_proxy.py. The container image is not built here: there is
no image registry to pull its base images from.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.services import unavailable

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
CHRONOVIEW = Path(sys.executable).with_name("chronoview")


def test_systemd_analyze_accepts_the_unit(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        unavailable("systemd-analyze is not installed")
    assert CHRONOVIEW.exists()
    unit = (DEPLOY / "systemd" / "chronoview.service").read_text()
    assert unit.count("/opt/chronoview/.venv/bin/chronoview") == 2  # ExecStartPre and ExecStart
    (tmp_path / "chronoview.service").write_text(
        unit.replace("/opt/chronoview/.venv/bin/chronoview", str(CHRONOVIEW)))
    done = subprocess.run([tool, "verify", str(tmp_path / "chronoview.service")],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "chronoview.service" not in done.stderr, done.stderr  # no warning about the unit either
    lines = dict(line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#"))
    assert lines["ExecStartPre"].endswith("chronoview migrate")
    assert lines["KillMode"] == "mixed"  # SIGTERM reaches the main process once; it drains
    assert lines["Restart"] == "on-failure"
    assert lines["NoNewPrivileges"] == "yes"
    assert lines["ProtectSystem"] == "strict"


def test_docker_compose_accepts_the_compose_file() -> None:
    tool = shutil.which("docker-compose")
    if tool is None:
        unavailable("docker-compose is not installed (scripts/system-deps.sh installs it)")
    env = {**os.environ, "POSTGRES_PASSWORD": "pw", "SECRET_KEY": "k" * 32}
    done = subprocess.run([tool, "-f", str(DEPLOY / "compose.yaml"), "config"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(done.stdout)
    services = config["services"]
    assert set(services) == {"postgres", "redis", "migrate", "app1", "app2", "nginx"}
    for name in ("app1", "app2"):
        app = services[name]
        assert app["environment"]["REDIS_URL"].startswith("redis://redis:")
        assert app["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    nginx_volumes = " ".join(str(v) for v in services["nginx"]["volumes"])
    assert "chronoview.conf" in nginx_volumes
    missing = subprocess.run([tool, "-f", str(DEPLOY / "compose.yaml"), "config"], capture_output=True,
                             text=True, timeout=60, env={"PATH": os.environ["PATH"]})
    assert missing.returncode != 0  # no default secrets: it says what to set
    assert "POSTGRES_PASSWORD" in missing.stderr or "SECRET_KEY" in missing.stderr
