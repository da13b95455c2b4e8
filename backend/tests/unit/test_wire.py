"""The wire message: the fast encoder (points.encode_all) writes what ScoredPointOut defines, byte
for byte what the encoder before it (a dict per point through orjson) wrote."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from chronoview.points import Point, Score, ScoredPoint, encode_all, format_ts
from chronoview.schemas import PointData, ScoredPointOut
from chronoview.validation import END_TS, MAX_ABS_VALUE

finite = st.floats(-MAX_ABS_VALUE, MAX_ABS_VALUE, allow_nan=False)
optional = st.none() | finite
names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}", fullmatch=True)
scores = st.builds(Score, optional, st.booleans(), optional, optional | st.floats(0, 1e75),
                   st.integers(0, 2**31), st.sampled_from(["normal", "pending", "firing"]),
                   st.integers(0, 1000), st.integers(1, 2**53))
points = st.builds(Point, names, st.floats(0.0, END_TS - 1.0), finite)
# Groups repeat metrics and seconds, and hold values orjson writes with exponents (1e-7, 1e16).
edgy = st.sampled_from([0.0, -0.0, 1e-7, -2.5e-12, 1e16, 123456789012345680.0, 1e150, -1e150, 0.1])
stamps = st.sampled_from([1.75e9, 1.75e9 + 0.0005, 1.75e9 + 0.9999996]) | st.floats(0.0, END_TS - 1.0)
grouped = st.builds(Point, st.sampled_from(["cpu", "mem.used", "a:b-c_d"]) | names, stamps, edgy | finite)
group_scores = st.builds(Score, edgy | optional, st.booleans(), edgy | optional, optional,
                         st.integers(0, 2**31), st.sampled_from(["normal", "pending", "firing"]),
                         st.integers(0, 3), st.integers(1, 2**53))


def one_at_a_time(scored: ScoredPoint) -> bytes:
    """The encoder before encode_all: the message as a dict, through orjson, point by point."""
    point, score = scored.point, scored.score
    message: dict[str, Any] = {
        "type": "metric",
        "data": {"metric": point.metric, "value": point.value, "ts": format_ts(point.ts)},
        "alert": score.alert, "zscore": score.zscore, "mean": score.mean, "std": score.std,
        "n": score.n, "state": score.state, "seq": score.seq,
    }
    if score.pending:
        message["pending"] = score.pending
    return orjson.dumps(message)


def modelled(scored: ScoredPoint) -> ScoredPointOut:
    """The message built from the model's fields, not from the encoder's output."""
    point, score = scored.point, scored.score
    return ScoredPointOut(
        data=PointData(metric=point.metric, value=point.value, ts=format_ts(point.ts)),
        alert=score.alert, zscore=score.zscore, mean=score.mean, std=score.std, n=score.n,
        state=score.state, seq=score.seq, pending=score.pending or None,  # type: ignore[arg-type]
    )


@settings(max_examples=500, deadline=None)
@given(points, scores)
def test_the_encoder_writes_the_model(point: Point, score: Score) -> None:
    scored = ScoredPoint(point, score)
    wire = scored.encode()
    model = modelled(scored)
    fast, slow = orjson.loads(wire), orjson.loads(model.model_dump_json())
    assert fast == slow
    assert list(fast) == list(slow)  # the same keys in the same order
    assert ScoredPointOut.model_validate_json(wire) == model  # nothing the model does not define


def test_pending_is_sent_only_while_there_is_a_count() -> None:
    calm = ScoredPoint(Point("cpu", 1.75e9, 1.0), Score(None, False, None, None, 0))
    assert "pending" not in orjson.loads(calm.encode())
    assert "pending" not in orjson.loads(modelled(calm).model_dump_json())
    counting = ScoredPoint(Point("cpu", 1.75e9, 9.0), Score(4.0, True, 1.0, 2.0, 30, "pending", 2))
    assert orjson.loads(counting.encode())["pending"] == 2


@settings(max_examples=300, deadline=None)
@given(st.lists(st.builds(ScoredPoint, grouped, group_scores), max_size=40))
def test_a_group_is_encoded_byte_for_byte_as_one_point_at_a_time(group: list[ScoredPoint]) -> None:
    encoded = encode_all(group)
    assert encoded == [one_at_a_time(item) for item in group]
    for item, wire in zip(group, encoded, strict=True):
        assert ScoredPointOut.model_validate_json(wire) == modelled(item)
