"""Great Expectations in a process of its own, beside the night's process.

In the night's own process GX cost a warm 10 000-person night ~5 s of its one busy core
(docs/benchmarks.md): the import (~1.6 s, most of it GX's own modules), a checkpoint per
table, and the Data Docs. Here, `start()` spawns one worker process as the night starts
(`helhedsdata run` calls it before Dagster's definitions load), so GX is imported on the
second core while the first loads Dagster. The suites still gate the load: a source step
waits for its validations. The Data Docs gate nothing: they are rendered in the worker
when `release()` is called as dbt starts (the sources are done by then), while dbt runs.
After a night of KEEP_BELOW_ROWS validated rows or more the worker then exits, so its memory
is returned before dbt's peak; a smaller night's worker stays for the next night in the
same process, and the exit hooks at the end of this module stop it.

The worker is sent what `expectations.sample()` takes of a table (at most SAMPLE_ROWS rows)
and the suite as loaded here, and returns a `SuiteResult`: plain values, so this process
never imports GX. A night that did not call `start()` (a run the daemon or the UI launched)
starts the worker at its first validation.

Once the sources are validated, a kept worker also takes other work off the night's process
(`preload`, `beside`, `answer`, at the end of this module): the status reports.
"""
from __future__ import annotations

import atexit
import importlib
import itertools
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.context
import multiprocessing.util
import os
import sys
import threading
import types
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import wait as futures_wait
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from pathlib import Path

import pyarrow as pa

from warehouse import expectations as E

log = logging.getLogger(__name__)

# A night that validated fewer rows than this keeps its worker when it releases it: its dbt
# needs no memory headroom (a 100 000-person night validates ~1.2 million rows and peaks at ~1.1
# GB, a 1 000 000-person one ~12 million and ~2.7 GB), and the next night in the same process
# (the test suite, `helhedsdata rebuild` over several entries) uses it instead of importing GX
# again in a new one (~2.5 s per night).
KEEP_BELOW_ROWS = 1_000_000


class _WorkerProcess(multiprocessing.context.SpawnProcess):
    """The worker's process, which ends as soon as its pool tells it to: its interpreter's own
    teardown (GX's modules) took ~1 s while the night's process waited for it at exit."""

    def run(self) -> None:
        super().run()  # returns when the pool sent its end; an error propagates as usual
        # multiprocessing's own exit work, which os._exit would skip: it releases what this
        # process registered with the resource tracker (GX makes a semaphore here; left, the
        # tracker warns of a leak on the night's stderr). Its answers need nothing more: they
        # go through a SimpleQueue, written as they are put. Only its prints may sit in a buffer.
        multiprocessing.util._exit_function()
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
        os._exit(0)


class _WorkerContext(multiprocessing.context.SpawnContext):
    Process = _WorkerProcess


_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_used = False  # whether the current worker was asked anything (else stop() need not wait for it)
_rows = 0  # rows of the tables validated since the worker was last released
_docs: dict[Path, list[str]] = {}  # Data Docs still to render: docs folder -> result tokens
# What finish() and stop() wait for: Data Docs a kept worker renders, and the exit of each
# released worker (a thread running its shutdown, so that release() itself need not wait).
_pending: list[Callable[[], object]] = []


def start() -> ProcessPoolExecutor:
    """Spawn the worker and let it import GX now (idempotent); the worker."""
    global _pool
    with _lock:
        if _pool is None:
            # spawn, not fork: the night's process runs threads (Dagster, DuckDB), and a fork
            # copies their locks in whatever state they are.
            pool = ProcessPoolExecutor(1, mp_context=_WorkerContext(), initializer=_warm)
            # The worker needs nothing of __main__ (its functions live in this module), but spawn
            # would run the main script again in it, which a script that starts a night at its
            # top level (no `if __name__ == "__main__":`) cannot survive. The pool spawns its
            # one process at its first task, here, and never again (a dead worker breaks the pool).
            main = sys.modules["__main__"]
            sys.modules["__main__"] = types.ModuleType("__main__")
            try:
                pool.submit(int)
            finally:
                sys.modules["__main__"] = main
            _pool = pool
        return _pool


def validate(name: str, table: pa.Table, extract_date: date | None = None, control_count: int | None = None,
             docs_dir: Path | None = None, run_name: str | None = None) -> Future:
    """`expectations.validate` in the worker; a Future of its SuiteResult (read it with
    `result`). The suite is read here, in this process, so what the night's process reads
    is what is validated."""
    global _used, _rows
    part, step = E.sample(table)
    args = (name, part, table.num_rows, step, extract_date, control_count, docs_dir, E.load_suite(name), run_name)
    pool = start()
    with _lock:
        _used = True
        _rows += table.num_rows
    try:
        future = pool.submit(_validate, *args)
    except BrokenProcessPool:  # the worker died since its last task: a new one
        _forget(pool)
        pool = start()
        future = pool.submit(_validate, *args)
    future.pool = pool  # the worker that answers it (`result`)
    return future


