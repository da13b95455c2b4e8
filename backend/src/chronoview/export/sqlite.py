"""The SQLite encoder of a CSV export: SELECT expressions and one `str.format` per row, whose
text is cells.py's, byte for byte. storage/bulk.py pages the rows."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Sequence
from datetime import UTC, datetime
from itertools import starmap
from typing import Any

from chronoview.export.cells import LINE_END, Cells, CsvOptions
from chronoview.storage.base import Storage

# Stands for "." in metric names while a decimal-comma chunk turns every "." into ",".
_DOT = "\x01"


def select_cells(options: CsvOptions) -> list[str]:
    """The SELECT list that `SqliteLines` formats: the cells, with NULL as "" and booleans spelled."""
    false, true = options.booleans
    cells = [f"replace(metric, '.', '{_DOT}')" if options.decimal_comma else "metric", "value", "ts"]
    for column in options.columns:
        # Only names from cells.EXTRA_COLUMNS and constants of ours are spliced in.
        cells.append(f"CASE WHEN alert THEN '{true}' ELSE '{false}' END" if column == "alert"
                     else column if column == "n" else f"coalesce({column}, '')")
    return cells


class SqliteLines:
    """CSV of rows of `select_cells`: one `str.format` per row, run by `starmap` (no Python frame).

    `str.format` writes a float as repr does (`Cells.number`); the stamp's format spec cuts the
    stored `YYYY-MM-DD HH:MM:SS.ffffff` UTC text to the millisecond or the second (truncating, as
    `Cells.moment` does); the trailing id that `point_pages` adds is left out. A decimal comma
    is one replace over the chunk: only numbers hold a "." once the metric names' dots are masked
    (the Excel stamps have none). With a zone, each stamp goes through `Cells.moment`, row by row.
    """

    def __init__(self, options: CsvOptions) -> None:
        stamp = "{}" if options.zone_name else "{:.19}" if options.whole_seconds else "{:.23}"
        fields = ["{}", "{}", stamp, *["{}"] * len(options.columns)]
        self._template = options.delimiter.join(fields) + LINE_END
        self._decimal_comma = options.decimal_comma
        self._moment = Cells(options).moment if options.zone_name else None

    def encode(self, rows: Sequence[Sequence[Any]]) -> bytes:
        if (moment := self._moment) is not None:
            rows = [(row[0], row[1], moment(datetime.fromisoformat(row[2]).replace(tzinfo=UTC)), *row[3:])
                    for row in rows]
        text = "".join(starmap(self._template.format, rows))
        if self._decimal_comma:
            text = text.replace(".", ",").replace(_DOT, ".")
        return text.encode()


async def sqlite_lines(
    storage: Storage, metrics: Sequence[str], start: float, end: float, options: CsvOptions
) -> AsyncGenerator[bytes, None]:
    """The CSV lines (no header) of the metrics' points in [start, end], a page at a time."""
    lines = SqliteLines(options)
    async with contextlib.aclosing(storage.point_pages(metrics, start, end, select_cells(options))) as pages:
        async for rows in pages:
            yield lines.encode(rows)
