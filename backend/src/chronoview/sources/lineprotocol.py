"""InfluxDB line protocol (SPEC §12): a request body to points, named `<measurement>.<tags…>.<field>`.

Why not a package: the maintained parser on PyPI (line-protocol-parser 2.0.1, a C extension) parses
one line at a time, so it cannot split a body whose string fields hold newlines (Telegraf writes
them raw), it names no position in its errors, and it keeps the first of two equal field keys
silently. This module follows the protocol reference instead:
https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/

Two paths, one result. A line without a backslash, whose string fields (if any) hold no space,
comma or escape (nearly every line Telegraf writes), is cut with str.split; any other goes through
the scanner below, which knows the escapes and quoted strings, newlines inside them included. The
tests hold both to the reference's examples and to each other.

Escapes, as the reference lists them: in a measurement `\\,` and `\\ `; in tag keys, tag values and
field keys `\\,`, `\\=` and `\\ `; in string field values `\\"` and `\\\\`. Two backslashes are one
backslash everywhere; a backslash before anything else is a backslash.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from chronoview.points import Point
from chronoview.validation import END_TS, MAX_ABS_VALUE, MIN_TS, TS_RANGE, timestamp_problem

# Units per second of each `precision` value, per API version.
PRECISION_V2 = {"ns": 1_000_000_000, "us": 1_000_000, "ms": 1_000, "s": 1}
PRECISION_V1 = {"n": 1_000_000_000, "u": 1_000_000, "ms": 1_000, "s": 1}

MAX_NAME = 100
_SHORT_PREFIX = 91  # + "-" + 8 hex digits = 100
# SPEC §5 ranges, checked here so that the 400 names the line (in _number and _timestamp).

_INT64 = 2**63
_UINT64 = 2**64
_BOOLEANS = frozenset(("t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"))
_FLOAT_FIRST = frozenset("-.0123456789")
_FLOAT_LAST = frozenset(".0123456789")
_FLOAT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_INTEGER = re.compile(r"-?[0-9]+")
_UNSIGNED = re.compile(r"[0-9]+")
_NOT_NAME = re.compile(r"[^A-Za-z0-9_.:-]")
_NOT_FIRST = "_.:-"  # allowed in a metric name, but not as its first character

# The scanner. `\\[^\n]` takes a backslash and the next character together, so an escaped
# delimiter never ends a token; _unescape then decides what the pair means.
_MEASUREMENT = re.compile(r"(?:[^\\, \t\n]|\\[^\n])+")
_KEY = re.compile(r"(?:[^\\,= \t\n]|\\[^\n])+")
# A string field with nothing in it that str.split would cut: lines whose quotes are all of this
# kind take the fast path.
_SIMPLE_STRINGS = re.compile(r'="[^"\\,= \t\r\n]*"')
_STRING = re.compile(r'"(?:[^"\\]|\\[\s\S])*"')
_UNQUOTED = re.compile(r"[^, \t\r\n]+")
_TOKEN = re.compile(r"[^ \t\r\n]+")
_SPACES = re.compile(r"[ \t]+")
_STAMP = re.compile(r"-?[0-9]+")
_MEASUREMENT_ESCAPES = re.compile(r"\\([, \\])")
_KEY_ESCAPES = re.compile(r"\\([,= \\])")
_CACHE_MAX = 100_000
# Timestamps (epoch seconds) inside these pass every check of _timestamp: the fast path's range.
_TS_LOW, _TS_HIGH = MIN_TS + 1.0, END_TS - 1.0


class LineError(ValueError):
    """A line that is not valid line protocol, or whose point is out of range."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line