class WorkerDied(RuntimeError):
    pass


# How long the night waits for one answer. A validation of a sample (at most 50 000 rows) takes
# 0.1-0.2 s, and a new worker's start (importing GX) a few seconds: a worker silent this long
# is hung, and it holds the night, which holds the warehouse's lock, until it is stopped.
ANSWER_WITHIN_S = 600.0


def result(future: Future) -> E.SuiteResult:
    """The SuiteResult of a `validate` Future. A worker that ended meanwhile (killed, out of
    memory, or GX failed to start in it), or that gives no answer within ANSWER_WITHIN_S (it
    is then stopped), is a fault of the machine, not of the data: WorkerDied, and the next
    validation starts a new worker."""
    return answer(future, "Great Expectations' worker process",
                  died=" (killed, out of memory, or GX failed to start in it: see the run's stderr)", hung=" (hung)",
                  see="; see docs/runbook.md, 'Great Expectations Data Docs'")


def answer(future: Future, worker: str = "the worker process", died: str = "", hung: str = "", see: str = ""):
    """The answer of a Future of this module (`validate`, `beside`); its own exception when the
    work raised one. WorkerDied, worded with `worker`, `died`/`hung` and `see`, when the worker
    ended (its pool is then forgotten) or gave no answer within ANSWER_WITHIN_S (it is then
    stopped): the next task starts a new worker, and a caller of `beside` may do the work itself."""
    try:
        return future.result(timeout=ANSWER_WITHIN_S)
    except (BrokenProcessPool, CancelledError) as e:  # cancelled: another waiter stopped it as hung
        _forget(future.pool)
        raise WorkerDied(f"{worker} ended before it answered{died}{see}") from e
    except TimeoutError:
        _stop_hung(future.pool)
        raise WorkerDied(f"{worker} gave no answer within {ANSWER_WITHIN_S:.0f} s{hung} and was stopped{see}") from None


def _stop_hung(pool: ProcessPoolExecutor) -> None:
    """Stop a worker that does not answer; what waits on it gets BrokenProcessPool."""
    _forget(pool)
    _terminate(pool)
    pool.shutdown(wait=False, cancel_futures=True)


def _terminate(pool: ProcessPoolExecutor) -> None:
    # SIGKILL, not SIGTERM: a worker inherits the signals its night's process ignores, and
    # one that ignored SIGTERM outlived its stop (seen in `make test`, stop 27). It holds
    # nothing that needs a clean exit.
    for p in list((getattr(pool, "_processes", None) or {}).values()):
        p.kill()


def _forget(pool: ProcessPoolExecutor) -> None:
    """Drop a dead worker, and the Data Docs it held results for (they died with it)."""
    global _pool
    with _lock:
        if _pool is not pool:
            return
        _pool = None
        lost = sum(len(t) for t in _docs.values())
        _docs.clear()
    if lost:
        log.warning("Great Expectations' worker died: the Data Docs of %d earlier validations are not rendered", lost)


def build_docs(docs_dir: Path, results: list[E.SuiteResult]) -> None:
    """Render the Data Docs of these results in the worker when `release()` or `stop()`
    is called, with those of every other source (one index page)."""
    tokens = [t for r in results for t in r.docs_ids]
    if tokens:
        with _lock:
            pending = _docs.setdefault(docs_dir, [])
            pending.extend(t for t in tokens if t not in pending)


def release(keep_small: bool = True) -> None:
    """No more validations in this night: render the pending Data Docs and let the worker
    exit, without waiting for either (`finish()` and `stop()` wait). A worker that validated
    fewer than KEEP_BELOW_ROWS rows since it was last released is kept (with `keep_small`)."""
    global _pool, _used, _rows
    with _lock:
        pool = _pool
        used, rows = _used, _rows
        keep = keep_small and used and rows < KEEP_BELOW_ROWS
        if not keep:
            _pool, _used = None, False
        _rows = 0
        pending = dict(_docs)
        _docs.clear()
    if pool is None:
        return
    if not used:
        # Asked nothing (a run with nothing to do): it need not finish importing GX first. A
        # worker that answered is asked to end instead, and ends at once (_WorkerProcess): one
        # killed as it waits for a task leaves a semaphore the resource tracker warns of.
        _terminate(pool)
    waits = []
    try:
        for docs, tokens in pending.items():
            f = pool.submit(_build_docs, docs, tokens)
            f.add_done_callback(_report_docs_failure)  # reported there; waiting raises nothing
            waits.append(lambda f=f: futures_wait([f]))
    except BrokenProcessPool:
        log.error("Great Expectations Data Docs were not rendered: the worker process died")
    if not keep:
        # shutdown(wait=True) returns once the tasks are done and the process has exited; in a
        # thread of its own, so that this night goes on meanwhile.
        waiter = threading.Thread(target=pool.shutdown, name="gx-worker-exit")
        waiter.start()
        waits = [waiter.join]
    with _lock:
        _pending.extend(waits)


