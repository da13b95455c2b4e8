"""The reference CSV formatter of the export tests: rows in, bytes out, through the csv module and
chronoview/export/cells.py alone. Both encoders (export/postgres.py, export/sqlite.py) are held to
it byte for byte (test_export_bytes.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from chronoview.export.cells import LINE_END, Cells, CsvOptions, neutralise

# metric, ts (UTC), value, zscore, alert, mean, std, n: one row of a CSV export.
ExportRow = tuple[str, datetime, float, float | None, bool, float | None, float | None, int]


class CsvFormatter:
    """Turns chunks of export rows into CSV bytes; one instance per export."""

    def __init__(self, options: CsvOptions) -> None:
        self._cells = Cells(options)
        self._columns = options.columns
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, delimiter=options.delimiter, lineterminator=LINE_END)

    def header(self) -> bytes:
        return self._cells.header()

    def rows(self, chunk: Iterable[ExportRow]) -> bytes:
        self._writer.writerows(self._row(row) for row in chunk)
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text.encode()

    def _row(self, row: ExportRow) -> Sequence[str]:
        metric, moment, value, zscore, alert, mean, std, n = row
        cells = self._cells
        out = [neutralise(metric), cells.number(value), cells.moment(moment)]
        extra = {"zscore": cells.optional(zscore), "alert": cells.flag(alert),
                 "mean": cells.optional(mean), "std": cells.optional(std), "n": str(n)}
        out += [extra[column] for column in self._columns]
        return out
