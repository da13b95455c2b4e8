"""The PostgreSQL encoder of a CSV export: a COPY query whose CSV is cells.py's, byte for byte.

Each cell rule of `Cells` is written here in SQL; storage/bulk.py runs the COPY.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Sequence

from chronoview.export.cells import LINE_END, CsvOptions
from chronoview.points import to_datetime
from chronoview.storage.base import Storage

# Python's repr of a float8 column, in SQL. PostgreSQL 12+ already prints the shortest text that
# reads back exactly, in repr's notation, except that (1) a whole number has no ".0"; (2) from 1e15 to
# 1e16 it writes an exponent where repr does not; (3) from 2^53 up (where every float is whole and the
# points halfway between floats are integers) it never takes a decimal lying exactly halfway, which
# reading back (round half to even) would turn into this float, so it may print a 17th digit where
# repr needs 16. Case 3 is rebuilt from the exact integer: the first of 15, 16 and 17 significant
# digits that reads back. Above 1e40 a halfway point has more than 17 digits, so the text is repr's.
_PG_REPR = """CASE
 WHEN abs({c}) < 1e15 THEN CASE WHEN {c} = trunc({c}) THEN {c}::text || '.0' ELSE {c}::text END
 WHEN abs({c}) >= 9007199254740992 AND abs({c}) < 1e40 THEN (
  SELECT CASE WHEN abs({c}) < 1e16 THEN s::text || '.0'
         ELSE CASE WHEN s < 0 THEN '-' ELSE '' END || left(m, 1)
              || CASE WHEN length(m) > 1 THEN '.' || substr(m, 2) ELSE '' END
              || 'e+' || lpad((length(abs(s)::text) - 1)::text, 2, '0') END
  FROM (SELECT s, rtrim(abs(s)::text, '0') AS m FROM (SELECT CASE
         WHEN round(e, 15 - d)::float8 = {c} THEN round(e, 15 - d)
         WHEN round(e, 16 - d)::float8 = {c} THEN round(e, 16 - d)
         ELSE round(e, 17 - d) END AS s
       FROM (SELECT e, length(abs(e)::text) AS d FROM (SELECT round(
         ({c} / power(2::float8, greatest(0, ceil(ln(abs({c})) / ln(2::float8))::int - 62)))::int8::numeric
         * power(2::numeric, greatest(0, ceil(ln(abs({c})) / ln(2::float8))::int - 62))) AS e
       ) AS exact) AS counted) AS shortest) AS digits)
 WHEN abs({c}) < 1e16 THEN (SELECT CASE WHEN strpos(t, '.') = 0 THEN t || '.0' ELSE t END
                            FROM (SELECT {c}::text::numeric::text AS t) AS fixed)
 ELSE {c}::text END"""

# JIT compiling these CASEs costs seconds, and the float text must be the shortest exact one
# (PostgreSQL 12+ with extra_float_digits > 0, whatever the server's configuration says); both
# end with the COPY's (read) transaction.
SETTINGS = {"jit": "off", "extra_float_digits": "1"}
_CRLF = LINE_END.encode()


def _number(column: str, decimal_comma: bool) -> str:
    """`Cells.number` (or `Cells.optional`: NULL gives an empty field) of a float8 column."""
    text = _PG_REPR.format(c=column)
    return f"replace({text}, '.', ',')" if decimal_comma else text


def copy_query(options: CsvOptions) -> str:
    """The SELECT whose CSV is the cells of `options`, once lines end in CRLF: $1 metrics,
    $2 and $3 the range, $4 the zone."""
    stamp = "YYYY-MM-DD HH24:MI:SS" if options.whole_seconds else "YYYY-MM-DD HH24:MI:SS.MS"
    false, true = options.booleans
    cells = ["metric", _number("value", options.decimal_comma),
             f"to_char(ts AT TIME ZONE $4::text, '{stamp}')"]  # to_char truncates, as isoformat does
    for column in options.columns:
        cells.append(f"CASE WHEN alert THEN '{true}' ELSE '{false}' END" if column == "alert"
                     else column if column == "n" else _number(column, options.decimal_comma))
    # Only names from cells.EXTRA_COLUMNS and constants of ours are spliced in; values are bound.
    return (f"SELECT {', '.join(cells)} FROM points WHERE metric = ANY($1::text[]) "  # noqa: S608
            "AND ts >= $2 AND ts <= $3 ORDER BY ts, id")


async def postgres_lines(
    storage: Storage, metrics: Sequence[str], start: float, end: float, options: CsvOptions
) -> AsyncGenerator[bytes, None]:
    """The CSV lines (no header) of the metrics' points in [start, end], chunk by chunk."""
    args = [list(metrics), to_datetime(start), to_datetime(end), options.zone_name or "UTC"]
    chunks = storage.copy_points(copy_query(options), args, options.delimiter, SETTINGS)
    async with contextlib.aclosing(chunks):
        async for chunk in chunks:
            # No field holds a line break (see Cells), so each "\n" ends a row.
            yield chunk.replace(b"\n", _CRLF)

