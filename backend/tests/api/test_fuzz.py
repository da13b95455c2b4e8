"""Schemathesis against the app's own OpenAPI schema: no 5xx, answers match the schema.

Runs the schemathesis CLI against a real server process (its pytest plugin does not load under
pytest 9), with a fixed seed and a bounded number of examples per operation.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.server import running_server

CONFIG = Path(__file__).with_name("schemathesis.toml")


def test_api_conforms_to_its_own_schema(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        result = subprocess.run(
            [str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(CONFIG),
             "run", f"{server.url}/openapi.json",
             "--max-examples", "25", "--seed", "1", "--no-color", "--request-timeout", "20"],
            capture_output=True, text=True, timeout=400, check=False, cwd=tmp_path,
        )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "API Operations" in result.stdout
