"""The garbage collector's policy in a started server process (main.settle_collector)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from chronoview.main import YOUNG_COLLECTION_THRESHOLD
from tests.apps import MakeClient


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.set_threshold(*threshold)
    gc.unfreeze()


@pytest.mark.usefixtures("restored_collector")
def test_a_started_app_freezes_what_start_up_built_and_collects_young_objects_less_often(
    make_client: MakeClient,
) -> None:
    gc.set_threshold(700, 10, 10)
    gc.unfreeze()
    make_client()
    assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, 10, 10)
    assert gc.get_freeze_count() > 0
