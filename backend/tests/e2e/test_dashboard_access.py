"""The dashboard for every user (SPEC §8, issue 20 item 5), in Chromium against a real server:
axe-core finds nothing serious or critical, a phone shows the chart on its first screen, the theme
choice survives a reload, a de-DE browser gets 24-hour times, and the Spanish page shows no English.

axe-core comes from the project's npm devDependencies (frontend/node_modules/axe-core) and is
evaluated in the page (the server's CSP allows no injected <script> tag; evaluation is not one).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import REPO
from tests.server import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

AXE = REPO / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
I18N = REPO / "frontend" / "src" / "lib" / "i18n.tsx"
AM_PM = re.compile(r"\b(AM|PM)\b")


def live_page(context: BrowserContext, server: ServerProcess, path: str = "/?metric=traffic&range=5m",
              ) -> Page:
    """A page that is live, holds points, and whose lazy panel (the distribution) has drawn."""
    page = context.new_page()
    page.goto(f"{server.url}{path}")
    expect(page.get_by_test_id("connection-badge")).to_have_attribute("data-state", "live", timeout=15_000)
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=\"point-count\"]').textContent) >= 4")
    expect(page.locator(".bar-panel svg")).to_have_count(1)
    return page


def axe_findings(page: Page) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page as it is now (WCAG 2 A/AA rules and
    best practices)."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} missing: run `npm ci` in frontend/ (axe-core is a devDependency)")
    page.evaluate(AXE.read_text())
    result = page.evaluate("""async () => {
      const r = await axe.run(document, {resultTypes: ['violations']});
      if (r.passes.length < 10) throw new Error('axe-core checked almost nothing');
      return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => n.target.join(' ') + ' :: ' + n.failureSummary)}));
    }""")
    return [v for v in result if v["impact"] in ("serious", "critical")]


def post_alerts(server: ServerProcess, metric: str, count: int) -> None:
    """A calm minute, then `count` spikes each far above everything before it: `count` alerts."""
    start = time.time() - 120
    calm = [{"metric": metric, "value": 100.0 + (i % 3), "ts": start + i} for i in range(30)]
    spikes = [{"metric": metric, "value": 10.0 ** (3 + 2 * i), "ts": start + 30 + i} for i in range(count)]
    answer = httpx.post(f"{server.url}/metrics", json=calm + spikes, timeout=10)
    answer.raise_for_status()
    assert sum(1 for point in answer.json()["results"] if point["alert"]) == count, answer.text


def test_axe_live_page_light_and_dark(context: BrowserContext, server: ServerProcess) -> None:
    """No serious or critical finding on `/`, in both themes, with an alert feed long enough to
    scroll; that scroll area takes focus; the charts are named; the export links sit inside a
    landmark."""
    post_alerts(server, "axe", 12)
    page = live_page(context, server, "/?metric=axe&range=15m")
    expect(page.get_by_test_id("alert-item")).to_have_count(12)
    assert page.evaluate("""() => { const feed = document.querySelector('[data-testid="alert-feed"]');
        return feed.scrollHeight > feed.clientHeight; }"""), "the alert feed should scroll for this check"
    assert axe_findings(page) == []
    page.get_by_test_id("theme-select").select_option("dark")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert axe_findings(page) == []

    feed = page.get_by_test_id("alert-feed")
    assert feed.get_attribute("tabindex") == "0"
    feed.focus()
    assert page.evaluate("() => document.activeElement.dataset.testid") == "alert-feed"
    # Every focusable chart has a name; the distribution is a named image, not a tab stop.
    charts = page.locator("svg.recharts-surface")
    expect(charts).to_have_count(2)
    for i in range(2):
        assert (charts.nth(i).get_attribute("aria-label") or "").strip()
    assert page.locator(".bar-panel svg.recharts-surface").get_attribute("tabindex") is None
    assert page.evaluate("""() => !!document.querySelector('[data-testid="export-csv"]')
        .closest('main, header, nav, aside, footer, section[aria-label], [role="region"]')""")
    page.close()


def test_axe_snapshot_page(context: BrowserContext, server: ServerProcess) -> None:
    page = live_page(context, server)
    page.get_by_test_id("snapshot-button").click()
    href = page.get_by_test_id("snapshot-link").get_attribute("href") or ""
    assert "/snapshot/" in href
    page.close()
    snapshot = context.new_page()
    snapshot.goto(href)
    expect(snapshot.get_by_test_id("snapshot-banner")).to_be_visible()
    expect(snapshot.locator(".bar-panel svg")).to_have_count(1)
    assert axe_findings(snapshot) == []
    snapshot.close()


def test_phone_shows_the_chart_on_the_first_screen(
    browser: Browser, server: ServerProcess, artifacts: Path,
) -> None:
    """At 390×844 the value and the whole line chart are inside the first screen, and a new-incident
    notice does not cover the value."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US",
                                  timezone_id="UTC", is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    try:
        page = live_page(context, server)
        chart = page.get_by_test_id("line-chart").locator("svg.recharts-surface")
        box = chart.bounding_box()
        assert box is not None
        assert box["y"] >= 0, f"line chart at {box}"
        assert box["y"] + box["height"] <= 844, f"line chart at {box}"
        assert box["width"] >= 300, f"line chart too narrow on a phone: {box}"
        assert page.evaluate("() => window.scrollY") == 0
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width} px wide on a 390 px phone"
        value = page.get_by_test_id("current-value").bounding_box()
        assert value is not None
        assert value["y"] + value["height"] <= 844

        # A spike far outside the band raises an alert, and with it the notice.
        spike = {"metric": "traffic", "value": 1e6, "ts": time.time()}
        httpx.post(f"{server.url}/metrics", json=spike, timeout=10).raise_for_status()
        notice = page.get_by_test_id("incident-notice")  # the spike opens an incident
        expect(notice).to_be_visible(timeout=10_000)
        toast = notice.bounding_box()
        value = page.get_by_test_id("current-value").bounding_box()
        assert toast is not None
        assert value is not None
        apart = toast["y"] >= value["y"] + value["height"] or value["y"] >= toast["y"] + toast["height"]
        assert apart, f"the notice {toast} covers the value {value}"
        page.screenshot(path=str(artifacts / "e2e-phone.png"))
    finally:
        context.close()


