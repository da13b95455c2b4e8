"""CSV formatting for exports: RFC 4180 through the csv module, with spreadsheet presets.

`CsvFormatter` is the definition, pure: rows in, bytes out. For speed the storage writes the same
bytes its own way (PostgreSQL's COPY; SQLite rows through one `str.format` each; see
storage/history.py), and the tests hold it to this formatter byte for byte. The presets (SPEC §5):
- plain: comma, CRLF (RFC 4180), timestamps `YYYY-MM-DD HH:MM:SS.fff` in UTC (ISO 8601 with
  the space RFC 3339 allows; without a `Z`, which LibreOffice and Google Sheets would take as text);
- excel: the same plus a UTF-8 BOM and timestamps to the second (`YYYY-MM-DD HH:MM:SS`), the form
  Excel reads as a date-time whatever its locale's decimal separator;
- excel-eu: the excel preset with `;` between fields and a decimal comma.
With a zone, timestamps are wall-clock times there and the header says which zone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chronoview.points import to_datetime
from chronoview.storage.base import ExportRow
from chronoview.timerange import TimeRange

Preset = Literal["plain", "excel", "excel-eu"]
PRESETS: tuple[Preset, ...] = ("plain", "excel", "excel-eu")
EXTRA_COLUMNS = ("zscore", "alert", "mean", "std", "n")
# OWASP CSV injection: a text cell starting with one of these may run as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(text: str) -> str:
    """Prefix a text cell that a spreadsheet could take for a formula with a single quote."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def load_zone(name: str) -> ZoneInfo:
    """An IANA zone by name; ValueError when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"{name[:60]!r} is not a known IANA time zone") from None


def parse_columns(raw: str | None) -> tuple[str, ...]:
    """`zscore,alert` → ("zscore", "alert"); ValueError naming an unknown column."""
    if not raw:
        return ()
    chosen: list[str] = []
    for name in (part.strip() for part in raw.split(",")):
        if name not in EXTRA_COLUMNS:
            raise ValueError(f"unknown column {name[:40]!r}; choose from {', '.join(EXTRA_COLUMNS)}")
        if name not in chosen:
            chosen.append(name)
    return tuple(chosen)


@dataclass(frozen=True, slots=True)
class CsvOptions:
    preset: Preset = "plain"
    zone_name: str | None = None
    columns: tuple[str, ...] = ()

    @property
    def delimiter(self) -> str:
        return ";" if self.decimal_comma else ","

    @property
    def decimal_comma(self) -> bool:
        return self.preset == "excel-eu"

    @property
    def whole_seconds(self) -> bool:
        """Timestamps to the second (the Excel presets), else to the millisecond; truncated."""
        return self.preset != "plain"

    @property
    def booleans(self) -> tuple[str, str]:
        """The text of false and true: localised for Excel's own parser; 0/1 are not."""
        return {"plain": ("false", "true"), "excel": ("FALSE", "TRUE"), "excel-eu": ("0", "1")}[self.preset]


class CsvFormatter:
    """Turns chunks of export rows into CSV bytes; one instance per response."""

    def __init__(self, options: CsvOptions) -> None:
        self._options = options
        self._zone = load_zone(options.zone_name) if options.zone_name else None
        self._decimal_comma = options.decimal_comma
        self._timespec = "seconds" if options.whole_seconds else "milliseconds"
        self._bom = "\ufeff" if options.preset != "plain" else ""
        self._booleans = options.booleans
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, delimiter=options.delimiter, lineterminator="\r\n")
        self._metric_cells: dict[str, str] = {}

    def header(self) -> bytes:
        zone = self._options.zone_name
        names = ["metric", "value", f"ts ({zone})" if zone else "ts", *self._options.columns]
        self._writer.writerow([neutralise(name) for name in names])
        return (self._bom + self._take()).encode()

    def rows(self, chunk: Iterable[ExportRow]) -> bytes:
        self._writer.writerows(self._cells(row) for row in chunk)
        return self._take().encode()

    def _cells(self, row: ExportRow) -> Sequence[str]:
        metric = self._metric_cells.get(row[0])
        if metric is None:
            metric = self._metric_cells[row[0]] = neutralise(row[0])
        cells = [metric, self._number(row[2]), self.moment(row[1])]
        for column in self._options.columns:
            if column == "alert":
                cells.append(self._booleans[row[4]])
            elif column == "n":
                cells.append(str(row[7]))
            else:
                cells.append(self._optional(row[3] if column == "zscore" else
                                            row[5] if column == "mean" else row[6]))
        return cells

    def _optional(self, value: float | None) -> str:
        return "" if value is None else self._number(value)

    def _number(self, value: float) -> str:
        text = repr(value)  # the shortest text that reads back as the same float
        return text.replace(".", ",") if self._decimal_comma else text

    def moment(self, moment: datetime) -> str:
        """A timestamp cell: wall-clock time in the zone (UTC by default), truncated."""
        if self._zone is not None:
            moment = moment.astimezone(self._zone)
        return moment.replace(tzinfo=None).isoformat(" ", self._timespec)

    def _take(self) -> str:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text


def export_filename(metrics: Sequence[str], time_range: TimeRange, preset: Preset = "plain") -> str:
    """SPEC §5: `cpu_1h.csv`, `cpu_1h_excel.csv`, `cpu+traffic_0.5h.csv`,
    `cpu_20250927T000000Z_20250927T060000Z_excel-eu.csv` (from/to as compact UTC stamps)."""
    names = "+".join(metrics) if len(metrics) <= 3 else f"{metrics[0]}+{len(metrics) - 1}more"
    names = names.replace(":", "_")  # ':' is not allowed in Windows file names
    if time_range.hours is not None:
        span = f"{time_range.hours:g}h"
    else:
        span = f"{_compact(time_range.start)}_{_compact(time_range.end)}"
    suffix = "" if preset == "plain" else f"_{preset}"
    return f"{names}_{span}{suffix}.csv"


def _compact(ts: float) -> str:
    return to_datetime(ts).strftime("%Y%m%dT%H%M%SZ")
