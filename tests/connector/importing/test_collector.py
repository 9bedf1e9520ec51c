"""The collector settings of a large import are the import's alone: restored afterwards."""

from __future__ import annotations

import gc

import pytest

from connector.importing.collector import fewer_collections


def test_the_heap_is_frozen_during_the_block_and_handed_back_after_it() -> None:
    thresholds = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    with fewer_collections():
        assert gc.get_freeze_count() > 0  # what existed before is left out of collections
        assert gc.get_threshold()[0] > thresholds[0]
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == thresholds


def test_settings_are_restored_when_the_block_fails() -> None:
    thresholds = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("a rejected import")
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == thresholds


def test_a_heap_frozen_by_the_process_itself_stays_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with fewer_collections():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
