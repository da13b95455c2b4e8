"""The CSV formatter: presets, zones, extra columns, formula neutralisation, file names."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from chronoview.export.cells import CsvOptions, load_zone, neutralise, parse_columns
from chronoview.export.filenames import export_filename
from chronoview.timerange import TimeRange
from tests.history.csvref import CsvFormatter, ExportRow

T = datetime(2025, 9, 27, 2, 33, 11, 250_000, tzinfo=UTC)
ROWS: list[ExportRow] = [
    ("cpu", T, 1.5, 2.75, True, 1.0, 0.2, 12),
    ("cpu", T.replace(second=12, microsecond=0), -2.5, None, False, None, None, 3),
    ("cpu", T.replace(second=13, microsecond=999_999), 1e-05, -0.5, False, 0.1, 1e20, 300),
]


def render(options: CsvOptions, rows: list[ExportRow] = ROWS) -> str:
    formatter = CsvFormatter(options)
    return (formatter.header() + formatter.rows(rows[:1]) + formatter.rows(rows[1:])).decode()


def test_plain_is_rfc4180_with_iso_utc_timestamps() -> None:
    assert render(CsvOptions()) == (
        "metric,value,ts\r\n"
        "cpu,1.5,2025-09-27 02:33:11.250\r\n"
        "cpu,-2.5,2025-09-27 02:33:12.000\r\n"
        "cpu,1e-05,2025-09-27 02:33:13.999\r\n"
    )


def test_excel_has_a_bom_and_whole_second_timestamps() -> None:
    text = render(CsvOptions("excel"))
    assert text.startswith("\ufeffmetric,value,ts\r\n")
    assert "cpu,1.5,2025-09-27 02:33:11\r\n" in text
    assert "cpu,1e-05,2025-09-27 02:33:13\r\n" in text  # truncated, like every timestamp here


def test_excel_eu_uses_semicolons_and_decimal_commas() -> None:
    text = render(CsvOptions("excel-eu", columns=("zscore", "alert", "mean", "std", "n")))
    assert text == (
        "\ufeffmetric;value;ts;zscore;alert;mean;std;n\r\n"
        "cpu;1,5;2025-09-27 02:33:11;2,75;1;1,0;0,2;12\r\n"
        "cpu;-2,5;2025-09-27 02:33:12;;0;;;3\r\n"
        "cpu;1e-05;2025-09-27 02:33:13;-0,5;0;0,1;1e+20;300\r\n"
    )


def test_plain_and_excel_booleans() -> None:
    extra = ("zscore", "alert")
    assert "cpu,1.5,2025-09-27 02:33:11.250,2.75,true\r\n" in render(CsvOptions(columns=extra))
    assert "cpu,-2.5,2025-09-27 02:33:12,,FALSE\r\n" in render(CsvOptions("excel", columns=extra))


def test_a_zone_gives_wall_clock_time_there_and_names_it() -> None:
    text = render(CsvOptions(zone_name="Europe/Madrid"))
    assert text.startswith("metric,value,ts (Europe/Madrid)\r\n")
    assert "cpu,1.5,2025-09-27 04:33:11.250\r\n" in text  # CEST, UTC+2
    winter = [("cpu", datetime(2025, 1, 10, 12, 0, tzinfo=UTC), 1.0, None, False, None, None, 0)]
    assert "2025-01-10 13:00:00.000" in render(CsvOptions(zone_name="Europe/Madrid"), winter)  # type: ignore[arg-type]
    assert "ts (America/New_York)" in render(CsvOptions("excel", zone_name="America/New_York"))


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\nx"])
def test_text_that_could_be_a_formula_is_neutralised(text: str) -> None:
    assert neutralise(text) == "'" + text
    rows: list[ExportRow] = [(text, T, -3.0, None, False, None, None, 0)]
    parsed = list(csv.reader(io.StringIO(render(CsvOptions(), rows))))
    assert parsed[1] == ["'" + text, "-3.0", "2025-09-27 02:33:11.250"]  # the number stays a number


def test_plain_text_is_left_alone_and_quoted_only_when_needed() -> None:
    assert neutralise("cpu.load-1") == "cpu.load-1"
    rows: list[ExportRow] = [('a,"b"', T, 1.0, None, False, None, None, 0)]
    assert render(CsvOptions(), rows).splitlines()[1] == '"a,""b""",1.0,2025-09-27 02:33:11.250'


def test_columns_and_zones_are_checked() -> None:
    assert parse_columns("zscore,alert,zscore") == ("zscore", "alert")
    assert parse_columns("") == ()
    with pytest.raises(ValueError, match="unknown column"):
        parse_columns("zscore,secret")
    assert str(load_zone("Europe/Madrid")) == "Europe/Madrid"
    for bad in ("Mars/Olympus", "../../etc/passwd", "", "Europe/"):
        with pytest.raises(ValueError, match="IANA"):
            load_zone(bad)


def test_file_names() -> None:
    hours = TimeRange(0, 3600, 1.0)
    assert export_filename(["cpu"], hours) == "cpu_1h.csv"
    assert export_filename(["cpu", "traffic"], TimeRange(0, 1800, 0.5)) == "cpu+traffic_0.5h.csv"
    assert export_filename(["a", "b", "c", "d"], hours) == "a+3more_1h.csv"
    assert export_filename(["host:cpu"], hours) == "host_cpu_1h.csv"
    span = TimeRange(1_758_931_200, 1_758_952_800, None)
    assert export_filename(["cpu"], span) == "cpu_20250927T000000Z_20250927T060000Z.csv"
    # Each preset its own name (SPEC §5), so the dashboard's three buttons save three files.
    assert export_filename(["cpu"], hours, "excel") == "cpu_1h_excel.csv"
    assert export_filename(["cpu"], hours, "excel-eu") == "cpu_1h_excel-eu.csv"
    assert export_filename(["cpu"], span, "excel-eu") == (
        "cpu_20250927T000000Z_20250927T060000Z_excel-eu.csv")
