"""The dashboard end to end (SPEC §8): the built front end, served by a real server, in Chromium.

What the page holds is read three ways: the test ids (point-count, last-ts, current-value, …),
the URL, and the live series buffer itself. The buffer has no test id; `BUFFER_JS` finds it as
the `buffer` prop of the line chart's React component (walking up from the chart's DOM node) and
calls its read-only `toArray()`. That touches React internals, not the app: if a React upgrade
renames them, the helper fails with a message saying so.
"""

from __future__ import annotations

import csv
import io
import re
import signal
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import SIM_ENV
from tests.server import ServerProcess, start_server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

BUFFER_JS = """
() => {
  const el = document.querySelector('[data-testid="line-chart"]');
  if (!el) return {error: 'no line-chart element'};
  const key = Object.keys(el).find((k) => k.startsWith('__reactFiber$'));
  if (!key) return {error: 'no React fiber on the line-chart element (React internals changed?)'};
  for (let f = el[key]; f; f = f.return) {
    const b = f.memoizedProps && f.memoizedProps.buffer;
    if (b && typeof b.toArray === 'function') {
      return {points: b.toArray().map((p) => ({ts: p.ts, tsRaw: p.tsRaw ?? null, value: p.value}))};
    }
  }
  return {error: 'no component above the line chart has a buffer prop'};
}
"""

# What the footer and the stat show, read in one task so they belong to the same render.
FOOTER_JS = """
() => ({
  count: Number(document.querySelector('[data-testid="point-count"]').textContent),
  lastTs: document.querySelector('[data-testid="last-ts"]').getAttribute('data-ts') || '',
  value: document.querySelector('[data-testid="current-value"]').textContent,
  badge: document.querySelector('[data-testid="connection-badge"]').getAttribute('data-state'),
})
"""

# Every data-state the badge takes from now on, with the browser's clock (the same machine's).
BADGE_RECORDER_JS = """
() => {
  window.__cvBadge = [];
  const note = () => {
    const el = document.querySelector('[data-testid="connection-badge"]');
    const state = el && el.getAttribute('data-state');
    const seen = window.__cvBadge;
    if (state && (!seen.length || seen[seen.length - 1][1] !== state)) seen.push([Date.now(), state]);
  };
  note();
  new MutationObserver(note).observe(document.body,
    {subtree: true, childList: true, attributes: true, attributeFilter: ['data-state']});
}
"""

UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


# ---------------------------------------------------------------- helpers


def ms(ts: str) -> int:
    """An RFC 3339 `…Z` timestamp as epoch milliseconds (the page's `ts`)."""
    moment = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return round(moment.timestamp() * 1000)


def iso(ms_value: int) -> str:
    moment = datetime.fromtimestamp(ms_value / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms_value % 1000:03d}Z"


def en_number(value: float) -> str:
    """What `fmt.number` shows in en-US for values between 1 and 10,000 (the simulated ones)."""
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def page_buffer(page: Page) -> list[dict[str, Any]]:
    found = page.evaluate(BUFFER_JS)
    assert "points" in found, f"cannot read the page's series buffer: {found.get('error')}"
    return list(found["points"])


def footer(page: Page) -> dict[str, Any]:
    return dict(page.evaluate(FOOTER_JS))


def stored(server: ServerProcess, metric: str, **params: Any) -> dict[int, float]:
    """Every stored point of the metric in the span, by epoch ms (never downsampled here)."""
    if "from" not in params:
        params.setdefault("hours", 1)
    answer = httpx.get(f"{server.url}/metrics/{metric}/series", params={**params, "max_points": 10_000},
                       timeout=10)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["downsampled"] is False, "the comparison needs every stored point"
    return {ms(point["ts"]): point["value"] for point in body["points"]}


def wait_until(page: Page, script: str, arg: Any = None, timeout: float = 15_000) -> None:
    page.wait_for_function(script, arg=arg, timeout=timeout)


def open_dashboard(context: BrowserContext, server: ServerProcess, metric: str, range_: str) -> Page:
    """The live dashboard on a metric and range, once it is live and holds a few points."""
    page = context.new_page()
    page.goto(f"{server.url}/?metric={metric}&range={range_}")
    expect(page.get_by_test_id("connection-badge")).to_have_attribute("data-state", "live", timeout=15_000)
    wait_for_count(page, 4)
    return page


def wait_for_count(page: Page, least: int, timeout: float = 15_000) -> None:
    wait_until(
        page,
        "(least) => Number(document.querySelector('[data-testid=\"point-count\"]').textContent) >= least",
        arg=least,
        timeout=timeout,
    )