def finish() -> None:
    """The night is over: its Data Docs are rendered and a released worker has exited when
    this returns; a small night's worker stays for the next night in this process."""
    release()
    _wait()


def stop() -> None:
    """Render what is pending and wait until every worker this process started has exited."""
    release(keep_small=False)
    _wait()


def _wait() -> None:
    while True:
        with _lock:
            if not _pending:
                return
            wait = _pending.pop()
        wait()


def _report_docs_failure(f: Future) -> None:
    # The Data Docs are a view of the results, not a gate: a failure to render them is
    # reported, and the night goes on.
    if f.exception() is not None:
        log.error("Great Expectations Data Docs were not rendered: %s", f.exception())


# --- other work beside the night ------------------------------------------------------------
# Once the sources are validated, a small night's kept worker only renders the Data Docs. The
# night's own process is the one that sets the night's length (one busy core: Python's GIL, shared
# by Dagster and dbt), so work that needs nothing of it is done here instead: the status reports
# (matplotlib's import ~0.5 s and the charts ~0.4 s at 10 000 persons). Named as "module:function"
# and answered in plain values, so that this process need not import the module either.

def preload(module: str) -> None:
    """Let the kept worker import `module` now, after what it was given before; nothing when
    this process has no worker."""
    beside(f"{__name__}:_import", module)


def beside(target: str, *args) -> Future | None:
    """`target` ("module:function") called with `args` in the kept worker: a Future of its
    plain-valued answer (read it with `answer`), or None when this process has no worker, and
    the caller does the work itself."""
    with _lock:
        pool = _pool
    if pool is None:
        return None
    try:
        future = pool.submit(_call, target, *args)
    except (BrokenProcessPool, RuntimeError):  # died, or shut down meanwhile
        _forget(pool)
        return None
    future.pool = pool
    return future


# At exit, stop() renders what is pending and waits for the worker, in two hooks (it runs once):
# - one of threading's exit hooks, which run before atexit's (the latest registered first), so
#   before concurrent.futures' own, after which a pool takes no task;
# - a multiprocessing finaliser, for a process that is itself a multiprocessing child (Dagster's
#   code server runs each run so): its exit joins its children before either hook above, and
#   would wait for ever on a worker nobody released.
getattr(threading, "_register_atexit", atexit.register)(stop)
multiprocessing.util.Finalize(None, stop, exitpriority=100)


# --- in the worker ---------------------------------------------------------------------------

_RESULTS: dict[str, E.SuiteResult] = {}  # token -> result whose Data Docs are not rendered yet
_tokens = itertools.count()


def _warm() -> None:
    # A worker whose night's process was killed (the OOM killer, kill -9) must not live on:
    # spawn's pipe from the parent closes when it dies, and then the worker exits too.
    parent = multiprocessing.parent_process()
    if parent is not None:
        def exit_with_parent():
            multiprocessing.connection.wait([parent.sentinel])
            os._exit(1)

        threading.Thread(target=exit_with_parent, name="gx-worker-parent", daemon=True).start()
    E.warm_context()


def _validate(name, part, rows, step, extract_date, control_count, docs_dir, suite, run_name) -> E.SuiteResult:
    try:
        r = E.validate_sample(name, part, rows, step, extract_date, control_count, docs_dir, suite,
                              run_name, defer_docs=docs_dir is not None)
    except Exception as e:
        # Re-raised as a plain error: unpickling a GX exception would import GX in the
        # night's process. GX's messages name expectations and columns, not values.
        raise RuntimeError(f"Great Expectations failed on suite {name}: {type(e).__name__}: {e}") from None
    if not r.docs_ids:
        return r
    # The GX identifiers stay here; the night's process gets a token naming this worker and
    # the result, so a token of a worker that died is recognised as such by the next one.
    token = f"{os.getpid()}:{next(_tokens)}:{name}"
    _RESULTS[token] = r
    return E.SuiteResult(r.suite, r.success, r.rows, r.rows_validated, r.failed, r.evaluated, r.seconds, [token])


def _build_docs(docs_dir: Path, tokens: list[str]) -> None:
    results = [_RESULTS.pop(t) for t in dict.fromkeys(tokens) if t in _RESULTS]
    try:
        E.build_docs(docs_dir, results)
    except Exception as e:  # plain, as in _validate: this process must not import GX to read it
        raise RuntimeError(f"{type(e).__name__}: {e}") from None
    missing = len(set(tokens)) - len(results)
    if missing:
        raise RuntimeError(f"{missing} validation result(s) were held by a worker that died; "
                           f"{len(results)} rendered")


def _import(module: str) -> None:
    importlib.import_module(module)


def _call(target: str, *args):
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)(*args)