def test_theme_choice_survives_a_reload(context: BrowserContext, server: ServerProcess) -> None:
    """Light, dark and system: the choice is applied at once, remembered, and restored before the
    app's JS runs (public/theme.js)."""
    page = live_page(context, server)
    page.emulate_media(color_scheme="light")
    light = page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor")
    page.get_by_test_id("theme-select").select_option("dark")
    dark = page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor")
    assert dark != light, "choosing dark did not change the page's colours"
    page.reload()
    expect(page.get_by_test_id("theme-select")).to_have_value("dark")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor") == dark

    # System follows the OS; a light choice overrides a dark OS.
    page.get_by_test_id("theme-select").select_option("system")
    page.emulate_media(color_scheme="dark")
    assert page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor") == dark
    page.get_by_test_id("theme-select").select_option("light")
    # The script that applies the choice before the app loads is served (a 404 would go unseen).
    script = httpx.get(f"{server.url}/theme.js", timeout=10)
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    page.reload()
    expect(page.get_by_test_id("theme-select")).to_have_value("light")
    assert page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor") == light
    page.close()


def visible_times(page: Page) -> list[str]:
    """Every time the page shows: the footer's, the value card's, the x-axis ticks."""
    return page.evaluate("""() => [
      document.querySelector('[data-testid="last-ts"]').textContent,
      ...[...document.querySelectorAll('.stat-facts dd')].map((e) => e.textContent),
      ...[...document.querySelectorAll(
        '[data-testid="line-chart"] .recharts-xAxis .recharts-cartesian-axis-tick-value')]
        .map((e) => e.textContent),
    ]""")


