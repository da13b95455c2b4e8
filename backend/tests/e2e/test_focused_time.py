"""Time on the focused single-metric chart end to end (SPEC §8, issue 19 item 3): drag to zoom, pan,
double-click to reset, a custom from/to; a fixed window stops live following, and the series API and
the alert feed are asked for exactly that window. The built front end, a real server (simulating
traffic and cpu), Chromium.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.helpers import post, to_ms
from tests.server import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]



def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)



def drag(page: Page, start: float, end: float) -> None:
    """Drag across the line chart from `start` to `end` (fractions of its width)."""
    box = page.locator('[data-testid="line-chart"] .recharts-surface').first.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * start, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * (start + end) / 2, y, steps=5)
    page.mouse.move(box["x"] + box["width"] * end, y, steps=5)
    page.mouse.up()


def test_drag_zoom_pauses_live_asks_series_and_alerts_for_the_window_and_reset_returns(
    context: BrowserContext, server: ServerProcess
) -> None:
    page = context.new_page()
    page.goto(f"{server.url}/?metric=traffic&range=5m")
    chart = page.get_by_test_id("line-chart")
    expect(page.get_by_test_id("connection-badge")).to_have_attribute("data-state", "live")
    page.wait_for_function("el => Number(el.dataset.points) >= 20", arg=chart.element_handle())
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/series" in r.url or "/alerts" in r.url else None)

    def windowed(path: str) -> Any:
        return lambda r: path in r.url and "from" in query_of(r.url)

    with page.expect_request(windowed("/series")) as series_request, \
            page.expect_request(windowed("/alerts")) as alerts_request:
        drag(page, 0.75, 0.95)
    expect(page).to_have_url(re.compile(r"[?&]from=.*[?&]to="))
    query = query_of(page.url)
    assert (query["metric"], query["range"]) == (["traffic"], ["5m"])
    start, end = to_ms(query["from"][0]), to_ms(query["to"][0])
    assert 0 < end - start < 5 * 60_000 * 0.4  # about a fifth of the 5 minutes on screen
    expect(chart).to_have_attribute("data-from", str(int(start)))
    expect(chart).to_have_attribute("data-to", str(int(end)))

    # The series API and the alert feed were asked for exactly that window, not for hours.
    for request in (series_request.value, alerts_request.value):
        asked_window = query_of(request.url)
        assert (asked_window["from"], asked_window["to"]) == (query["from"], query["to"]), request.url
    assert not any("hours" in query_of(u) for u in asked), asked

    # Live following stops: paused, the window stays put and new points do not enter it.
    expect(page.get_by_test_id("paused-badge")).to_be_visible()
    expect(page.get_by_test_id("connection-badge")).to_have_attribute("data-state", "paused")
    expect(page.get_by_test_id("range-select")).to_have_value("custom")
    expect(page.locator("#single-stat-title")).to_contain_text("Last value in window")
    held = chart.get_attribute("data-points")
    page.wait_for_timeout(2500)  # the simulator adds ~10 traffic points meanwhile
    expect(chart).to_have_attribute("data-points", held or "")
    expect(chart).to_have_attribute("data-to", str(int(end)))

    # Pan by keys on the chart: a quarter of the window earlier, asked for anew.
    shift = (end - start) / 4
    with page.expect_request(lambda r: "/series" in r.url and "from" in query_of(r.url)
                             and to_ms(query_of(r.url)["from"][0]) < start) as panned_request:
        chart.press("ArrowLeft")
    panned = query_of(page.url)
    assert abs(to_ms(panned["from"][0]) - (start - shift)) <= 1
    assert abs(to_ms(panned["to"][0]) - (end - shift)) <= 1
    asked_window = query_of(panned_request.value.url)
    assert (asked_window["from"], asked_window["to"]) == (panned["from"], panned["to"])

    # Double-click: back to the preset, following live again.
    chart.dblclick()
    expect(page).not_to_have_url(re.compile(r"[?&](from|to)="))
    assert query_of(page.url)["range"] == ["5m"]
    expect(page.get_by_test_id("paused-badge")).to_have_count(0)
    expect(page.get_by_test_id("range-select")).to_have_value("5m")
    expect(page.get_by_test_id("connection-badge")).to_have_attribute("data-state", "live")
    expect(page.locator("#single-stat-title")).to_contain_text("Current value")
    following = int(chart.get_attribute("data-points") or 0)
    page.wait_for_function("([el, n]) => Number(el.dataset.points) > n + 3",
                           arg=[chart.element_handle(), following])


def test_a_custom_range_shows_exactly_its_points_and_alerts_and_resume_live_follows_again(
    context: BrowserContext, server: ServerProcess
) -> None:
    base = int(time.time()) - 7200  # two hours ago, on whole seconds
    values = [10 + (i % 2) * 0.1 for i in range(30)]
    values[12] = values[25] = 500.0  # one spike inside the window picked below, one after it
    post(server, [{"metric": "fc.custom", "value": v, "ts": base + 10 * i} for i, v in enumerate(values)])
    page = context.new_page()
    page.goto(f"{server.url}/?metric=fc.custom&range=5m")
    expect(page.get_by_test_id("connection-badge")).to_have_attribute("data-state", "live")
    expect(page.get_by_test_id("point-count")).to_have_text("0")
    expect(page.get_by_test_id("alert-feed")).to_have_attribute("data-count", "0")

    def local(epoch: int) -> str:  # the context's zone is UTC
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S")

    page.get_by_test_id("time-from").fill(local(base + 45))  # between points 4 and 5
    page.get_by_test_id("time-to").fill(local(base + 145))  # between points 14 and 15
    with page.expect_request(lambda r: "/alerts" in r.url and "from" in query_of(r.url)) as alerts_request:
        page.get_by_test_id("time-apply").click()
    expect(page).to_have_url(re.compile(r"[?&]from="))
    query = query_of(page.url)
    assert to_ms(query["from"][0]) == (base + 45) * 1000
    assert to_ms(query["to"][0]) == (base + 145) * 1000
    asked = query_of(alerts_request.value.url)
    assert (asked["from"], asked["to"], asked["metric"]) == (query["from"], query["to"], ["fc.custom"])

    expect(page.get_by_test_id("point-count")).to_have_text("10")  # points 5..14, nothing else
    expect(page.get_by_test_id("line-chart")).to_have_attribute("data-points", "10")
    expect(page.get_by_test_id("current-value")).to_have_text("10")  # point 14
    expect(page.get_by_test_id("alert-feed")).to_have_attribute("data-count", "1")  # the spike at 12
    expect(page.get_by_test_id("alert-item")).to_contain_text("500")
    expect(page.get_by_test_id("paused-badge")).to_be_visible()
    expect(page.get_by_test_id("range-select")).to_have_value("custom")

    # One click back to following live: the preset again, and points stream in once more.
    page.get_by_test_id("resume-live").click()
    expect(page).not_to_have_url(re.compile(r"[?&](from|to)="))
    expect(page.get_by_test_id("range-select")).to_have_value("5m")
    expect(page.get_by_test_id("paused-badge")).to_have_count(0)
    expect(page.get_by_test_id("connection-badge")).to_have_attribute("data-state", "live")
    expect(page.get_by_test_id("point-count")).to_have_text("0")
    post(server, [{"metric": "fc.custom", "value": 77.0, "ts": time.time()}])
    expect(page.get_by_test_id("current-value")).to_have_text("77")
    expect(page.get_by_test_id("point-count")).to_have_text("1")
