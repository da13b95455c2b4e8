"""Parsing `hours`, `from` and `to` into a range."""

from __future__ import annotations

import pytest

from chronoview.timerange import RangeError, resolve_range

NOW = 1_758_940_391.0  # 2025-09-27T02:33:11Z


def test_hours_back_from_now() -> None:
    r = resolve_range(NOW, 720, hours=1.5)
    assert (r.start, r.end, r.hours) == (NOW - 5400, NOW, 1.5)


def test_nothing_given_is_the_last_hour() -> None:
    r = resolve_range(NOW, 720)
    assert (r.start, r.end, r.hours) == (NOW - 3600, NOW, 1.0)


@pytest.mark.parametrize(("raw", "expected"), [
    ("2025-09-27T02:33:11Z", NOW),
    ("2025-09-27T04:33:11+02:00", NOW),
    ("2025-09-27T02:33:11", NOW),  # no offset: UTC
    ("1758940391", NOW),
    ("1758940391.5", NOW + 0.5),
    (" 1758940391 ", NOW),
])
def test_from_forms(raw: str, expected: float) -> None:
    r = resolve_range(NOW + 10, 720, start=raw)
    assert r.start == expected
    assert r.end == NOW + 10
    assert r.hours is None


def test_hours_ending_at_to() -> None:
    r = resolve_range(NOW, 720, hours=2, end="2025-09-27T02:33:11Z")
    assert (r.start, r.end) == (NOW - 7200, NOW)


def test_blank_from_and_to_count_as_absent() -> None:
    r = resolve_range(NOW, 720, hours=1, start="", end=" ")
    assert (r.start, r.end) == (NOW - 3600, NOW)


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"hours": 0}, "hours"),
    ({"hours": -1}, "hours"),
    ({"hours": float("nan")}, "hours"),
    ({"hours": float("inf")}, "hours"),
    ({"hours": 721}, "hours"),
    ({"hours": 1, "start": "2025-09-27T00:00:00Z"}, "hours"),
    ({"start": "yesterday"}, "from"),
    ({"start": "1e99"}, "from"),
    ({"start": "2025-09-27T00:00:00Z", "end": "soon"}, "to"),
    ({"start": "2025-09-27T02:33:11Z", "end": "2025-09-27T02:33:11Z"}, "from"),
    ({"start": "2025-09-28T00:00:00Z", "end": "2025-09-27T00:00:00Z"}, "from"),
    ({"start": "2030-01-01T00:00:00Z"}, "from"),  # after now, with no `to`
])
def test_bad_ranges_name_the_parameter(kwargs: dict[str, object], param: str) -> None:
    with pytest.raises(RangeError) as caught:
        resolve_range(NOW, 720, **kwargs)  # type: ignore[arg-type]
    assert caught.value.param == param
