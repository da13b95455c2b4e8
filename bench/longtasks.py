"""Main-thread long tasks in the dashboard during 10 s of steady streaming (target: none over 50 ms).

An embedded server with the simulator on (traffic, cpu, orders every second) and an hour of
`traffic` history posted first (3,600 points in POST /metrics batches). Headless Debian Chromium
(Playwright) opens /?metric=traffic&range=1h, waits until live points arrive, then a
PerformanceObserver for 'longtask' (buffered) collects the tasks of the next 10 s; the tasks from
loading are reported apart. Client CPU is the browser's (all its processes).

Second scene (issue 19): 50 simulated metrics at 1 point/s each, the overview of all of them
(`?view=overview`, one `metric=*&mode=latest` socket) and a 4-metric compare chart open at once in
two tabs; the long tasks of both tabs' 10 s are counted together. `LONGTASKS_CPU_THROTTLE=4` slows
both tabs' main threads fourfold (Chrome's CPU throttling): on a machine shared with other work the
counts swing with its load, a throttled run on a quiet moment compares two builds more fairly.
"""

from __future__ import annotations

import os
import time

import httpx
import orjson
from common import REPEATS, RESULTS, CpuMeter, Result, TreeCpuMeter, backend, emit, load_avg, server
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]
STEADY_SECONDS = 10
SETTLE_SECONDS = 3
CPU_THROTTLE = float(os.environ.get("LONGTASKS_CPU_THROTTLE", "1"))

OBSERVER = """() => {
  window.__longtasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longtasks.push({start: e.startTime, duration: e.duration});
  }).observe({type: 'longtask', buffered: true});
  window.__wsMessages = 0;
}"""


def history(client: httpx.Client) -> None:
    end = time.time() - 5
    points = [{"metric": "traffic", "value": 100.0 + (i % 120) * 0.2 + (30.0 if i % 600 == 0 else 0.0),
               "ts": end - 3600 + i} for i in range(3600)]
    for start in range(0, len(points), 1000):
        client.post("/metrics", content=orjson.dumps(points[start:start + 1000]), headers={
            "content-type": "application/json", "prefer": "return=minimal"}).raise_for_status()


def once(browser, url: str, server_pid: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    frames: list[float] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda _: frames.append(time.monotonic())))
    try:
        page.add_init_script(f"({OBSERVER})()")
        page.goto(f"{url}/?metric=traffic&range=1h", wait_until="load")
        page.wait_for_function("document.querySelector('svg') !== null", timeout=30_000)
        time.sleep(SETTLE_SECONDS)
        start_ms = page.evaluate("performance.now()")
        server_meter = CpuMeter(server_pid)
        browser_meter = TreeCpuMeter(browser_pid())
        server_meter.start()
        browser_meter.start()
        frames_before = len(frames)
        began = time.monotonic()
        time.sleep(STEADY_SECONDS)
        wall = time.monotonic() - began
        tasks = page.evaluate("window.__longtasks")
        steady = [t["duration"] for t in tasks if t["start"] >= start_ms]
        loading = [t["duration"] for t in tasks if t["start"] < start_ms]
        return {"count": float(len(steady)), "max": max(steady, default=0.0),
                "loading_count": float(len(loading)), "loading_max": max(loading, default=0.0),
                "frames": float(len(frames) - frames_before),
                "server_cpu": server_meter.stop() / wall, "client_cpu": browser_meter.stop() / wall}
    finally:
        page.close()


OVERVIEW_METRICS = ["traffic", "cpu", "orders", *(f"sim.{i:02d}" for i in range(47))]
OVERVIEW_PATHS = ["/?view=overview&range=15m", "/?view=compare&metrics=traffic,cpu,orders,sim.00&range=15m"]


