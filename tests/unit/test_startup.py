"""The handlers' start-up pause of the cyclic garbage collector."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from handlers.startup import collection_paused


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generation of every collection that runs during the test; the frozen set undone after."""
    seen: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(note)
    yield seen
    gc.callbacks.remove(note)
    gc.unfreeze()
    gc.enable()


def _make_cycles(count: int) -> list[list[object]]:
    cycles = []
    for _ in range(count):
        cycle: list[object] = []
        cycle.append(cycle)
        cycles.append(cycle)
    return cycles


def test_given_start_up_work_then_nothing_is_collected_during_it_and_it_is_frozen_after(
    collections: list[int],
) -> None:
    # Given the collector on, When start-up allocates far past the collection threshold
    frozen_before = gc.get_freeze_count()
    with collection_paused():
        built = _make_cycles(50 * gc.get_threshold()[0])
    # Then no collection ran inside, the collector is on again, and what was built is frozen
    assert collections == []
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen_before + len(built)
    # and collection works as before afterwards
    _make_cycles(5 * gc.get_threshold()[0])
    assert collections


def test_given_a_failing_start_up_then_the_collector_is_on_again(collections: list[int]) -> None:
    with pytest.raises(RuntimeError), collection_paused():
        raise RuntimeError("the environment is incomplete")
    assert gc.isenabled()


def test_given_the_collector_off_before_then_it_stays_off(collections: list[int]) -> None:
    gc.disable()
    with collection_paused():
        pass
    assert not gc.isenabled()


def test_given_the_publish_handler_imported_then_the_collector_is_on() -> None:
    import handlers.publish  # noqa: F401 - imported for its start-up

    assert gc.isenabled()
