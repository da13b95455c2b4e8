"""The backlog's count of waiting items per key (what the ingest pipeline checks on each wake)."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from chronoview.backlog import Backlog

Item = tuple[str, ...]  # the metrics of an item's points, one per point


def backlog(limit: int) -> Backlog[Item]:
    return Backlog(len, limit, lambda item: set(item))


def recount(items: list[Item]) -> dict[str, int]:
    return dict(Counter(key for item in items for key in set(item)))


async def test_held_counts_the_waiting_items_of_each_key() -> None:
    pending = backlog(limit=4)
    pending.put(("a", "a", "b"))
    pending.put(("b",))
    pending.put(("c", "a"))
    assert pending.held == {"a": 2, "b": 2, "c": 1}
    assert pending.take() == [("a", "a", "b"), ("b",)]  # 4 points: the third would pass the limit
    assert pending.held == {"a": 1, "c": 1}
    assert pending.ready.is_set()
    assert pending.take() == [("c", "a")]
    assert pending.held == {}  # keys no waiting item holds are gone, not left at zero
    assert not pending.ready.is_set()


async def test_without_keys_nothing_is_counted() -> None:
    pending: Backlog[Item] = Backlog(len, 10)
    pending.put(("a",))
    assert pending.held == {}
    assert pending.take() == [("a",)]


@settings(derandomize=True, database=None, deadline=None, max_examples=200)
@given(st.lists(st.one_of(
    st.lists(st.sampled_from("abcd"), min_size=1, max_size=6).map(tuple),
    st.none(),  # a take
), max_size=40), st.integers(1, 8))
def test_held_always_matches_the_waiting_items(steps: list[Item | None], limit: int) -> None:
    pending = backlog(limit)
    waiting: list[Item] = []
    for step in steps:
        if step is None:
            taken = pending.take()
            assert taken == waiting[: len(taken)]
            waiting = waiting[len(taken):]
        else:
            pending.put(step)
            waiting.append(step)
        assert pending.held == recount(waiting)
        assert pending.items == waiting