def overview_once(browser, url: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Both tabs at once: long tasks in the same 10 s of streaming."""
    pages = [browser.new_page() for _ in OVERVIEW_PATHS]
    try:
        for page, path in zip(pages, OVERVIEW_PATHS, strict=True):
            if CPU_THROTTLE != 1:
                session = page.context.new_cdp_session(page)
                session.send("Emulation.setCPUThrottlingRate", {"rate": CPU_THROTTLE})
            page.add_init_script(f"({OBSERVER})()")
            page.goto(f"{url}{path}", wait_until="load")
        pages[0].wait_for_function(
            "(n) => document.querySelectorAll('[data-testid=overview-tile]').length >= n",
            arg=len(OVERVIEW_METRICS), timeout=30_000)
        pages[1].wait_for_function("() => document.querySelector('.compare-chart svg') !== null",
                                   timeout=30_000)
        time.sleep(SETTLE_SECONDS)
        starts = [page.evaluate("performance.now()") for page in pages]
        time.sleep(STEADY_SECONDS)
        per_tab = [[t["duration"] for t in page.evaluate("window.__longtasks") if t["start"] >= start_ms]
                   for page, start_ms in zip(pages, starts, strict=True)]
        steady = [d for tab in per_tab for d in tab]
        return {"count": float(len(steady)), "max": max(steady, default=0.0),
                "overview_max": max(per_tab[0], default=0.0), "compare_max": max(per_tab[1], default=0.0)}
    finally:
        for page in pages:
            page.close()


def overview_scene() -> list[Result]:
    env = {"SIMULATED_METRICS": ",".join(OVERVIEW_METRICS), "SIMULATION_INTERVAL_SECONDS": "1"}
    with backend("embedded") as settings, server(settings, **env) as proc, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            runs = [overview_once(browser, proc.url) for _ in range(REPEATS)]
        finally:
            browser.close()
    load = load_avg()
    median = {k: sorted(r[k] for r in runs)[len(runs) // 2] for k in runs[0]}
    notes = (f"{REPEATS} runs; counts {[int(r['count']) for r in runs]}, longest "
             f"{[round(r['max']) for r in runs]} ms (overview tab "
             f"{[round(r['overview_max']) for r in runs]}, compare tab "
             f"{[round(r['compare_max']) for r in runs]}); 50 metrics at 1 point/s"
             + (f"; CPU throttled {CPU_THROTTLE:g}x" if CPU_THROTTLE != 1 else ""))
    return [
        Result("overview + compare long tasks (> 50 ms) in 10 s of streaming", median["count"], "tasks", "0",
               median["count"] == 0, "embedded, Chromium", notes=notes, load1=load),
        Result("overview + compare longest task in 10 s of streaming", median["max"], "ms", "< 50 (none)",
               median["max"] < 50, "embedded, Chromium", notes=notes, load1=load),
    ]


def trace_profile(browser, url: str) -> str:  # type: ignore[no-untyped-def]
    """What the renderer's main thread does inside tasks over 50 ms: self time by trace event name."""
    page = browser.new_page()
    try:
        page.goto(f"{url}/?metric=traffic&range=1h", wait_until="load")
        page.wait_for_function("document.querySelector('svg') !== null", timeout=30_000)
        time.sleep(SETTLE_SECONDS)
        browser.start_tracing(page=page, categories=[
            "devtools.timeline", "disabled-by-default-devtools.timeline", "v8", "v8.execute",
            "blink.user_timing"])
        time.sleep(STEADY_SECONDS)
        trace = orjson.loads(browser.stop_tracing())
    finally:
        page.close()
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    main = [e for e in events if e.get("ph") == "X" and "dur" in e
            and names.get((e["pid"], e["tid"])) == "CrRendererMain"]
    main.sort(key=lambda e: (e["ts"], -e["dur"]))
    long_tasks = [e for e in main if e["name"] == "RunTask" and e["dur"] > 50_000]
    own: dict[str, float] = {}
    for task in long_tasks:
        end = task["ts"] + task["dur"]
        inner = [e for e in main if task["ts"] <= e["ts"] < end and e is not task]
        stack: list[list[float | str]] = []  # [end, name, self]
        for e in [task, *inner]:
            while stack and float(stack[-1][0]) <= e["ts"]:
                done = stack.pop()
                own[str(done[1])] = own.get(str(done[1]), 0.0) + float(done[2])
            if stack:
                stack[-1][2] = float(stack[-1][2]) - e["dur"]
            label = e["name"]
            data = e.get("args", {}).get("data", {})
            if label in ("FunctionCall", "EvaluateScript", "EventDispatch", "TimerFire"):
                where = f"{str(data.get('url', '')).rsplit('/', 1)[-1]}:{data.get('lineNumber')}:" \
                        f"{data.get('columnNumber')}"
                label += f" {data.get('functionName') or data.get('type') or ''} {where}"
            stack.append([e["ts"] + e["dur"], label, float(e["dur"])])
        for done in stack:
            own[str(done[1])] = own.get(str(done[1]), 0.0) + float(done[2])
    total = sum(t["dur"] for t in long_tasks)
    lines = [f"{len(long_tasks)} tasks > 50 ms in {STEADY_SECONDS} s, {total / 1000:.0f} ms in all; "
             f"durations {[round(t['dur'] / 1000) for t in long_tasks]} ms", "", "self ms  event"]
    for name, us in sorted(own.items(), key=lambda kv: -kv[1])[:25]:
        lines.append(f"{us / 1000:7.1f}  {name}")
    return "\n".join(lines) + "\n"


_BROWSER_PID = 0


def browser_pid() -> int:
    return _BROWSER_PID


def find_browser_pid() -> int:
    import psutil

    me = psutil.Process()
    for child in me.children(recursive=True):
        try:
            if child.name().startswith("chromium") and "--type=" not in " ".join(child.cmdline()):
                return child.pid
        except psutil.Error:
            continue
    return me.pid


def main() -> list[Result]:
    global _BROWSER_PID
    env = {"SIMULATED_METRICS": "traffic,cpu,orders", "SIMULATION_INTERVAL_SECONDS": "1"}
    with backend("embedded") as settings, server(settings, **env) as proc, \
            httpx.Client(base_url=proc.url, timeout=60) as client:
        history(client)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            try:
                _BROWSER_PID = find_browser_pid()
                runs = [once(browser, proc.url, proc.process.pid) for _ in range(REPEATS)]
                if os.environ.get("BENCH_PROFILE") == "1":  # an extra page load, traced
                    RESULTS.mkdir(parents=True, exist_ok=True)
                    (RESULTS / "longtasks.top.txt").write_text(trace_profile(browser, proc.url))
            finally:
                browser.close()
    load = load_avg()
    worst = max(runs, key=lambda r: (r["count"], r["max"]))
    counts = sorted(r["count"] for r in runs)
    median = {k: sorted(r[k] for r in runs)[len(runs) // 2] for k in runs[0]}
    notes = (f"{REPEATS} page loads, {STEADY_SECONDS} s each after {SETTLE_SECONDS} s settle; counts "
             f"{[int(c) for c in counts]}, worst max {worst['max']:.0f} ms; ~{median['frames']:.0f} "
             f"WebSocket frames per window; while loading: median {median['loading_count']:.0f} "
             f"long tasks, max {median['loading_max']:.0f} ms (not part of the target)")
    return [
        Result("dashboard long tasks (> 50 ms) in 10 s of streaming", median["count"], "tasks", "0",
               median["count"] == 0, "embedded, Chromium", median["server_cpu"], median["client_cpu"],
               notes, load),
        Result("dashboard longest task in 10 s of streaming", median["max"], "ms", "< 50 (none)",
               median["max"] < 50, "embedded, Chromium", median["server_cpu"], median["client_cpu"],
               "median over page loads of each load's longest (0 = none)", load),
    ]


if __name__ == "__main__":
    # LONGTASKS_SCENE=overview measures the overview scene alone (one scene at a time on a busy machine).
    scene = os.environ.get("LONGTASKS_SCENE")
    results = main() if scene != "overview" else []
    emit(results + (overview_scene() if scene != "dashboard" else []), "longtasks")
