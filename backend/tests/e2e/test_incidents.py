"""Incidents and rules in the browser (issue 15): the header indicator and the notice for a metric
that is not on screen, and the rule editor, whose saved rule the next points follow."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from tests.server import ServerProcess, running_server


@pytest.fixture
def quiet_server(dist_built: Path, tmp_path: Path) -> Iterator[ServerProcess]:
    """No simulator: every point is one the test posts."""
    with running_server(tmp_path, SIMULATED_METRICS="") as process:
        yield process


def post(server: ServerProcess, metric: str, values: list[float], start: float) -> list[dict[str, Any]]:
    body = [{"metric": metric, "value": v, "ts": start + i * 0.5} for i, v in enumerate(values)]
    response = httpx.post(f"{server.url}/metrics", json=body, timeout=10)
    assert response.status_code == 201, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


BASELINE = [20.0, 21.0, 20.0, 21.0, 20.0, 21.0]


def test_an_incident_off_screen_raises_the_indicator_and_a_notice(
    context: BrowserContext, quiet_server: ServerProcess,
) -> None:
    now = time.time()
    post(quiet_server, "traffic", BASELINE, now - 10)
    post(quiet_server, "temp.kitchen", BASELINE, now - 10)
    page = context.new_page()
    page.goto(f"{quiet_server.url}/?metric=traffic&range=5m")
    expect(page.get_by_test_id("connection-badge")).to_have_attribute("data-state", "live")
    expect(page.get_by_test_id("firing-indicator")).to_have_attribute("data-count", "0")
    time.sleep(1.0)  # the incident stream is open once the page has fetched what is firing

    post(quiet_server, "temp.kitchen", [500.0], time.time())
    expect(page.get_by_test_id("firing-indicator")).to_have_attribute("data-count", "1")
    notice = page.get_by_test_id("incident-notice")
    expect(notice).to_have_attribute("data-metric", "temp.kitchen")
    expect(notice).to_contain_text("temp.kitchen")
    post(quiet_server, "temp.kitchen", [900.0], time.time() + 0.5)  # the same incident: no new notice
    expect(page.get_by_test_id("incident-notice")).to_have_count(1)

    page.get_by_test_id("firing-indicator").click()
    page.get_by_test_id("firing-list").get_by_role("button").first.click()
    expect(page).to_have_url(re.compile(r"[?&]metric=temp\.kitchen(&|$)"))
    expect(page.get_by_test_id("incident-state")).to_have_attribute("data-state", "firing")


def test_the_rule_editor_validates_saves_and_the_next_points_follow(
    context: BrowserContext, quiet_server: ServerProcess,
) -> None:
    now = time.time()
    post(quiet_server, "door", BASELINE, now - 10)
    page = context.new_page()
    page.goto(f"{quiet_server.url}/?metric=door&range=5m")
    expect(page.get_by_test_id("connection-badge")).to_have_attribute("data-state", "live")
    editor = page.get_by_test_id("rule-editor")
    expect(editor.get_by_test_id("rule-source")).to_contain_text("defaults")

    editor.locator('input[name="sigma"]').fill("0")
    editor.get_by_test_id("rule-save").click()
    expect(editor.get_by_test_id("rule-error-sigma")).to_contain_text("from 0 to 1000")
    assert httpx.get(f"{quiet_server.url}/alert-rules").json() == []  # nothing was saved

    editor.locator('input[name="sigma"]').fill("3")
    editor.locator('input[name="for_points"]').fill("2")
    editor.get_by_test_id("rule-save").click()
    expect(editor.get_by_test_id("rule-saved")).to_be_visible()
    expect(editor.get_by_test_id("rule-source")).to_contain_text("rule door")
    [rule] = httpx.get(f"{quiet_server.url}/alert-rules").json()
    assert (rule["match"], rule["sigma"], rule["for_points"]) == ("door", 3.0, 2)

    # The next point follows the rule: one alerting point is pending (1 of 2), not an incident.
    [spike] = post(quiet_server, "door", [500.0], time.time())
    assert (spike["alert"], spike["state"], spike["pending"]) == (True, "pending", 1)
    expect(page.get_by_test_id("incident-state")).to_have_text("Pending 1 of 2")
    expect(page.get_by_test_id("firing-indicator")).to_have_attribute("data-count", "0")

    editor.get_by_role("button", name="Back to defaults").click()
    expect(editor.get_by_test_id("rule-source")).to_contain_text("defaults")
    assert httpx.get(f"{quiet_server.url}/alert-rules").json() == []
