"""The pieces of a streamed CSV response: options from query values, then header and lines."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Sequence

from chronoview.export.cells import Cells, CsvOptions, Preset, load_zone, parse_columns
from chronoview.export.postgres import postgres_lines
from chronoview.export.sqlite import sqlite_lines
from chronoview.storage.base import Storage

log = logging.getLogger(__name__)


class InvalidOption(ValueError):
    """A query value the export cannot use; `field` names the parameter (a 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def csv_options(preset: Preset, zone_name: str | None, columns: str | None) -> CsvOptions:
    """The options of `format`, `tz` and `columns`; InvalidOption for an unknown zone or column."""
    if zone_name:
        try:
            load_zone(zone_name)
        except ValueError as exc:
            raise InvalidOption("tz", str(exc)) from None
    try:
        extra = parse_columns(columns)
    except ValueError as exc:
        raise InvalidOption("columns", str(exc)) from None
    return CsvOptions(preset, zone_name or None, extra)


def csv_lines(
    storage: Storage, metrics: Sequence[str], start: float, end: float, options: CsvOptions
) -> AsyncGenerator[bytes, None]:
    """The CSV lines (no header) of the metrics' points in [start, end] by ascending ts, in chunks,
    memory flat in rows, from the encoder of the storage's dialect."""
    encode = postgres_lines if storage.dialect == "postgresql" else sqlite_lines
    return encode(storage, metrics, start, end, options)


async def csv_body(
    storage: Storage, metrics: Sequence[str], start: float, end: float, options: CsvOptions
) -> AsyncIterator[bytes]:
    """The whole CSV, header first. The first chunk of lines is read before this returns, so a
    database that is down raises here (a proper 503) rather than midway through a 200."""
    lines = csv_lines(storage, metrics, start, end, options)
    first = await anext(lines, None)  # a generator that raised is finished: nothing to close
    return _stream(Cells(options).header(), first, lines)


async def _stream(
    header: bytes, first: bytes | None, lines: AsyncGenerator[bytes, None]
) -> AsyncIterator[bytes]:
    async with contextlib.aclosing(lines):
        yield header
        if first is None:
            return
        yield first
        try:
            async for chunk in lines:
                yield chunk
        except Exception:
            # Headers are gone already: the client sees a cut-off transfer, not a short file.
            log.exception("CSV export failed midway")
            raise
