"""The fast parser of POST /metrics accepts exactly what its model (PointsIn) accepts, to the same values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import pytest
from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from chronoview.api.metrics import PointsIn, _parse, _plain_points
from chronoview.config import METRIC_NAME
from chronoview.ingest import MAX_BATCH_POINTS
from chronoview.points import Point
from chronoview.schemas import PointIn
from chronoview.validation import KnownNames

NOW = 1_750_000_000.0
_model = TypeAdapter(PointIn)

ITEMS: list[Any] = [
    {"metric": "cpu", "value": 1.5},
    {"metric": "cpu", "value": 1.5, "ts": None},
    {"metric": "cpu", "value": 3, "ts": 1_700_000_000},
    {"metric": "cpu", "value": -0.0, "ts": 1_700_000_000.25},
    {"metric": "cpu", "value": 2**53, "ts": "2025-09-27T02:33:11.250Z"},
    {"metric": "cpu", "value": 2**60},  # exact as an int, not as a float: pydantic's call
    {"metric": "cpu", "value": 1.0, "ts": "2025-09-27 02:33:11"},
    {"metric": "cpu", "value": 1.0, "ts": "2025-09-27T04:33:11+02:00"},
    {"metric": "app.requests:5xx-rate_2", "value": 1.0},
    {"metric": "cpu", "value": True},
    {"metric": "cpu", "value": "1.5"},
    {"metric": "cpu", "value": None},
    {"metric": "cpu"},
    {"value": 1.0},
    {"metric": "cpu", "value": 1.0, "extra": 1},
    {"metric": "cpu", "value": 1.0, "ts": True},
    {"metric": "cpu", "value": 1.0, "ts": -1},
    {"metric": "cpu", "value": 1.0, "ts": 253_402_300_800},
    {"metric": "cpu", "value": 1.0, "ts": "yesterday"},
    {"metric": "cpu", "value": 1.0, "ts": [1]},
    {"metric": "", "value": 1.0},
    {"metric": "-cpu", "value": 1.0},
    {"metric": "cpu\n", "value": 1.0},
    {"metric": "c" * 101, "value": 1.0},
    {"metric": 5, "value": 1.0},
    {"metric": ["cpu"], "value": 1.0},  # unhashable: the name lookup raises, the model refuses
    {"metric": {"a": 1}, "value": 1.0, "ts": 1_700_000_000.0},
    {"metric": None, "value": 1.0},
    {"value": 1.0, "ts": 1_700_000_000.0, "extra": 1},  # three keys, not the three allowed
    {"metric": "cpu", "ts": 1_700_000_000.0, "extra": 1},
    {"metric": "cpu", "value": 1.0, "ts": 1.0},  # at the edge of the inline stamp check
    {"metric": "cpu", "value": 1.0, "ts": 0.5},
    {"metric": "cpu", "value": 1.0, "ts": 253_402_300_799.0},
    {"metric": "cpu", "value": 1.0, "ts": 253_402_300_799.9999999},
    {"metric": "cpu", "value": 1e150, "ts": 1_700_000_000.0},
    {"metric": "cpu", "value": -1e151, "ts": 1_700_000_000.0},
    ["cpu", 1.0],
    "cpu",
]


def expected(item: Any) -> Point | None:
    try:
        model = _model.validate_python(item)
    except ValidationError:
        return None
    return Point(model.metric, NOW if model.ts is None else model.ts, model.value)


@pytest.mark.parametrize("item", ITEMS, ids=[repr(i)[:50] for i in ITEMS])
def test_fast_path_agrees_with_the_model(item: Any) -> None:
    fast = _plain_points([item], NOW, KnownNames())
    want = expected(item)
    if want is None:
        assert fast is None  # pydantic then names the error
    elif fast is not None:  # None would only mean "let pydantic decide": slower, still right
        assert fast == [want]
        assert type(fast[0].value) is float
        assert type(fast[0].ts) is float


def test_ordinary_batches_take_the_fast_path() -> None:
    batch = [{"metric": f"m{i % 4}", "value": i * 0.5, "ts": NOW + i} for i in range(1000)]
    want = [Point(f"m{i % 4}", NOW + i, i * 0.5) for i in range(1000)]
    assert _plain_points(batch, NOW, KnownNames()) == want


def test_one_bad_point_sends_the_whole_batch_to_pydantic() -> None:
    batch: list[Any] = [{"metric": "cpu", "value": 1.0}] * 5 + [{"metric": "cpu", "value": "x"}]
    assert _plain_points(batch, NOW, KnownNames()) is None


# -- the whole body: `_parse` against the model of the body, PointsIn

_body = TypeAdapter(PointsIn)
numbers = (st.floats(allow_nan=False) | st.integers(-(2**63), 2**64 - 1) | st.booleans() | st.none()
           | st.text(max_size=3) | st.sampled_from([2**53, 2**53 + 1, -(2**53) - 1, 1e150, 1e151, -0.0]))
good_names = st.from_regex(METRIC_NAME.pattern.strip("^$"), fullmatch=True)
names = st.one_of(good_names, good_names, st.text(max_size=4),
                  st.sampled_from(["cpu\n", "", "-cpu", "c" * 100, "c" * 101, "é"]))
good_values = st.floats(-1e150, 1e150) | st.integers(-(2**53), 2**53)
values = st.one_of(good_values, good_values, numbers)
moments = st.datetimes(datetime(1970, 1, 2), datetime(9999, 12, 30), timezones=st.none() | st.timezones())
rfc3339 = st.builds(
    lambda moment, sep, zulu: moment.isoformat(sep).replace("+00:00", "Z" if zulu else "+00:00"),
    moments, st.sampled_from(["T", " ", "t"]), st.booleans(),
)
good_timestamps = rfc3339 | st.floats(0, 253_402_300_800.0) | st.integers(0, 253_402_300_800)
odd_timestamps = st.sampled_from(["2025-W01-1", "2025-09-27", "9999-12-31T23:59:59.9999999Z", "yes"])
timestamps = st.one_of(good_timestamps, good_timestamps, numbers, odd_timestamps)
good_points = st.fixed_dictionaries({"metric": good_names, "value": good_values},
                                    optional={"ts": good_timestamps})
points = st.fixed_dictionaries({"metric": names, "value": values},
                               optional={"ts": timestamps, "extra": numbers})
shapeless = st.dictionaries(st.sampled_from(["metric", "value", "ts", "x"]), numbers, max_size=3)
items = st.one_of(good_points, good_points, points, points, shapeless, numbers)
bodies = items | st.lists(st.one_of(good_points, good_points, good_points, items), max_size=4)


def by_model(document: Any) -> tuple[list[Point], bool] | None:
    try:
        parsed = _body.validate_python(document)
    except ValidationError:
        return None
    models = parsed if isinstance(parsed, list) else [parsed]
    return [Point(m.metric, NOW if m.ts is None else m.ts, m.value) for m in models], isinstance(parsed, list)


def by_parser(body: bytes) -> tuple[list[Point], bool] | None:
    try:
        return _parse(body, NOW, KnownNames())
    except (HTTPException, RequestValidationError):
        return None


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies)
def test_parse_accepts_and_rejects_exactly_what_the_model_does(document: Any) -> None:
    body = orjson.dumps(document)
    want = by_model(orjson.loads(body))  # the document as JSON carries it
    got = by_parser(body)
    assert got == want
    if got is not None:
        assert all(type(p.value) is float and type(p.ts) is float for p in got[0])


@pytest.mark.parametrize("size", [1, MAX_BATCH_POINTS, MAX_BATCH_POINTS + 1])
def test_parse_and_the_model_agree_on_the_batch_bound(size: int) -> None:
    document = [{"metric": "cpu", "value": 1.0}] * size
    refused = size > MAX_BATCH_POINTS
    assert (by_parser(orjson.dumps(document)) is None) == (by_model(document) is None) == refused


@settings(max_examples=300, deadline=None)
@given(names)
def test_known_names_answer_as_the_model_does(name: str) -> None:
    known = KnownNames()
    want = name if by_model({"metric": name, "value": 1.0}) is not None else None
    assert known.check(name) == want
    assert known.check(name) == want  # the remembered answer too


def test_known_names_stay_bounded() -> None:
    known = KnownNames(limit=3)
    for i in range(10):
        assert known.check(f"m{i}") == f"m{i}"
        assert len(known) <= 3