def wait_for_newer(page: Page, than: str, more_points: int = 0, timeout: float = 15_000) -> None:
    """Until last-ts is newer than `than` (RFC 3339) and the count grew by `more_points`."""
    start = footer(page)["count"]
    wait_until(
        page,
        """([than, least]) => {
          const ts = document.querySelector('[data-testid="last-ts"]').getAttribute('data-ts');
          const n = Number(document.querySelector('[data-testid="point-count"]').textContent);
          return ts && Date.parse(ts) > Date.parse(than) && n >= least;
        }""",
        arg=[than, start + more_points],
        timeout=timeout,
    )


# ---------------------------------------------------------------- tests


def test_chart_grows_live(context: BrowserContext, server: ServerProcess, artifacts: Path) -> None:
    """Points stream in: the count grows, last-ts advances, the line is drawn, the stat is the
    newest stored value, and the badge says live."""
    page = open_dashboard(context, server, "traffic", "5m")
    expect(page).to_have_url(re.compile(r"[?&]metric=traffic(&|$)"))
    before = footer(page)

    wait_for_newer(page, before["lastTs"], more_points=8)
    after = footer(page)
    assert after["count"] >= before["count"] + 8, (before, after)
    assert ms(after["lastTs"]) > ms(before["lastTs"]), (before, after)
    # 0.25 s apart: 8 more points are at least ~1.5 s newer.
    assert ms(after["lastTs"]) - ms(before["lastTs"]) >= 1500, (before, after)
    assert after["badge"] == "live"
    expect(page.get_by_test_id("connection-badge")).to_have_text(re.compile("live", re.I))

    # The stat and last-ts are the newest point the server stored, not something made up.
    points = stored(server, "traffic")
    assert ms(after["lastTs"]) in points, "last-ts is not a stored traffic point"
    assert after["value"] == en_number(points[ms(after["lastTs"])]), (after, points[ms(after["lastTs"])])

    # The line is really drawn: one SVG path with a vertex per (drawn) point.
    frame = page.get_by_test_id("line-chart")
    assert int(frame.get_attribute("data-points") or 0) >= 8
    curve = frame.locator('path[data-layer="line"]')
    expect(curve).to_have_count(1)
    path = curve.get_attribute("d") or ""
    assert path.count("L") >= 8, f"the line has too few vertices: {path[:200]}"
    # Once points carry a baseline, the distribution marks both thresholds μ ± kσ.
    thresholds = page.locator('[data-layer="thresholds"] line')
    expect(thresholds).to_have_count(2, timeout=10_000)
    expect(page.locator('[data-layer="thresholds"] text')).to_have_text(
        [re.compile("^−.+σ$"), re.compile(r"^\+.+σ$")])

    page.screenshot(path=str(artifacts / "e2e-dashboard.png"), full_page=True)
    page.close()


def test_switching_metric_updates_url_and_chart(context: BrowserContext, server: ServerProcess) -> None:
    """Choosing cpu puts it in the URL and replaces the series: every point in the page is a
    stored cpu point with cpu's value, every stored cpu point up to the newest shown is there
    (history and live stream meet without a hole), and back goes back to traffic."""
    page = open_dashboard(context, server, "traffic", "5m")
    traffic_last = footer(page)["lastTs"]
    switched_at = iso(round(time.time() * 1000))

    page.get_by_test_id("metric-select").select_option("cpu")
    expect(page).to_have_url(re.compile(r"[?&]metric=cpu(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]range=5m(&|$)"))
    expect(page.get_by_test_id("metric-select")).to_have_value("cpu")
    expect(page.get_by_test_id("single-stat")).to_contain_text("cpu")
    expect(page.get_by_test_id("connection-badge")).to_have_attribute("data-state", "live")
    # Live cpu points after the switch, not only its history.
    wait_for_newer(page, switched_at, more_points=4)

    shown = footer(page)
    buffer = page_buffer(page)
    cpu = stored(server, "cpu")
    traffic = stored(server, "traffic")
    assert buffer, "the chart holds no point after the switch"
    assert shown["lastTs"] in {p["tsRaw"] for p in buffer}, "last-ts is not a point of the chart's buffer"
    assert ms(shown["lastTs"]) != ms(traffic_last)
    assert ms(shown["lastTs"]) in cpu, shown
    assert shown["value"] == en_number(cpu[ms(shown["lastTs"])]), shown

    foreign = [p for p in buffer if p["ts"] not in cpu or abs(cpu[p["ts"]] - p["value"]) > 1e-9]
    assert not foreign, f"points in the page that are not cpu's: {foreign[:5]}"
    # Simulated traffic (~120/s) and cpu (~38 %) do not overlap: none of traffic's values are shown.
    assert not [p for p in buffer if traffic.get(p["ts"]) == p["value"]]

    newest = buffer[-1]["ts"]
    expected = {ts for ts in cpu if newest - 5 * 60_000 < ts <= newest}
    missing = sorted(expected - {p["ts"] for p in buffer})
    assert not missing, f"{len(missing)} stored cpu points missing from the page, e.g. {iso(missing[0])}"

    page.go_back()
    expect(page).to_have_url(re.compile(r"[?&]metric=traffic(&|$)"))
    expect(page.get_by_test_id("metric-select")).to_have_value("traffic")
    expect(page.get_by_test_id("single-stat")).to_contain_text("traffic")
    page.close()


