"""What several end-to-end tests do beside the browser: post points, read a URL's query and times."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from tests.server import ServerProcess


def post(server: ServerProcess, points: list[dict[str, Any]]) -> None:
    answer = httpx.post(f"{server.url}/metrics", json=points, headers={"Prefer": "return=minimal"},
                        timeout=30)
    assert answer.status_code == 201, answer.text


def to_ms(text: str) -> float:
    """An ISO-8601 time (with Z) as epoch milliseconds."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000
