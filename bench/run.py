"""Run the benchmarks and print one table.

    .venv/bin/python bench/run.py                 # every script
    .venv/bin/python bench/run.py ingest fanout   # a subset
    .venv/bin/python bench/run.py --table         # the table of the last saved results

Each script runs in its own process (so one crash or hang costs only its own rows), writes
bench/results/<name>.json, and is stopped after TIMEOUT seconds. A failed script shows as one
"error" row with the last line it printed to stderr.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
SCRIPTS = ("ingest", "lineprotocol", "scoring", "fanout", "export", "series", "longtasks", "mqtt",
           "firstload", "notify")
# Scripts run in parts, each part a process of its own with its own time bound.
PARTS = {"fanout": ("stream", "stream3", "idle", "idle-plain", "ceiling"), "ingest": (None, "proxy")}
# Each script is designed to finish well within 2 minutes; this is the hard stop.
TIMEOUT = 180


def run_script(name: str, part: str | None = None) -> tuple[list[dict[str, object]], float]:
    out = RESULTS / (f"{name}-{part}.json" if part else f"{name}.json")
    out.unlink(missing_ok=True)
    began = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, str(BENCH / f"{name}.py"), *([part] if part else [])], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            stdout, stderr = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
        stderr = f"timed out after {TIMEOUT}s\n{stderr}"
    wall = time.monotonic() - began
    sys.stderr.write(stdout)
    if proc.returncode == 0 and out.exists():
        return json.loads(out.read_text()), wall
    sys.stderr.write(stderr)
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    reason = lines[-1] if lines else f"exit status {proc.returncode}"
    return [{"measure": f"{name} {part}" if part else name, "value": None, "unit": "", "target": "",
             "met": None, "shape": "",
             "server_cpu": None, "client_cpu": None, "notes": f"error: {reason[:200]}",
             "load1": round(os.getloadavg()[0], 2)}], wall


def fmt(value: object, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value != value:
            return "nan"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}g}"
    return str(value)


def table(rows: list[dict[str, object]]) -> str:
    header = ["measure", "shape", "value", "target", "met", "server CPU", "client CPU", "load1", "notes"]
    lines = []
    for r in rows:
        if r["value"] is None:
            value, met = "error", "error"
        else:
            value = f"{fmt(r['value'])} {r['unit']}".strip()
            met = "yes" if r["met"] else "NO"
        lines.append([str(r["measure"]), str(r["shape"]), value, str(r["target"]), met,
                      fmt(r["server_cpu"], 2), fmt(r["client_cpu"], 2), fmt(r.get("load1"), 3),
                      str(r.get("notes") or "")])
    cells = [header, *lines]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header) - 1)]
    out = []
    for n, row in enumerate(cells):
        padded = [c.ljust(w) for c, w in zip(row, widths, strict=False)]
        out.append("| " + " | ".join([*padded, row[-1]]) + " |")
        if n == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|---|")
    return "\n".join(out)


def saved() -> list[dict[str, object]]:
    """The rows of the last results of every script (bench/run.py --table), in table order."""
    rows: list[dict[str, object]] = []
    for name in SCRIPTS:
        for part in PARTS.get(name, (None,)):
            path = RESULTS / (f"{name}-{part}.json" if part else f"{name}.json")
            if path.exists():
                rows += json.loads(path.read_text())
    return rows


def main(argv: list[str]) -> int:
    if argv == ["--table"]:
        print(table(saved()))
        return 0
    names = argv or list(SCRIPTS)
    unknown = [n for n in names if n not in SCRIPTS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(SCRIPTS)}",
              file=sys.stderr)
        return 2
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, object]] = []
    for name in names:
        for part in PARTS.get(name, (None,)):
            label = f"{name} {part}" if part else name
            print(f"== {label} (load {os.getloadavg()[0]:.2f})", file=sys.stderr, flush=True)
            results, wall = run_script(name, part)
            print(f"== {label}: {wall:.0f}s", file=sys.stderr, flush=True)
            rows += results
    print()
    print("CPU columns: cores (CPU seconds per wall second); load1: 1-minute load average of this "
          "2-core machine when measured (other work included).")
    print(table(rows))
    (RESULTS / "table.md").write_text(table(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