def test_snapshot_link_restores_state(
    context: BrowserContext, server: ServerProcess, artifacts: Path,
) -> None:
    """The snapshot button gives a /snapshot/<uuid> link (copyable); opened in another page it
    restores metric and range without a socket, says it is a snapshot and from when, shows the
    frozen points, and "go live" returns to the live dashboard on the same state."""
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = open_dashboard(context, server, "cpu", "5m")
    page.get_by_test_id("range-select").select_option("1h")
    expect(page).to_have_url(re.compile(r"[?&]range=1h(&|$)"))
    expect(page.get_by_test_id("connection-badge")).to_have_attribute("data-state", "live")
    wait_for_count(page, 4)

    page.get_by_test_id("snapshot-button").click()
    link = page.get_by_test_id("snapshot-link")
    expect(link).to_be_visible()
    href = link.get_attribute("href") or ""
    match = re.fullmatch(rf"{re.escape(server.url)}/snapshot/({UUID_RE})", href)
    assert match, f"unexpected snapshot link {href!r}"
    snapshot_id = match.group(1)
    assert str(uuid.UUID(snapshot_id)) == snapshot_id
    expect(link).to_have_text(href)

    page.get_by_test_id("copy-link").click()
    expect(page.get_by_test_id("copy-link")).to_have_text("Copied")
    assert page.evaluate("() => navigator.clipboard.readText()") == href

    saved = httpx.get(f"{server.url}/snapshots/{snapshot_id}", timeout=10).json()
    assert saved["state"]["selectedMetric"] == "cpu"
    assert saved["state"]["timeRangeHours"] == 1
    created = datetime.fromisoformat(saved["created_at"].replace("Z", "+00:00"))

    shared = context.new_page()
    sockets: list[str] = []
    shared.on("websocket", lambda ws: sockets.append(ws.url))
    shared.goto(href)
    banner = shared.get_by_test_id("snapshot-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Snapshot of cpu, last hour, taken")
    # The time it was taken, as en-US shows it in UTC (the context's zone): "Nov 28, 2026, 3:23:55 AM".
    day = f"{created:%b} {created.day}, {created.year}"
    clock = f"{created.hour % 12 or 12}:{created:%M:%S}"
    expect(banner).to_contain_text(day)
    expect(banner).to_contain_text(clock)
    expect(banner).to_contain_text("Showing the data as it was saved.")
    expect(shared.get_by_test_id("metric-select")).to_have_value("cpu")
    expect(shared.get_by_test_id("range-select")).to_have_value("1h")
    expect(shared.get_by_test_id("single-stat")).to_contain_text("cpu")
    wait_for_count(shared, 4)
    frozen = footer(shared)
    assert ms(frozen["lastTs"]) <= created.timestamp() * 1000 + 1
    cpu = stored(server, "cpu")
    assert ms(frozen["lastTs"]) in cpu
    assert frozen["value"] == en_number(cpu[ms(frozen["lastTs"])])
    # Frozen: a second later nothing has moved and no live socket was opened.
    shared.wait_for_timeout(1200)
    assert footer(shared)["lastTs"] == frozen["lastTs"]
    assert not sockets, f"the snapshot page opened a live socket: {sockets}"
    shared.screenshot(path=str(artifacts / "e2e-snapshot.png"), full_page=True)

    shared.get_by_test_id("go-live").click()
    expect(shared).to_have_url(re.compile(rf"^{re.escape(server.url)}/\?"))
    expect(shared).to_have_url(re.compile(r"[?&]metric=cpu(&|$)"))
    expect(shared).to_have_url(re.compile(r"[?&]range=1h(&|$)"))
    expect(shared.get_by_test_id("snapshot-banner")).to_have_count(0)
    expect(shared.get_by_test_id("connection-badge")).to_have_attribute("data-state", "live")
    wait_for_newer(shared, saved["created_at"], more_points=2)
    assert sockets, "go live opened no socket"
    # Live: the metric's stream, and the incident stream of every metric (SPEC §10).
    assert all("metric=cpu" in url or url.endswith("?incidents=1") for url in sockets), sockets
    assert sum(url.endswith("?incidents=1") for url in sockets) == 1, sockets
    shared.close()
    page.close()


