"""How a run process holds memory: Arrow's allocator, the garbage collector, and memory the
readers freed given back to the operating system before dbt runs.

The readers build and drop multi-GB Arrow tables and DuckDB results (1 000 000 persons: Momentum
alone peaks at ~2.7 GB). Freed, that memory stays with the process: glibc keeps it in its
arenas and Arrow's allocator in its pages, so the `helhedsdata run` process still held
~1.3 GB of nothing when dbt's DuckDB, in the same process, began filling its 2 GB buffer pool
(measured in docs/benchmarks.md, "Memory"). Both allocators can be asked to return it.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os

_frozen = False

# Collect the youngest generation after 10 000 new container objects instead of Python's 700 (then
# every 10th of those the middle one, every 10th of those everything). A night allocates millions
# of short-lived objects (dbt's events and contexts, Dagster's records): with the defaults the
# collector ran ~1 400 times a small night. Two runs of the sample inbox, collector time (gc
# callbacks; frozen as below): 4.1 s -> 2.4 s, full collections 13 -> 3.
GC_THRESHOLDS = (10_000, 10, 10)


def tune_garbage_collector() -> None:
    """Before a run (HelhedsdataResource's set-up), once per process: exempt what is loaded (Dagster, dbt, GX, the definitions:
    ~310 000 objects) from the cyclic garbage collector, and collect less often (GC_THRESHOLDS).
    Each full collection walked all of the loaded objects: 0.4 s apiece, 8 in two runs of the
    sample inbox (2.9 s; 1.9 s frozen; docs/benchmarks.md, stop 28), one in each run
    `release_freed_memory`'s. The loaded objects live as long as the process; what a run
    creates is collected as before, if less often."""
    global _frozen
    if not _frozen:
        gc.collect()  # what is already garbage is not frozen with the rest
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        _frozen = True


# Momentum and Opera at 1 000 000 persons read in a new process, 6 runs each way: 6.95 -> 6.6 s
# wall, system CPU 2.1 -> 1.8 s, page faults 0.89 -> 0.80 million, peak 1.77 -> 1.83 GB (5 000 ms:
# 6.6 s but 2.15 GB; docs/benchmarks.md, stop 36). `release_freed_memory` still returns them before dbt.
JEMALLOC_DECAY_MS = 2000


def use_jemalloc_for_arrow() -> None:
    """Before a run, once per process: the readers' Arrow buffers from jemalloc, not Arrow's
    default mimalloc, unless ARROW_DEFAULT_MEMORY_POOL names one. With mimalloc a process's first
    large read spent ~2 s more system CPU than its later ones (Momentum at 1 000 000 persons,
    a new process each time: 6.0-6.4 s wall, 3.2-3.8 s system CPU; jemalloc 5.2-5.5 s, 1.5 s;
    docs/benchmarks.md, stop 30). A night reads each extract once, in a new process: it always
    paid the first read's price. Arrays made before the switch keep their own pool."""
    import pyarrow as pa

    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        # Pages a reader freed are kept JEMALLOC_DECAY_MS for the next buffer instead of going back
        # to the OS at once (Arrow's default, ~1 s) and being faulted in and zeroed again.
        pa.jemalloc_set_decay_ms(JEMALLOC_DECAY_MS)
    except NotImplementedError:  # a pyarrow built without jemalloc keeps its default
        pass


def release_freed_memory() -> None:
    """Return freed heap pages to the OS (Arrow's pool, then glibc's arenas); a no-op where
    the C library has no `malloc_trim` (musl, macOS)."""
    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return
    trim.argtypes = [ctypes.c_size_t]
    trim(0)
