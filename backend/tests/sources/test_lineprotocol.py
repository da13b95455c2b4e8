"""The line-protocol parser against the protocol reference's examples, and the naming rule.

Examples are from https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/ (with a
numeric field added where the reference's example has only strings, since only numbers become
points). The reference's names are checked through `_scan` (what the scanner reads, before the
metric-name alphabet applies) as well as through the metric names they become.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chronoview.config import is_metric_name
from chronoview.points import Point
from chronoview.sources.lineprotocol import (
    PRECISION_V1,
    PRECISION_V2,
    LineError,
    LineProtocol,
    TooManyPoints,
    metric_name,
    selected_tags,
)

NOW = 1_700_000_000.0
NS = PRECISION_V2["ns"]


def parse(text: str, per_second: int = NS,
          tags: tuple[str, ...] | None = None) -> list[tuple[str, float, float]]:
    return [(p.metric, p.ts, p.value) for p in LineProtocol(tags).parse(text, per_second, NOW)]


def names(text: str) -> list[str]:
    return [metric for metric, _, _ in parse(text)]


# (line, the metric names it gives): every escaping case of the reference.
ESCAPES = [
    # measurement: comma and space escaped
    (r'my\,Measurement fieldKey="string value",n=1', ["my_Measurement.n"]),
    (r'my\ Measurement fieldKey="string value",n=1', ["my_Measurement.n"]),
    # tag keys and values: comma, equals sign and space escaped
    (r"myMeasurement,tag\ Key1=tag\ Value1,tag\,Key2=tag\,Value2 fieldKey=100",
     ["myMeasurement.tag_Value1.tag_Value2.fieldKey"]),
    (r"myMeasurement,tagKey=tag\=Value fieldKey=1", ["myMeasurement.tag_Value.fieldKey"]),
    # field keys: comma, equals sign and space escaped
    (r"myMeasurement field\ Key=1,field\,Key=2,field\=Key=3",
     ["myMeasurement.field_Key"] * 3),
    # string field values: double quote and backslash escaped; commas, spaces, = need nothing
    (r'myMeasurement fieldKey="\"string\" within a string",n=1', ["myMeasurement.n"]),
    (r'myMeasurement fieldKey="C:\\Example",n=2', ["myMeasurement.n"]),
    (r'myMeasurement fieldKey="a, b = c d",n=3', ["myMeasurement.n"]),
    # the reference's all-in-one example: quotes in a measurement and a tag value are literal
    (r'"measurement\ with\ quo⚡es\ and\ emoji",tag\ key\ with\ sp🚀ces=tag\,value\,with"commas" '
     r'field_k\ey="string field value, only \" need be esc🍭ped",n=1',
     ["measurement_with_quo_es_and_emoji_.tag_value_with_commas_.n"]),
    # equals sign in a measurement needs no escape
    ("my=Measurement n=1", ["my_Measurement.n"]),
]


@pytest.mark.parametrize(("line", "expected"), ESCAPES)
def test_every_escaping_case_of_the_reference(line: str, expected: list[str]) -> None:
    assert names(line) == expected


def test_the_scanner_unescapes_exactly_as_the_reference_says() -> None:
    """What the scanner reads before the name alphabet applies (seen through LINE_PROTOCOL_TAGS
    naming a key with special characters, and through the cache of series names)."""
    parser = LineProtocol(("tag Key1", "tag,Key2"))
    points = parser.parse(r"my\,Meas\ ure\=x,tag\ Key1=a\ b,tag\,Key2=c\,d\=e f=1", NS, NOW)
    assert [p.metric for p in points] == ["my_Meas_ure__x.a_b.c_d_e.f"]
    series = parser._names  # the raw series text → its measurement and selected tag values
    assert next(iter(series.values()))[""] == r"my,Meas ure\=x.a b.c,d=e"


def test_backslashes_follow_the_reference_table() -> None:
    # `\\` is one backslash (then "_"); a backslash before an ordinary character stays.
    parser = LineProtocol(("t",))
    for raw, read in ((r"a\b", r"a\b"), (r"a\\b", r"a\b"), (r"a\\\b", r"a\\b"), (r"a\\\\b", r"a\\b")):
        parser._names.clear()
        parser.parse(f"m,t={raw} f=1", NS, NOW)
        assert next(iter(parser._names.values()))[""] == f"m.{read}", raw


@pytest.mark.parametrize(("line", "value"), [
    ("myMeasurement fieldKey=1.0", 1.0),
    ("myMeasurement fieldKey=1", 1.0),
    ("myMeasurement fieldKey=-1.234456e+78", -1.234456e78),
    ("myMeasurement fieldKey=1i", 1.0),
    ("myMeasurement fieldKey=12485903i", 12485903.0),
    ("myMeasurement fieldKey=-12485903i", -12485903.0),
    ("myMeasurement fieldKey=1u", 1.0),
    ("myMeasurement fieldKey=12485903u", 12485903.0),
    ("myMeasurement fieldKey=9223372036854775807i", 9.223372036854776e18),
    ("myMeasurement fieldKey=18446744073709551615u", 1.8446744073709552e19),
    ("myMeasurement fieldKey=.5", 0.5),
    ("myMeasurement fieldKey=1.", 1.0),
    ("myMeasurement fieldKey=1E5", 1e5),
])
def test_numeric_field_types(line: str, value: float) -> None:
    assert parse(line) == [("myMeasurement.fieldKey", NOW, value)]


@pytest.mark.parametrize("boolean", ["t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"])
def test_booleans_and_strings_are_skipped(boolean: str) -> None:
    assert parse(f'm b={boolean},s="text",n=2') == [("m.n", NOW, 2.0)]
    assert parse(f"m b={boolean}") == []
    assert parse('m s="only a string" 1556813561098000000') == []


def test_a_string_field_may_hold_newlines_and_line_numbers_count_them() -> None:
    body = 'syslog,host=a message="first\nsecond, with = and \\" quote\nthird",n=1 1\nm x=2 2\nbad\n'
    with pytest.raises(LineError, match=r"^line 5: ") as caught:
        parse(body)
    assert caught.value.line == 5
    assert parse(body.removesuffix("bad\n")) == [("syslog.a.n", 1e-9, 1.0), ("m.x", 2e-9, 2.0)]


def test_comments_blank_lines_whitespace_and_crlf() -> None:
    body = ("# This is a comment\n\n   \n  # indented comment\n"
            "myMeasurement fieldKey=1 1556813561098000000\r\n"
            "\tother n=2\r\n"
            "spaced  n=3   1556813561098000000  \n")
    assert parse(body) == [("myMeasurement.fieldKey", 1556813561.098, 1.0),
                           ("other.n", NOW, 2.0), ("spaced.n", 1556813561.098, 3.0)]


@pytest.mark.parametrize(("precision", "stamp", "ts"), [
    ("ns", "1556813561098765432", 1556813561.098765432),
    ("us", "1556813561098765", 1556813561.098765),
    ("ms", "1556813561098", 1556813561.098),
    ("s", "1556813561", 1556813561.0),
])
def test_every_precision(precision: str, stamp: str, ts: float) -> None:
    v1 = {"ns": "n", "us": "u"}.get(precision, precision)
    for per_second in (PRECISION_V2[precision], PRECISION_V1[v1]):
        assert parse(f"m x=1 {stamp}", per_second) == [("m.x", ts, 1.0)]
    # correctly rounded: the microsecond sent is the microsecond stored
    micros = round(parse(f"m x=1 {stamp}", PRECISION_V2[precision])[0][1] * 1e6)
    assert micros == int(stamp[:16].ljust(16, "0"))


BAD = [
    ("m", "missing fields"),
    ("m ", "a field must be key=value"),
    (",t=1 x=1", "missing measurement"),
    ("m,t x=1", "tag"),
    ("m,t= x=1", "tag"),
    ("m,=v x=1", "tag"),
    ("m x", "a field must be key=value"),
    ("m x=", "field 'x' has no value"),
    ("m =1", "a field must be key=value"),
    ("m x=1,", "a field must be key=value"),
    ("m,a=b=c x=1", "missing fields"),
    ("m, x=1", "a tag must be key=value"),
    ("m x=+1", "'+1' is not a number"),
    ("m x=nan", "'nan' is not a number"),
    ("m x=inf", "'inf' is not a number"),
    ("m x=1_000", "is not a number"),
    ("m x=0x10", "is not a number"),
    ("m x=yes", "is not a number"),
    ("m x=1.2.3", "is not a number"),
    ("m x=-1u", "unsigned"),
    ("m x=18446744073709551616u", "unsigned"),
    ("m x=9223372036854775808i", "64-bit integer"),
    ("m x=1.5i", "64-bit integer"),
    ('m x="open', "no closing quote"),
    (r'm\\ x="open', "no closing quote"),  # \\ is a backslash: the space delimits
    ("m x=1 12.5", "timestamp '12.5' is not an integer"),
    ("m x=1 1e9", "timestamp"),
    ("m x=1 1 2", "unexpected '2'"),
    ("m x=1e151", "outside ±1e150"),
    ("m x=-1e200", "outside ±1e150"),
    ("m x=1e400", "outside ±1e150"),
    ("m x=1 -1", "timestamp is outside"),
    ("m x=1 253402300800000000000", "timestamp is outside"),
    ("___ ___=1", "no usable metric name"),
]


@pytest.mark.parametrize(("line", "reason"), BAD)
def test_a_bad_line_is_named_with_its_number(line: str, reason: str) -> None:
    body = f"# header\nok x=1\n{line}\nok y=2\n"
    with pytest.raises(LineError) as caught:
        parse(body)
    assert str(caught.value).startswith("line 3: "), caught.value
    assert reason in str(caught.value)


def test_values_and_timestamps_at_the_limits_are_accepted() -> None:
    assert parse("m x=1e150,y=-1e150 0") == [("m.x", 0.0, 1e150), ("m.y", 0.0, -1e150)]
    assert parse("m x=1 253402300799", 1) == [("m.x", 253402300799.0, 1.0)]


def test_naming_rule_and_tag_order() -> None:
    assert names("cpu,host=web1 usage=3") == ["cpu.web1.usage"]
    # every tag, in tag-key order, whatever order the line has them in
    assert names("cpu,region=eu,cpu=cpu0,host=web1 usage_idle=3") == ["cpu.cpu0.web1.eu.usage_idle"]
    # characters outside the name alphabet become "_"; names start with a letter or digit
    assert names("_internal,path=/var/log user@x=1") == ["internal._var_log.user_x"]
    assert names("cpu,host=web1.example.com:8080 a-b=1") == ["cpu.web1.example.com:8080.a-b"]


def test_line_protocol_tags_selects_and_orders_tag_values() -> None:
    line = "cpu,region=eu,cpu=cpu0,host=web1 usage=3"
    assert [m for m, _, _ in parse(line, tags=("host", "cpu"))] == ["cpu.web1.cpu0.usage"]
    assert [m for m, _, _ in parse(line, tags=("host", "missing"))] == ["cpu.web1.usage"]
    assert [m for m, _, _ in parse(line, tags=())] == ["cpu.usage"]
    assert selected_tags(["*"]) is None
    assert selected_tags(["host"]) == ("host",)
    assert selected_tags([]) == ()


def test_long_names_are_shortened_deterministically() -> None:
    long_host = "h" * 120
    line = f"cpu,host={long_host} usage=1,idle=2"
    full_usage, full_idle = f"cpu.{long_host}.usage", f"cpu.{long_host}.idle"
    usage, idle = names(line)
    assert usage == f"{full_usage[:91]}-{hashlib.sha256(full_usage.encode()).hexdigest()[:8]}"
    assert idle == f"{full_idle[:91]}-{hashlib.sha256(full_idle.encode()).hexdigest()[:8]}"
    assert len(usage) == len(idle) == 100
    assert usage != idle  # though their first 91 characters are the same
    assert names(line) == [usage, idle]  # one series, request after request
    assert is_metric_name(usage)
    exactly_100 = "m" * 98 + ".x"
    assert metric_name(exactly_100) == exactly_100


def test_many_lines_and_series_keep_input_order() -> None:
    body = "\n".join(f"cpu,host=h{i % 3} a={i},b={i}i {i}" for i in range(1, 301))
    points = parse(body, 1)
    assert len(points) == 600
    assert points[:4] == [("cpu.h1.a", 1.0, 1.0), ("cpu.h1.b", 1.0, 1.0),
                          ("cpu.h2.a", 2.0, 2.0), ("cpu.h2.b", 2.0, 2.0)]


# The fast path (str.split) and the scanner read the same lines the same way.
_token = st.text(alphabet=st.sampled_from('abcXYZ019_.-:/@"= ,'), min_size=1, max_size=8)
_value = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e150, max_value=1e150).map(repr),
    st.integers(-(2**63), 2**63 - 1).map(lambda i: f"{i}i"),
    st.integers(0, 2**64 - 1).map(lambda i: f"{i}u"),
    st.sampled_from(["t", "false", "1.", ".5", "1e5", "-0", '""', '"ok"', '"a b"', '"x,y=z"', '"q\\"q"']),
    # What float() takes and the protocol does not, or the other way round; and words.
    st.sampled_from(["1_0", "+1", "-inf", "inf", "nan", "-nan", "Infinity", "1e", "1e+", ".", "-", "-.",
                     "1.5.", "0x10", "\u0661", "1\u0662", "1e999", "-1e999", "1e150", "1.0000001e150",
                     "00.5", "-.5e-3", "1E+05", "9i", "1.5i", "-3u", "TRUE", "tRUE"]),
    st.text(alphabet=st.sampled_from("0123456789.-+eE_inu "), min_size=1, max_size=6).filter(
        lambda t: " " not in t),
)
_line = st.builds(
    lambda m, tags, fields, stamp: m + "".join(f",{k}={v}" for k, v in tags) + " "
    + ",".join(f"{k}={v}" for k, v in fields) + ("" if stamp is None else f" {stamp}"),
    _token.filter(lambda t: t[0] != "#"),
    st.lists(st.tuples(_token, _token), max_size=3),
    st.lists(st.tuples(_token.filter(lambda t: '"' not in t), _value), min_size=1, max_size=4),
    st.one_of(st.none(), st.integers(0, 253_402_300_799_000_000_000)),
)


def _outcome(read: Callable[[list[Point]], object]) -> list[Point] | str:
    out: list[Point] = []
    try:
        read(out)
    except LineError as exc:
        return str(exc)
    return out


@settings(max_examples=400, deadline=None)
@given(st.lists(_line, min_size=1, max_size=5))
def test_the_fast_path_and_the_scanner_agree(lines: list[str]) -> None:
    def scan_each(out: list[Point]) -> None:
        scanner = LineProtocol()
        for number, line in enumerate(lines, 1):
            scanner._scan(line, 0, number, NS, NOW, out)

    scanned = _outcome(scan_each)
    assert _outcome(lambda out: out.extend(LineProtocol().parse("\n".join(lines), NS, NOW))) == scanned
    if isinstance(scanned, list):
        assert all(is_metric_name(p.metric) for p in scanned)
    plain = [line for line in lines if '"' not in line]  # these go through _plain alone
    fast = LineProtocol()
    for number, line in enumerate(plain, 1):
        assert _outcome(lambda out: fast._plain(line, number, NS, NOW, out)) == _outcome(  # noqa: B023
            lambda out: LineProtocol()._scan(line, 0, number, NS, NOW, out))  # noqa: B023


@pytest.mark.parametrize("string_field", ["", ',s="a b"'])
def test_reading_stops_past_the_limit(string_field: str) -> None:
    """Past `limit` points the rest of the body is not read (here: a bad line is never reached)."""
    body = "\n".join(f"m a=1,b=2{string_field} {i}" for i in range(6)) + "\nbad line"
    assert len(LineProtocol().parse(body.removesuffix("\nbad line"), NS, NOW, limit=12)) == 12
    with pytest.raises(TooManyPoints, match="more than 9 points"):
        LineProtocol().parse(body, NS, NOW, limit=9)


def test_error_messages_quote_at_most_40_characters_of_input() -> None:
    with pytest.raises(LineError) as caught:
        parse("m x=" + "9" * 1000 + "z")
    assert len(str(caught.value)) < 120
    assert re.match(r"^line 1: field 'x': '9+' is not", str(caught.value))


def _by_pattern(raw: str) -> float | str | None:
    """A field value read as the protocol's float pattern reads it (the reference for _number)."""
    if re.fullmatch(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?", raw):
        value = float(raw)
        return value if abs(value) <= 1e150 else "outside"
    return None if raw in ("t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE") else "bad"


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789.-+eE_xnaftT \u0661\u00b2"), min_size=1, max_size=7)
       .filter(lambda t: t[-1] not in "iu"))