def _download(page: Page, test_id: str) -> tuple[str, bytes]:
    with page.expect_download(timeout=15_000) as info:
        page.get_by_test_id(test_id).click()
    download = info.value
    assert download.failure() is None, download.failure()
    return download.suggested_filename, Path(download.path()).read_bytes()


def test_csv_and_excel_exports(context: BrowserContext, server: ServerProcess) -> None:
    """The export buttons download the current metric and range: plain CSV with the header
    `metric,value,ts`, only that metric's stored points in ascending ts; the Excel presets
    start with a UTF-8 BOM and use CRLF, `,` or `;` with a decimal comma."""
    page = open_dashboard(context, server, "traffic", "5m")
    started = time.time()

    name, body = _download(page, "export-csv")
    assert re.fullmatch(r"traffic_[0-9.]+h\.csv", name), name
    assert not body.startswith(b"\xef\xbb\xbf"), "the plain CSV must not carry a BOM"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert rows[0] == ["metric", "value", "ts"], rows[:2]
    data = rows[1:]
    assert len(data) >= 4, f"too few rows: {len(data)}"
    assert {row[0] for row in data} == {"traffic"}
    stamps = [ms(row[2]) for row in data]
    assert stamps == sorted(set(stamps)), "ts is not strictly ascending"
    assert stamps[-1] <= (started + 2) * 1000
    assert stamps[0] >= (started - 5 * 60 - 5) * 1000
    points = stored(server, "traffic")
    wrong = [row for row in data if abs(points.get(ms(row[2]), float("nan")) - float(row[1])) > 1e-9]
    assert not wrong, f"rows that are not stored traffic points: {wrong[:3]}"
    # The export of the range holds every stored point up to its newest row.
    assert {ts for ts in points if stamps[0] <= ts <= stamps[-1]} == set(stamps)

    name, body = _download(page, "export-excel")
    assert name.endswith(".csv"), name
    assert body.startswith(b"\xef\xbb\xbf"), f"no UTF-8 BOM: {body[:20]!r}"
    text = body[3:].decode("utf-8")
    assert text.startswith("metric,value,ts\r\n"), text[:40]
    lines = text.split("\r\n")
    assert "\n" not in "".join(lines), "bare LF in the Excel CSV"
    excel_rows = [line.split(",") for line in lines[1:] if line]
    assert len(excel_rows) >= 4
    assert {row[0] for row in excel_rows} == {"traffic"}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row[2]) for row in excel_rows), excel_rows[:2]
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", row[1]) for row in excel_rows), excel_rows[:2]

    name, body = _download(page, "export-excel-eu")
    assert body.startswith(b"\xef\xbb\xbf"), f"no UTF-8 BOM: {body[:20]!r}"
    text = body[3:].decode("utf-8")
    assert text.startswith("metric;value;ts\r\n"), text[:40]
    eu_rows = [line.split(";") for line in text.split("\r\n")[1:] if line]
    assert len(eu_rows) >= 4
    assert {row[0] for row in eu_rows} == {"traffic"}
    assert all(re.fullmatch(r"-?\d+(,\d+)?", row[1]) for row in eu_rows), eu_rows[:2]
    assert any("," in row[1] for row in eu_rows), "no decimal comma in the EU preset"
    page.close()


