"""Real spreadsheet software reads the exports: LibreOffice Calc, headless, converts each preset to
.xlsx (en-US for plain and excel, es-ES with `;` for excel-eu), and openpyxl reads the cells back.
Numbers must arrive as numbers and timestamps as dates, in order, with nothing lost. Over both
databases: each writes the CSV its own way (PostgreSQL's COPY, SQLite's text functions)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from fastapi.testclient import TestClient

from chronoview.export.cells import CsvOptions
from tests.history.conftest import ingest
from tests.history.csvref import CsvFormatter
from tests.services import unavailable

pytestmark = pytest.mark.slow

BASE = 1_750_000_000.25  # 2025-06-15T15:06:40.250Z
# Odd values first; then a steady run (30 s apart, so the alert window holds 9 of them); then a spike.
VALUES = [1234567.5, -3.25, 0.001, -0.5, 20.5, 21.0, 20.75, 22.0, 21.5, 21.25, 20.25, 21.75, 20.5, 21.0,
          950.125]
STEP = 30
# LibreOffice CSV filter options: separator, quote, charset 76 (UTF-8), first line, (formats), locale.
FILTERS = {"plain": "CSV:44,34,76,1,,1033", "excel": "CSV:44,34,76,1,,1033",
           "excel-eu": "CSV:59,34,76,1,,3082"}


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        unavailable("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
        raise AssertionError("unreachable")
    return found


def _convert_all(csvs: dict[str, tuple[Path, str]], workdir: Path) -> dict[str, Path]:
    """Convert every CSV at once, each LibreOffice with a profile of its own; name → .xlsx."""
    soffice = _soffice()
    running = {}
    for name, (source, infilter) in csvs.items():
        profile = (workdir / f"profile-{name}").as_uri()
        outdir = workdir / f"out-{name}"
        running[name] = (outdir / f"{source.stem}.xlsx", subprocess.Popen(
            [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
             f"--infilter={infilter}", "--convert-to", "xlsx", "--outdir", str(outdir), str(source)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        ))
    converted = {}
    for name, (target, process) in running.items():
        try:
            output, _ = process.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise
        assert target.exists(), f"LibreOffice did not convert {name}: {output.decode(errors='replace')}"
        converted[name] = target
    return converted


def _cells(path: Path) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_calc_reads_numbers_as_numbers_and_timestamps_as_dates(client: TestClient, tmp_path: Path) -> None:
    ingest(client, [{"metric": "sensor.t", "ts": BASE + STEP * i, "value": v} for i, v in enumerate(VALUES)])
    window = {"from": str(BASE), "to": str(BASE + 3600), "columns": "zscore,alert"}
    exports = {
        "plain": {},
        "excel": {"format": "excel"},
        "excel-eu": {"format": "excel-eu"},
        "madrid": {"format": "excel-eu", "tz": "Europe/Madrid"},
    }
    csvs = {}
    for name, extra in exports.items():
        response = client.get("/export/csv", params={"metric": "sensor.t", **window, **extra})
        assert response.status_code == 200, response.text
        path = tmp_path / f"{name}.csv"
        path.write_bytes(response.content)
        csvs[name] = (path, FILTERS[extra.get("format", "plain")])
    sheets = {name: _cells(path) for name, path in _convert_all(csvs, tmp_path).items()}

    utc = [datetime.fromtimestamp(BASE + STEP * i, UTC).replace(tzinfo=None) for i in range(len(VALUES))]
    madrid = [datetime.fromtimestamp(BASE + STEP * i, ZoneInfo("Europe/Madrid")).replace(tzinfo=None)
              for i in range(len(VALUES))]
    expected_ts = {
        "plain": utc,  # milliseconds kept
        "excel": [t.replace(microsecond=0) for t in utc],
        "excel-eu": [t.replace(microsecond=0) for t in utc],
        "madrid": [t.replace(microsecond=0) for t in madrid],
    }
    for name, rows in sheets.items():
        header, data = rows[0], rows[1:]
        assert header[:2] == ["metric", "value"], name
        assert header[2] == ("ts (Europe/Madrid)" if name == "madrid" else "ts"), name
        assert header[3:5] == ["zscore", "alert"], name
        assert len(data) == len(VALUES), name
        assert [r[0] for r in data] == ["sensor.t"] * len(VALUES), name
        values = [r[1] for r in data]
        assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in values), (name, values)
        assert values == pytest.approx(VALUES), name
        stamps = [r[2] for r in data]
        assert all(isinstance(t, datetime) for t in stamps), (name, stamps)
        for got, want in zip(stamps, expected_ts[name], strict=True):
            assert abs(got - want) < timedelta(milliseconds=1), (name, got, want)
        zscores = [r[3] for r in data]
        assert all(z is None or (isinstance(z, int | float) and not isinstance(z, bool)) for z in zscores)
        assert zscores[-1] > 2.5, name  # the last value is the spike
        alerts = [bool(r[4]) for r in data]
        assert alerts[-1] is True, name
        assert not any(alerts[:5]), name


def test_calc_does_not_run_a_neutralised_formula(tmp_path: Path) -> None:
    """Metric names cannot start with '=', but any text cell is guarded: check it in Calc itself."""
    moment = datetime(2025, 6, 15, 15, 6, 40, tzinfo=UTC)
    formatter = CsvFormatter(CsvOptions())
    body = formatter.header() + formatter.rows([
        ("=1+1", moment, -1.0, None, False, None, None, 0),
        ("@SUM(1)", moment, 2.0, None, False, None, None, 0),
        ("-2+3", moment, 3.0, None, False, None, None, 0),
    ])
    source = tmp_path / "formulas.csv"
    source.write_bytes(body)
    rows = _cells(_convert_all({"plain": (source, FILTERS["plain"])}, tmp_path)["plain"])
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'@SUM(1)", "'-2+3"]  # text, never evaluated
    assert [r[1] for r in rows[1:]] == [-1, 2, 3]  # while the numbers stay numbers
