"""The wire message: the fast encoder (points.ScoredPoint.encode) writes what ScoredPointOut defines."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from chronoview.points import Point, Score, ScoredPoint, format_ts
from chronoview.schemas import PointData, ScoredPointOut
from chronoview.validation import END_TS, MAX_ABS_VALUE

finite = st.floats(-MAX_ABS_VALUE, MAX_ABS_VALUE, allow_nan=False)
optional = st.none() | finite
names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}", fullmatch=True)
scores = st.builds(Score, optional, st.booleans(), optional, optional | st.floats(0, 1e75),
                   st.integers(0, 2**31), st.sampled_from(["normal", "pending", "firing"]),
                   st.integers(0, 1000), st.integers(1, 2**53))
points = st.builds(Point, names, st.floats(0.0, END_TS - 1.0), finite)


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