def test_restart_reconnects_without_gap(
    context: BrowserContext, dist_built: Path, tmp_path: Path, artifacts: Path,
) -> None:
    """Stop the server under an open page: the badge leaves live (reconnecting, then offline);
    restart it on the same port over the same SQLite file: the badge returns to live, the socket
    asks to replay `since` the newest point the page held, and afterwards the page holds exactly
    the stored points of the whole span (before the stop, the shutdown drain, the points the new
    server made before the page reconnected, and the live ones after)."""
    env = {**SIM_ENV, "SIMULATED_METRICS": "traffic"}
    first = start_server(tmp_path, **env)
    current = first
    page: Page | None = None
    try:
        page = open_dashboard(context, first, "traffic", "5m")
        sockets: list[str] = []
        page.on("websocket", lambda ws: sockets.append(ws.url))
        wait_for_newer(page, footer(page)["lastTs"], more_points=8)
        held_before = page_buffer(page)
        page.evaluate(BADGE_RECORDER_JS)

        # uvicorn finishes its graceful shutdown, then exits by the signal it caught (or 0).
        assert first.stop() in (0, -signal.SIGTERM), first.log.read_text()[-2000:]
        stopped_at = time.time()
        badge = page.get_by_test_id("connection-badge")
        expect(badge).to_have_attribute("data-state", re.compile("reconnecting|offline"), timeout=10_000)
        # Wait for "offline" too: the next retry is then seconds away, so the new server makes
        # points before the page reconnects and the replay (since=) really has work to do.
        expect(badge).to_have_attribute("data-state", "offline", timeout=20_000)
        expect(page.get_by_test_id("alert-feed")).to_be_visible()
        page.screenshot(path=str(artifacts / "e2e-offline.png"), full_page=True)

        current = start_server(tmp_path, port=first.port, **env)
        restarted_at = time.time()
        expect(badge).to_have_attribute("data-state", "live", timeout=30_000)
        wait_for_newer(page, iso(round(restarted_at * 1000) + 1000), more_points=4, timeout=20_000)
        page.screenshot(path=str(artifacts / "e2e-reconnected.png"), full_page=True)

        states = page.evaluate("() => window.__cvBadge")
        names = [state for _, state in states]
        assert names[0] == "live", states
        assert names[-1] == "live", states
        assert names.index("reconnecting") < names.index("offline") < len(names) - 1, states
        live_again_ms = states[-1][0]

        held = page_buffer(page)
        page_ts = [p["ts"] for p in held]
        assert page_ts == sorted(set(page_ts)), "the page's buffer is not unique and ordered by ts"
        span = stored(current, "traffic", **{"from": iso(page_ts[0]), "to": iso(page_ts[-1])})

        # The outage is in the span: stored points end before the stop and resume after the restart.
        # The first process had exited at `stopped_at`: later points are the second one's.
        before_stop = [ts for ts in span if ts <= stopped_at * 1000]
        after_restart = [ts for ts in span if ts > stopped_at * 1000]
        assert before_stop, "no stored point before the stop in the page's span"
        assert after_restart, "no stored point after the restart in the page's span"
        gap = max(b - a for a, b in zip(sorted(span), sorted(span)[1:], strict=False))
        assert gap >= 2000, f"no outage visible in the stored series (largest step {gap} ms)"
        assert page_ts[0] <= held_before[0]["ts"], "the page lost the points it held before the outage"

        missing = sorted(set(span) - set(page_ts))
        extra = sorted(set(page_ts) - set(span))
        assert not missing, f"gap: {len(missing)} stored points not in the page, from {iso(missing[0])}"
        assert not extra, f"points in the page that were never stored: {[iso(ts) for ts in extra[:5]]}"
        wrong = [p for p in held if abs(span[p["ts"]] - p["value"]) > 1e-9]
        assert not wrong, wrong[:5]

        # The reconnect asked for a replay after the newest point held before the outage, by its
        # seq (SPEC §6 `since=<metric>:<seq>`; the incident stream, opened beside it, has no replay).
        # One process from an empty database numbers the points 1, 2, 3, … in the order stored, so
        # that seq counts the stored points the page had seen.
        streams = [url for url in sockets if "metric=" in url]
        assert len(streams) >= 2, sockets
        since = httpx.URL(streams[-1]).params.get("since")
        assert since, f"the reconnect did not ask for a replay: {streams[-1]}"
        metric, _, seq = since.rpartition(":")
        assert metric == "traffic", since
        assert seq.isdigit(), since
        assert len(held_before) <= int(seq) <= len(before_stop), (since, len(held_before), len(before_stop))
        # Made by the new process before the page was back: only the replay can have brought them.
        # (Waiting for "offline" above puts seconds between the restart and the next retry.)
        made_while_away = [ts for ts in after_restart if ts < live_again_ms]
        assert made_while_away, "no point was made while the page was away: the replay was not exercised"
        assert set(made_while_away) <= set(page_ts)
    finally:
        if page is not None:
            page.close()
        current.stop()
        first.stop()
