"""The overview, the compare view and the time window end to end (SPEC §8, issue 19): the built front
end, served by a real server (simulating traffic and cpu), in Chromium.

Metric state: until incident states (SPEC §10 `"state"`) reach the messages, a tile reads a point's
`alert: true` as firing; the test below makes a metric fire with a spike, which works either way.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.helpers import post, to_ms
from tests.server import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]



def query_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)



def tile(page: Page, metric: str) -> Any:
    return page.locator(f'[data-testid="overview-tile"][data-metric="{metric}"]')


def test_overview_lists_every_metric_with_value_and_state_firing_first_and_focuses_on_click(
    context: BrowserContext, server: ServerProcess
) -> None:
    now = time.time()
    post(server, [{"metric": "ov.alpha", "value": 1.5, "ts": now},
                  {"metric": "ov.beta", "value": 2.5, "ts": now}])
    page = context.new_page()
    page.goto(f"{server.url}/?view=overview")
    expect(page.get_by_test_id("connection-badge")).to_have_attribute("data-state", "live")
    for metric, value in (("ov.alpha", "1.5"), ("ov.beta", "2.5")):
        expect(tile(page, metric).get_by_test_id("tile-value")).to_have_text(value)
        expect(tile(page, metric).get_by_test_id("tile-state")).to_have_text("normal")
    for metric in ("traffic", "cpu"):  # the simulated ones, streaming
        expect(tile(page, metric).get_by_test_id("tile-value")).to_have_text(re.compile(r"\d"))
        expect(tile(page, metric)).to_have_attribute("data-state", re.compile("normal|pending|firing"))

    # A spike after a flat-ish baseline: the metric fires and its tile moves to the front.
    base = time.time() - 30
    post(server, [{"metric": "ov.zz.fire", "value": 10 + (i % 2) * 0.1, "ts": base + i} for i in range(20)])
    post(server, [{"metric": "ov.zz.fire", "value": 500.0, "ts": time.time()}])
    firing = tile(page, "ov.zz.fire")
    expect(firing).to_have_attribute("data-state", "firing", timeout=10_000)
    expect(firing.get_by_test_id("tile-state")).to_have_text("firing")
    expect(firing.get_by_test_id("tile-value")).to_have_text("500")
    # Among the firing ones (the simulated metrics fire now and then too), ahead of all the others.
    page.wait_for_function("""() => {
        const tiles = [...document.querySelectorAll('[data-testid="overview-tile"]')];
        const at = tiles.findIndex((tile) => tile.dataset.metric === 'ov.zz.fire');
        return at >= 0 && tiles.slice(0, at).every((tile) => tile.dataset.state === 'firing');
    }""", timeout=5_000)

    tile(page, "ov.alpha").locator(".tile-focus").click()
    expect(page).to_have_url(re.compile(r"[?&]metric=ov\.alpha(&|$)"))
    assert "view" not in query_of(page)
    expect(page.get_by_test_id("metric-select")).to_have_value("ov.alpha")
    expect(page.get_by_test_id("current-value")).to_have_text("1.5")


def test_500_metrics_render_page_by_page_and_filter_by_name(
    context: BrowserContext, server: ServerProcess
) -> None:
    now = time.time()
    post(server, [{"metric": f"bulk.{i:03d}", "value": float(i), "ts": now} for i in range(500)])
    page = context.new_page()
    page.goto(f"{server.url}/?view=overview")
    count = page.get_by_test_id("overview-count")
    expect(count).to_have_attribute("data-count", re.compile(r"^(50[2-9]|5[1-9]\d)$"))  # 500 + the others
    expect(page.get_by_test_id("overview-tile")).to_have_count(60)  # a page, not 500 cards
    expect(page.get_by_test_id("overview-page")).to_contain_text("of 9")

    page.get_by_test_id("overview-filter").fill("bulk.04")
    expect(count).to_have_attribute("data-count", "10")
    tiles = page.get_by_test_id("overview-tile")
    expect(tiles).to_have_count(10)
    names = tiles.evaluate_all("els => els.map(e => e.dataset.metric)")
    assert names == [f"bulk.{i:03d}" for i in range(40, 50)]
    expect(tile(page, "bulk.047").get_by_test_id("tile-value")).to_have_text("47")
    expect(page.get_by_test_id("overview-next")).to_have_count(0)


def test_two_metrics_on_one_chart_stream_share_a_tooltip_and_reopen_from_url_and_snapshot(
    context: BrowserContext, server: ServerProcess
) -> None:
    page = context.new_page()
    page.goto(f"{server.url}/?view=overview")
    for metric in ("traffic", "cpu"):  # other tests may have added hundreds of metrics: filter
        page.get_by_test_id("overview-filter").fill(metric)
        tile(page, metric).get_by_test_id("tile-pick").check()
    page.get_by_test_id("compare-picked").click()
    expect(page).to_have_url(re.compile(r"view=compare&metrics=traffic,cpu"))
    rows = page.get_by_test_id("legend-row")
    expect(rows).to_have_count(2)
    assert rows.evaluate_all("els => els.map(e => e.dataset.metric)") == ["traffic", "cpu"]
    expect(page.get_by_test_id("compare-chart")).to_have_count(1)  # overlaid on one chart
    for row in (rows.nth(0), rows.nth(1)):
        expect(row.get_by_test_id("legend-last")).to_have_text(re.compile(r"\d"))
        expect(row.get_by_test_id("legend-min")).to_have_text(re.compile(r"\d"))
        expect(row.get_by_test_id("legend-max")).to_have_text(re.compile(r"\d"))

    # Both keep streaming: each one's point count grows.
    before = [int(r.get_attribute("data-count") or 0) for r in (rows.nth(0), rows.nth(1))]
    for i, row in enumerate((rows.nth(0), rows.nth(1))):
        page.wait_for_function("([el, n]) => Number(el.dataset.count) > n + 3",
                               arg=[row.element_handle(), before[i]])

    # One tooltip names both metrics.
    box = page.get_by_test_id("compare-chart").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] / 2)
    tooltip = page.get_by_test_id("compare-tooltip")
    expect(tooltip).to_be_visible()
    expect(tooltip.locator(".compare-tooltip-row")).to_have_count(2)
    expect(tooltip.locator('[data-metric="traffic"]')).to_contain_text(re.compile(r"traffic: \d"))
    expect(tooltip.locator('[data-metric="cpu"]')).to_contain_text(re.compile(r"cpu: \d"))

    page.get_by_test_id("compare-layout").select_option("stacked")
    expect(page).to_have_url(re.compile(r"layout=stacked"))
    expect(page.get_by_test_id("compare-chart")).to_have_count(2)

    # The URL alone reproduces the view.
    again = context.new_page()
    again.goto(page.url)
    expect(again.get_by_test_id("compare-chart")).to_have_count(2)
    expect(again.get_by_test_id("legend-row")).to_have_count(2)
    expect(again.get_by_test_id("compare-layout")).to_have_value("stacked")
    again.close()

    # So does a snapshot of it: the layout lives in the snapshot's state.
    page.get_by_test_id("snapshot-button").click()
    link = page.get_by_test_id("snapshot-link")
    expect(link).to_be_visible()
    href = link.get_attribute("href") or ""
    snapshot_id = href.rsplit("/", 1)[-1]
    state = httpx.get(f"{server.url}/snapshots/{snapshot_id}", timeout=10).json()["state"]
    assert state["layout"]["view"] == "compare"
    assert state["layout"]["metrics"] == ["traffic", "cpu"]
    assert state["layout"]["mode"] == "stacked"
    shared = context.new_page()
    shared.goto(href)
    expect(shared.get_by_test_id("snapshot-banner")).to_be_visible()
    expect(shared.get_by_test_id("compare-chart")).to_have_count(2)
    shared_rows = shared.get_by_test_id("legend-row")
    expect(shared_rows).to_have_count(2)
    assert shared_rows.evaluate_all("els => els.map(e => e.dataset.metric)") == ["traffic", "cpu"]
    expect(shared_rows.nth(0)).to_have_attribute("data-count", re.compile(r"^[1-9]"))


def test_drag_zoom_writes_the_window_and_asks_the_series_api_for_it_and_reset_returns(
    context: BrowserContext, server: ServerProcess
) -> None:
    page = context.new_page()
    page.goto(f"{server.url}/?view=compare&metrics=traffic&range=5m")
    row = page.get_by_test_id("legend-row")
    page.wait_for_function("el => Number(el.dataset.count) >= 20", arg=row.element_handle())
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "/series" in request.url else None)

    surface = page.locator('[data-testid="compare-chart"] .recharts-surface').first
    box = surface.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.75, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.85, y, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.95, y, steps=5)
    page.mouse.up()

    expect(page).to_have_url(re.compile(r"[?&]from=.*[?&]?to="))
    query = query_of(page)
    start, end = to_ms(query["from"][0]), to_ms(query["to"][0])
    assert 0 < end - start < 5 * 60_000 * 0.4  # about a fifth of the 5 minutes on screen
    expect(page.get_by_test_id("resume-live")).to_be_visible()
    expect(page.get_by_test_id("compare-chart")).to_have_attribute("data-from", str(int(start)))
    expect(page.get_by_test_id("compare-chart")).to_have_attribute("data-to", str(int(end)))
    windows = [parse_qs(urlsplit(u).query) for u in asked]
    assert any(w.get("from") == query["from"] and w.get("to") == query["to"] for w in windows), asked
    assert not any("hours" in w for w in windows)  # zoomed: only the window was asked for

    # Pan by keys: a quarter of the window earlier, and the series API is asked for that window.
    shift = (end - start) / 4
    with page.expect_request(lambda r: "/series" in r.url and "from" in parse_qs(urlsplit(r.url).query)
                             and to_ms(parse_qs(urlsplit(r.url).query)["from"][0]) < start) as panned_request:
        page.get_by_test_id("compare-chart").press("ArrowLeft")
    panned = query_of(page)
    assert abs(to_ms(panned["from"][0]) - (start - shift)) <= 1
    assert abs(to_ms(panned["to"][0]) - (end - shift)) <= 1
    asked_window = parse_qs(urlsplit(panned_request.value.url).query)
    assert (asked_window["from"], asked_window["to"]) == (panned["from"], panned["to"])

    page.get_by_test_id("compare-chart").dblclick()
    expect(page).not_to_have_url(re.compile(r"[?&]from="))
    assert query_of(page)["range"] == ["5m"]
    expect(page.get_by_test_id("resume-live")).to_have_count(0)
    expect(page.get_by_test_id("range-select")).to_have_value("5m")


def test_a_custom_range_shows_exactly_its_points(context: BrowserContext, server: ServerProcess) -> None:
    base = int(time.time()) - 7200  # two hours ago, on whole seconds
    post(server, [{"metric": "ov.custom", "value": float(i), "ts": base + 10 * i} for i in range(30)])
    page = context.new_page()
    page.goto(f"{server.url}/?view=compare&metrics=ov.custom&range=5m")
    expect(page.get_by_test_id("legend-row")).to_have_attribute("data-count", "0")

    def local(epoch: int) -> str:  # the context's zone is UTC
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S")

    page.get_by_test_id("time-from").fill(local(base + 45))  # between points 4 and 5
    page.get_by_test_id("time-to").fill(local(base + 145))  # between points 14 and 15
    page.get_by_test_id("time-apply").click()
    expect(page).to_have_url(re.compile(r"[?&]from="))
    query = query_of(page)
    assert to_ms(query["from"][0]) == (base + 45) * 1000
    assert to_ms(query["to"][0]) == (base + 145) * 1000
    row = page.get_by_test_id("legend-row")
    expect(row).to_have_attribute("data-count", "10")  # points 5..14, nothing else
    expect(row.get_by_test_id("legend-min")).to_have_text("5")
    expect(row.get_by_test_id("legend-max")).to_have_text("14")
    expect(row.get_by_test_id("legend-last")).to_have_text("14")
    expect(page.get_by_test_id("range-select")).to_have_value("custom")
    expect(page.get_by_test_id("compare-chart")).to_have_attribute("data-rows", "10")

    # One click back to following live: the preset again, and points stream in once more.
    page.get_by_test_id("resume-live").click()
    expect(page).not_to_have_url(re.compile(r"[?&](from|to)="))
    expect(page.get_by_test_id("range-select")).to_have_value("5m")
    expect(page.get_by_test_id("connection-badge")).to_have_attribute("data-state", "live")
    post(server, [{"metric": "ov.custom", "value": 77.0, "ts": time.time()}])
    expect(row.get_by_test_id("legend-last")).to_have_text("77")
