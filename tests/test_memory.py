"""orchestration/memory.py: what a run does to the Python heap before and during its work."""
import gc

import pytest

from orchestration import memory


@pytest.fixture
def unfrozen(monkeypatch):
    was = memory._frozen
    gc.unfreeze()  # a run earlier in this process may have frozen its objects
    monkeypatch.setattr(memory, "_frozen", False)
    yield
    gc.unfreeze()
    if was:
        gc.freeze()


def test_what_is_loaded_is_frozen_once_and_what_comes_later_is_still_collected(unfrozen):
    loaded = [{"n": i} for i in range(1000)]
    memory.freeze_loaded_objects()
    frozen = gc.get_freeze_count()
    assert frozen > len(loaded)
    assert not any(o is loaded for o in gc.get_objects())  # out of the collector's generations

    class Cycle:
        pass

    a, b = Cycle(), Cycle()
    a.other, b.other = b, a
    del a, b
    assert gc.collect() >= 2  # garbage made after the freeze is still found
    memory.freeze_loaded_objects()  # a second run in the same process freezes nothing more
    assert gc.get_freeze_count() == frozen


def test_garbage_present_at_the_freeze_is_collected_not_frozen(unfrozen):
    import weakref

    class Cycle:
        pass

    gc.disable()  # only the function's own collection may find the cycle
    try:
        a = Cycle()
        a.me = a
        ref = weakref.ref(a)
        del a
        assert ref() is not None
        memory.freeze_loaded_objects()
        assert ref() is None
    finally:
        gc.enable()