@pytest.mark.parametrize(("locale", "twelve_hour"), [("de-DE", False), ("en-US", True)])
def test_times_follow_the_viewers_clock(
    browser: Browser, server: ServerProcess, locale: str, twelve_hour: bool,
) -> None:
    """A de-DE browser (English text: the app speaks English and Spanish) gets 24-hour times; an
    en-US one keeps AM/PM, so the check can tell the two apart."""
    context = browser.new_context(locale=locale, timezone_id="UTC",
                                  viewport={"width": 1280, "height": 1000})
    try:
        page = live_page(context, server)
        expect(page.get_by_test_id("language-select")).to_have_value("en")
        times = visible_times(page)
        assert len(times) >= 4, times
        with_am_pm = [text for text in times if AM_PM.search(text or "")]
        if twelve_hour:
            assert with_am_pm, times
        else:
            assert not with_am_pm, times
            assert any(re.search(r"\b\d{2}:\d{2}:\d{2}\b", text or "") for text in times), times
    finally:
        context.close()


def english_only_texts() -> list[str]:
    """The English strings whose Spanish differs, each as the longest literal run between its
    {placeholders} (read from the dictionaries in src/lib/i18n.tsx and i18n-es.ts)."""
    blocks = {}
    starts_ends = ((I18N, "en", "const en = {", "} as const;"),
                   (I18N.with_name("i18n-es.ts"), "es", "const es: Dictionary = {", "\n};"))
    for path, name, start, end in starts_ends:
        source = path.read_text()
        body = source[source.index(start) + len(start):]
        body = body[:body.index(end)]
        blocks[name] = dict(re.findall(r"^\s+(\w+): '((?:[^'\\]|\\.)*)',$", body, re.M))
    assert blocks["en"].keys() == blocks["es"].keys(), "the dictionaries' keys differ"
    texts = []
    for key, english in blocks["en"].items():
        if english == blocks["es"][key]:
            continue
        runs = [run.strip(" .:;,()") for run in re.split(r"\{\w+\}", english)]
        longest = max(runs, key=len)
        if len(longest) >= 4:
            texts.append(longest)
    assert len(texts) > 40, texts
    return texts


def test_spanish_page_has_no_english(browser: Browser, server: ServerProcess) -> None:
    """An es-ES browser gets the Spanish page with no English string in its visible text, its
    accessible names or its options; k is written "2,5σ" everywhere and never "2.5σ"."""
    english = english_only_texts()
    context = browser.new_context(locale="es-ES", timezone_id="UTC",
                                  viewport={"width": 1280, "height": 1000})
    try:
        page = live_page(context, server)
        expect(page.get_by_test_id("language-select")).to_have_value("es")
        shown = page.evaluate("""() => [
          document.body.innerText,
          ...[...document.querySelectorAll('[aria-label], [title]')]
            .map((e) => (e.getAttribute('aria-label') || '') + ' ' + (e.getAttribute('title') || '')),
          ...[...document.querySelectorAll('option, title')].map((e) => e.textContent),
        ].join('\\n')""")
        # Whole words: "Alert" is inside "Alerta", which is Spanish.
        found = sorted({text for text in english if re.search(rf"(?<!\w){re.escape(text)}(?!\w)", shown)})
        assert not found, f"English on the Spanish page: {found}"
        assert "2,5σ" in shown
        assert "2.5σ" not in shown
    finally:
        context.close()


def test_line_chart_readout_by_pointer_and_keyboard(context: BrowserContext, server: ServerProcess) -> None:
    """The line chart's readout (time, value, z, band) follows the pointer, and the arrow keys
    on the focused chart."""
    page = live_page(context, server)
    chart = page.get_by_test_id("line-chart").locator("svg.recharts-surface")
    box = chart.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] - 30, box["y"] + box["height"] / 2)
    readout = page.get_by_test_id("chart-readout")
    expect(readout).to_be_visible()
    expect(readout).to_contain_text("Value")
    page.mouse.move(0, 0)
    expect(readout).to_have_count(0)

    chart.focus()
    page.keyboard.press("ArrowRight")
    expect(readout).to_be_visible()
    first = readout.locator("time").get_attribute("datetime")
    page.keyboard.press("ArrowRight")
    expect(readout.locator("time")).not_to_have_attribute("datetime", first or "")
    page.close()