def test_a_field_value_is_a_float_exactly_when_the_pattern_says(raw: str) -> None:
    """_number reads floats with float() behind a guard: it must take what the pattern takes, no more."""
    try:
        got: float | str | None = parse(f"m x={raw} 1", 1)[0][2] if " " not in raw else _by_pattern(raw)
    except IndexError:
        got = None
    except LineError as exc:
        got = "outside" if "outside" in str(exc) else "bad"
    assert got == _by_pattern(raw)


def test_a_timestamp_of_other_scripts_digits_is_refused() -> None:
    with pytest.raises(LineError, match="is not an integer"):
        parse("m x=1 \u00b9\u00b2", 1)


@pytest.mark.parametrize("stamp", [
    "0", "1", "999999999", "1000000000", "1000000001", "0001750000000000000000",
    "253402300798999999999", "253402300799000000000", "253402300799999999000", "253402300799999999999",
    "253402300800000000000", "-1", "-1000000000", "+5", "1\u0662",
])
def test_stamps_at_the_edges_of_the_fast_path_read_as_the_scanner_reads_them(stamp: str) -> None:
    """_plain checks the usual stamp inline and leaves the rest to _timestamp: both agree with the
    scanner on each side of the range it takes inline (1 s .. year 9999 minus 1 s)."""
    line = f"m,h=a f=1.5,g=2i {stamp}"
    fast = _outcome(lambda out: LineProtocol()._plain(line, 1, NS, NOW, out))
    assert fast == _outcome(lambda out: LineProtocol()._scan(line, 0, 1, NS, NOW, out))
    # The last microsecond of 9999 does not survive as a double of seconds: it rounds to 10000.
    if stamp.isascii() and stamp.isdigit() and int(stamp) <= 253_402_300_799 * NS:
        assert isinstance(fast, list)
        assert [p.ts for p in fast] == [int(stamp) / NS] * 2
    else:
        assert isinstance(fast, str)
        assert "line 1: timestamp" in fast
