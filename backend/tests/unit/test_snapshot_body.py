"""POST /snapshots has one definition of its body, `SnapshotIn`: the OpenAPI schema published for it
and the parser accept and refuse the same bodies (beside the rules a schema cannot state: size,
nesting, NUL, from/to order, and what include_data needs, which the route checks after the token)."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import orjson
from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from chronoview.api.snapshots import MAX_EXPIRES_IN, MAX_FROZEN_HOURS, MAX_FROZEN_METRICS, _parse
from chronoview.main import create_app

PUBLISHED = create_app().openapi()["paths"]["/snapshots"]["post"]["requestBody"]
SCHEMA = jsonschema_rs.validator_for(PUBLISHED["content"]["application/json"]["schema"])


def _either(valid: list[Any], invalid: list[Any]) -> st.SearchStrategy[Any]:
    """Values on both sides of a field's types and bounds, valid ones more often."""
    return st.one_of(st.sampled_from(valid), st.sampled_from(invalid))


STATE = st.fixed_dictionaries({}, optional={
    "selectedMetric": _either([None, "cpu", "host-1:mem"], ["bad name", "", 1, ["cpu"]]),
    "selectedMetrics": _either([None, [], ["cpu", "gpu"], ["cpu"] * MAX_FROZEN_METRICS],
                               [["cpu"] * (MAX_FROZEN_METRICS + 1), ["bad name"], "cpu"]),
    "timeRangeHours": _either([None, 0.5, 1, 24.0, MAX_FROZEN_HOURS],
                              [0, -1, MAX_FROZEN_HOURS + 0.5, "1", True]),
    "layout": st.sampled_from([None, {}, {"panels": ["line"]}, [1, 2], "x"]),
    "theme": st.sampled_from(["dark", 3, None]),
})
BODY = st.fixed_dictionaries({}, optional={
    "state": st.one_of(STATE, st.sampled_from([None, [], "x", 1])),
    # True would need what freezing needs, which is the route's to judge (after the token).
    "include_data": _either([False], ["yes", 1, None]),
    "expires_in": _either([None, 1, 60.5, MAX_EXPIRES_IN], [0, -5, MAX_EXPIRES_IN + 1, "60", True]),
    "extra": st.just(1),
})


def accepted(body: dict[str, Any]) -> bool:
    try:
        _parse(orjson.dumps(body))
    except (RequestValidationError, HTTPException):
        return False
    return True


@settings(max_examples=500, deadline=None)
@given(BODY)
def test_the_published_schema_and_the_parser_agree(body: dict[str, Any]) -> None:
    assert SCHEMA.is_valid(body) == accepted(body), body


def test_the_body_is_required_and_documented() -> None:
    assert PUBLISHED["required"] is True
    schema = PUBLISHED["content"]["application/json"]["schema"]
    assert "$ref" not in orjson.dumps(schema).decode()  # inlined: the document has no $defs for it
    assert schema["properties"]["state"]["description"].startswith("Dashboard state")
    assert schema["then"]["properties"]["state"]["required"] == ["selectedMetric", "timeRangeHours"]