class TooManyPoints(ValueError):
    """More points in one body than one request may store."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} points in one request")


@dataclass(slots=True)
class LineProtocol:
    """Parses bodies into points; `tags` is LINE_PROTOCOL_TAGS (None: every tag, in key order)."""

    tags: tuple[str, ...] | None = None
    # (series text, field key) → metric name: Telegraf repeats the same series in every batch.
    _names: dict[str, dict[str, str]] = field(default_factory=dict)

    def parse(self, text: str, per_second: int, now: float, limit: int = sys.maxsize) -> list[Point]:
        """Every numeric field of every line as a point; a line without a timestamp gets `now`.

        Raises LineError naming the first bad line (1-based), or TooManyPoints as soon as there are
        more than `limit` points (a 5 MiB body can hold ~800,000: no need to read them all).
        """
        points: list[Point] = []
        # Every line can be cut with str.split when no backslash and no quote is left once the
        # simple strings are taken out (all of a line's strings are, or it has none): one pass over
        # the body instead of one per line.
        if "\\" not in text and ('"' not in text or '"' not in _SIMPLE_STRINGS.sub("", text)):
            for number, line in enumerate(text.split("\n"), 1):
                self._plain(line, number, per_second, now, points)
                if len(points) > limit:
                    raise TooManyPoints(limit)
            return points
        number, start, size = 1, 0, len(text)
        while start <= size:
            end = text.find("\n", start)
            if end < 0:
                end = size
            line = text[start:end]
            if "\\" in line or ('"' in line and '"' in _SIMPLE_STRINGS.sub("", line)):
                end = self._scan(text, start, number, per_second, now, points)
            else:
                self._plain(line, number, per_second, now, points)
            if len(points) > limit:
                raise TooManyPoints(limit)
            number += text.count("\n", start, end) + 1
            start = end + 1
        return points

    def _plain(self, line: str, number: int, per_second: int, now: float, out: list[Point]) -> None:
        """A line without escapes, whose only quotes are around simple strings (see _SIMPLE_STRINGS).

        Anything unusual, an error included, goes to the scanner: it alone words the errors.
        """
        parts = line.split(" ")
        count = len(parts)
        head = parts[0]
        if (count != 2 and (count != 3 or not parts[2])) or not head or head[0] in ",#" \
                or "\t" in line or "\r" in line:
            self._scan(line, 0, number, per_second, now, out)  # blank, comment, odd spacing, error
            return
        mark = len(out)
        try:
            if count == 2:
                ts = now
            else:  # _timestamp's checks, inline for the usual stamp: digits, well inside the range
                stamp = parts[2]
                ts = int(stamp) / per_second if stamp.isdigit() and stamp.isascii() else _TS_LOW - 1.0
                if not _TS_LOW <= ts <= _TS_HIGH:
                    ts = _timestamp(stamp, per_second, number)
            names = self._names.get(head)
            if names is None:
                measurement, _, tagset = head.partition(",")
                tags = [_tag(item, number) for item in tagset.split(",")] if "," in head else []
                names = self._series(head, measurement, tags)
            float_first, float_last = _FLOAT_FIRST, _FLOAT_LAST
            for item in parts[1].split(","):
                key, _, raw = item.partition("=")
                if not key or not raw:
                    raise LineError(number, "a field must be key=value")
                if raw[0] == '"':
                    continue  # a string field
                # _number's first case inline (a plain float, in range); anything else goes there.
                value: float | None
                if raw[-1] in float_last and raw[0] in float_first and raw.isascii() and "_" not in raw:
                    try:
                        value = float(raw)
                    except ValueError:
                        value = _number(raw, key, number)
                    else:
                        if not -MAX_ABS_VALUE <= value <= MAX_ABS_VALUE:
                            value = _number(raw, key, number)  # raises, naming the line
                else:
                    value = _number(raw, key, number)
                if value is not None:
                    metric = names.get(key) or _field_name(names, key, number)
                    out.append(Point(metric, ts, value))
        except LineError:
            del out[mark:]
            self._scan(line, 0, number, per_second, now, out)

    def _scan(self, text: str, start: int, number: int, per_second: int, now: float,
              out: list[Point]) -> int:
        """One line from `start`, escapes and quoted strings understood; returns where it ends."""
        pos = _skip(text, start)
        if pos == len(text) or text[pos] == "\n":
            return pos
        if text[pos] == "#":
            end = text.find("\n", pos)
            return len(text) if end < 0 else end
        begin = pos
        measurement, tags, pos = _read_series(text, pos, number)
        head = text[begin:pos]
        spaces = _SPACES.match(text, pos)
        if spaces is None:
            raise LineError(number, "missing fields (expected a space after the measurement and tags)")
        fields, pos = _read_fields(text, spaces.end(), number)
        ts = now
        spaces = _SPACES.match(text, pos)
        if spaces is not None:
            pos = spaces.end()
            stamp = _TOKEN.match(text, pos)
            if stamp is not None:
                ts = _timestamp(stamp.group(), per_second, number)
                pos = stamp.end()
        pos = _skip(text, pos)
        if pos < len(text) and text[pos] != "\n":
            end = text.find("\n", pos)
            rest = text[pos:end if end >= 0 else len(text)]
            raise LineError(number, f"unexpected {rest[:40]!r} after the fields")
        if fields:
            names = self._names.get(head) or self._series(head, measurement, tags)
            for name, value in fields:
                metric = names.get(name) or _field_name(names, name, number)
                out.append(Point(metric, ts, value))
        return pos

    def _series(self, head: str, measurement: str, tags: list[tuple[str, str]]) -> dict[str, str]:
        """The name cache of one series (its measurement and tags as written)."""
        if self.tags is None:
            values = [value for _, value in sorted(tags)]
        else:
            given = dict(tags)
            values = [given[key] for key in self.tags if key in given]
        if len(self._names) >= _CACHE_MAX:
            self._names.clear()
        names = self._names[head] = {"": ".".join((measurement, *values))}
        return names



def _read_series(text: str, pos: int, number: int) -> tuple[str, list[tuple[str, str]], int]:
    """The measurement and tags of a line from `pos`, unescaped, and where they end."""
    found = _MEASUREMENT.match(text, pos)
    if found is None:
        raise LineError(number, "missing measurement")
    measurement = _MEASUREMENT_ESCAPES.sub(r"\1", found.group())
    pos = found.end()
    tags: list[tuple[str, str]] = []
    while pos < len(text) and text[pos] == ",":
        key = _KEY.match(text, pos + 1)
        if key is None or not text.startswith("=", key.end()):
            raise LineError(number, "a tag must be key=value after ','")
        value = _KEY.match(text, key.end() + 1)
        if value is None:
            raise LineError(number, f"tag {_unescape(key.group())!r} has no value")
        tags.append((_unescape(key.group()), _unescape(value.group())))
        pos = value.end()
    return measurement, tags, pos


def _read_fields(text: str, pos: int, number: int) -> tuple[list[tuple[str, float]], int]:
    """The numeric fields of a line from `pos` (strings and booleans skipped), and where they end."""
    fields: list[tuple[str, float]] = []
    while True:
        key = _KEY.match(text, pos)
        if key is None or not text.startswith("=", key.end()):
            raise LineError(number, "a field must be key=value")
        name, pos = _unescape(key.group()), key.end() + 1
        if text.startswith('"', pos):
            quoted = _STRING.match(text, pos)
            if quoted is None:
                raise LineError(number, f"string field {name!r} has no closing quote")
            pos = quoted.end()
        else:
            raw = _UNQUOTED.match(text, pos)
            if raw is None:
                raise LineError(number, f"field {name!r} has no value")
            value = _number(raw.group(), name, number)
            if value is not None:
                fields.append((name, value))
            pos = raw.end()
        if not text.startswith(",", pos):
            return fields, pos
        pos += 1


def _field_name(names: dict[str, str], key: str, number: int) -> str:
    name = names[key] = metric_name(f"{names['']}.{key}", number)
    return name


def metric_name(joined: str, number: int = 0) -> str:
    """`joined` (measurement, tag values, field, dot-separated) as a valid metric name (SPEC §12)."""
    name = _NOT_NAME.sub("_", joined).lstrip(_NOT_FIRST)
    if not name:
        raise LineError(number, f"{joined[:40]!r} leaves no usable metric name")
    if len(name) > MAX_NAME:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = f"{name[:_SHORT_PREFIX]}-{digest}"
    return name


def _skip(text: str, pos: int) -> int:
    """Past spaces, tabs and a carriage return (of a CRLF line end)."""
    size = len(text)
    while pos < size and text[pos] in " \t\r":
        pos += 1
    return pos


def _unescape(token: str) -> str:
    return _KEY_ESCAPES.sub(r"\1", token) if "\\" in token else token


def _tag(item: str, number: int) -> tuple[str, str]:
    key, _, value = item.partition("=")
    if not key or not value or "=" in value:
        raise LineError(number, "a tag must be key=value after ','")
    return key, value


def _number(raw: str, key: str, number: int) -> float | None:
    """A field value as a float; None for booleans (skipped); LineError for anything else."""
    last = raw[-1]
    # What float() takes beyond _FLOAT (words, "+", "_", whitespace, other scripts' digits) fails
    # this guard, so a float() that succeeds under it read a protocol float: no pattern needed.
    if last in _FLOAT_LAST and raw[0] in _FLOAT_FIRST and raw.isascii() and "_" not in raw:
        try:
            value = float(raw)
        except ValueError:
            pass
        else:
            if -MAX_ABS_VALUE <= value <= MAX_ABS_VALUE:
                return value
            raise LineError(number, f"field {key!r}: {raw[:40]!r} is outside ±1e150")
    if last == "i":
        digits = raw[:-1]
        if (digits.isdigit() and digits.isascii()) or _INTEGER.fullmatch(digits):
            integer = int(digits)
            if -_INT64 <= integer < _INT64:
                return float(integer)
        raise LineError(number, f"field {key!r}: {raw[:40]!r} is not a 64-bit integer")
    if last == "u":
        if _UNSIGNED.fullmatch(raw, 0, len(raw) - 1):
            unsigned = int(raw[:-1])
            if unsigned < _UINT64:
                return float(unsigned)
        raise LineError(number, f"field {key!r}: {raw[:40]!r} is not a 64-bit unsigned integer")
    if _FLOAT.fullmatch(raw):
        value = float(raw)
        if -MAX_ABS_VALUE <= value <= MAX_ABS_VALUE:
            return value
        raise LineError(number, f"field {key!r}: {raw[:40]!r} is outside ±1e150")
    if raw in _BOOLEANS:
        return None
    raise LineError(number, f"field {key!r}: {raw[:40]!r} is not a number, boolean or quoted string")


def _timestamp(stamp: str, per_second: int, number: int) -> float:
    if not (stamp.isdigit() and stamp.isascii()) and not _STAMP.fullmatch(stamp):
        raise LineError(number, f"timestamp {stamp[:40]!r} is not an integer")
    # int / int is correctly rounded, so a microsecond timestamp comes back as that microsecond.
    ts = int(stamp) / per_second
    if not MIN_TS <= ts < END_TS or timestamp_problem(ts) is not None:  # as parse_timestamp
        raise LineError(number, f"timestamp is outside {TS_RANGE}")
    return ts


def selected_tags(setting: Sequence[str]) -> tuple[str, ...] | None:
    """LINE_PROTOCOL_TAGS as LineProtocol takes it: `*` is every tag (None)."""
    return None if list(setting) == ["*"] else tuple(setting)
