"""How a cell of a CSV export looks: the one definition both encoders are derived from or tested
against (tests/history/test_export_bytes.py). The presets (SPEC §5):
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
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Preset = Literal["plain", "excel", "excel-eu"]
PRESETS: tuple[Preset, ...] = ("plain", "excel", "excel-eu")
EXTRA_COLUMNS = ("zscore", "alert", "mean", "std", "n")
LINE_END = "\r\n"
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


class Cells:
    """The text of each kind of cell under one set of options.

    Data cells never need quoting: metric names (config.METRIC_NAME) start with a letter or digit
    and hold no separator, quote or line break, so neither do they need neutralising; the rest are
    numbers and constants. Only the header goes through the csv module.
    """

    def __init__(self, options: CsvOptions) -> None:
        self.options = options
        self._zone = load_zone(options.zone_name) if options.zone_name else None
        self._timespec = "seconds" if options.whole_seconds else "milliseconds"
        self._booleans = options.booleans

    def header(self) -> bytes:
        """The first line, with the UTF-8 BOM the Excel presets start with."""
        zone = self.options.zone_name
        names = ["metric", "value", f"ts ({zone})" if zone else "ts", *self.options.columns]
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=self.options.delimiter, lineterminator=LINE_END).writerow(
            [neutralise(name) for name in names])
        bom = "\ufeff" if self.options.preset != "plain" else ""
        return (bom + buffer.getvalue()).encode()

    def number(self, value: float) -> str:
        text = repr(value)  # the shortest text that reads back as the same float
        return text.replace(".", ",") if self.options.decimal_comma else text

    def optional(self, value: float | None) -> str:
        """zscore, mean or std: empty when the point had none."""
        return "" if value is None else self.number(value)

    def flag(self, alert: bool) -> str:
        return self._booleans[alert]

    def moment(self, moment: datetime) -> str:
        """A timestamp cell: wall-clock time in the zone (UTC by default), truncated."""
        if self._zone is not None:
            moment = moment.astimezone(self._zone)
        return moment.replace(tzinfo=None).isoformat(" ", self._timespec)
