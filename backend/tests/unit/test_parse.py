"""The batch fast path of POST /metrics accepts only what PointIn accepts, to the same values."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from chronoview.api.metrics import _plain_points
from chronoview.points import Point
from chronoview.schemas import PointIn

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
    fast = _plain_points([item], NOW)
    want = expected(item)
    if want is None:
        assert fast is None  # pydantic then names the error
    elif fast is not None:  # None would only mean "let pydantic decide": slower, still right
        assert fast == [want]
        assert type(fast[0].value) is float
        assert type(fast[0].ts) is float


def test_ordinary_batches_take_the_fast_path() -> None:
    batch = [{"metric": f"m{i % 4}", "value": i * 0.5, "ts": NOW + i} for i in range(1000)]
    assert _plain_points(batch, NOW) == [Point(f"m{i % 4}", NOW + i, i * 0.5) for i in range(1000)]


def test_one_bad_point_sends_the_whole_batch_to_pydantic() -> None:
    batch: list[Any] = [{"metric": "cpu", "value": 1.0}] * 5 + [{"metric": "cpu", "value": "x"}]
    assert _plain_points(batch, NOW) is None
