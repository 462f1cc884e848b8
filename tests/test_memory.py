"""orchestration/memory.py: what a run does to the Python heap before and during its work."""
import gc

import pytest

from orchestration import memory


@pytest.fixture
def unfrozen(monkeypatch):
    was, thresholds = memory._frozen, gc.get_threshold()
    gc.unfreeze()  # a run earlier in this process may have frozen its objects
    monkeypatch.setattr(memory, "_frozen", False)
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    if was:
        gc.freeze()


def test_what_is_loaded_is_frozen_once_the_collector_runs_less_often_and_what_comes_later_is_still_collected(unfrozen):
    loaded = [{"n": i} for i in range(1000)]
    gc.set_threshold(700, 10, 10)
    memory.tune_garbage_collector()
    frozen = gc.get_freeze_count()
    assert frozen > len(loaded)
    assert gc.get_threshold() == memory.GC_THRESHOLDS
    assert not any(o is loaded for o in gc.get_objects())  # out of the collector's generations

    class Cycle:
        pass

    a, b = Cycle(), Cycle()
    a.other, b.other = b, a
    del a, b
    assert gc.collect() >= 2  # garbage made after the freeze is still found
    memory.tune_garbage_collector()  # a second run in the same process freezes nothing more
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
        memory.tune_garbage_collector()
        assert ref() is None
    finally:
        gc.enable()


def test_every_run_process_tunes_the_collector_when_its_resources_are_set_up(unfrozen):
    """The resource every asset uses is set up once per run, in the run's process, whoever
    launched it (`helhedsdata run`, the schedule, the sensor, the UI)."""
    import dagster as dg

    from orchestration.resources import HelhedsdataResource

    gc.set_threshold(700, 10, 10)
    HelhedsdataResource().setup_for_execution(dg.build_init_resource_context())
    assert gc.get_threshold() == memory.GC_THRESHOLDS and gc.get_freeze_count() > 0


def _pool_of_a_run_process(env: dict) -> str:
    """The backend of Arrow's default pool in a new process after a run's resource set-up (a
    process of its own: the pool is chosen once per process)."""
    import os
    import subprocess
    import sys

    code = ("import dagster as dg, pyarrow as pa\n"
            "from orchestration.resources import HelhedsdataResource\n"
            "HelhedsdataResource().setup_for_execution(dg.build_init_resource_context())\n"
            "print(pa.default_memory_pool().backend_name)")
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"} | env
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.slow  # interpreters of its own, each importing what a night imports
def test_a_run_process_takes_arrow_buffers_from_jemalloc_unless_the_environment_names_a_pool():
    import pyarrow as pa

    pa.jemalloc_memory_pool()  # this pyarrow has jemalloc (raises otherwise): the test means something
    assert _pool_of_a_run_process({}) == "jemalloc"
    assert _pool_of_a_run_process({"ARROW_DEFAULT_MEMORY_POOL": "system"}) == "system"


def test_jemalloc_keeps_freed_pages_for_the_decay_asked_for_and_an_environment_pool_is_left_alone(monkeypatch):
    """The run's jemalloc pool keeps pages a reader freed for memory.JEMALLOC_DECAY_MS (they are
    reused instead of faulted in again); a pool named in the environment is not touched."""
    import pyarrow as pa

    calls = []
    monkeypatch.setattr(pa, "set_memory_pool", lambda pool: calls.append(("pool", pool)))
    monkeypatch.setattr(pa, "jemalloc_memory_pool", lambda: "jemalloc")
    monkeypatch.setattr(pa, "jemalloc_set_decay_ms", lambda ms: calls.append(("decay", ms)))
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    memory.use_jemalloc_for_arrow()
    assert calls == [("pool", "jemalloc"), ("decay", memory.JEMALLOC_DECAY_MS)] and memory.JEMALLOC_DECAY_MS > 1000
    calls.clear()
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")
    memory.use_jemalloc_for_arrow()
    assert calls == []


def test_a_run_hashes_with_one_pseudonymizer_until_its_readers_are_done(monkeypatch):
    """Every reader of a run shares one Pseudonymizer (its cache of hashed persons); dbt's step
    drops it, and a later call makes a new one."""
    from orchestration.resources import HelhedsdataResource

    monkeypatch.setenv("HELHEDSDATA_PSEUDONYM_KEY", "k" * 32)
    r = HelhedsdataResource()
    first = r.pseudonymizer()
    assert r.pseudonymizer() is first
    r.forget_pseudonyms()
    assert r.pseudonymizer() is not first
