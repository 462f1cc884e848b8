"""Great Expectations in its own process (warehouse/gx_worker.py): the same results as in
the night's process, the suite the night's process reads, Data Docs rendered when the worker
is released, and a night's process that never imports GX."""
import subprocess
import sys
import textwrap
from dataclasses import asdict
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from sources import momentum
from sources.contract import output_schema
from tests.conftest import SAMPLES
from tests.reader_helpers import drifted_suite_loader
from warehouse import expectations as E
from warehouse import gx_worker

REPO = Path(__file__).resolve().parent.parent


def _comparable(r: E.SuiteResult) -> dict:
    return {k: v for k, v in asdict(r).items() if k not in ("seconds", "docs_ids")}


def _maalgruppe(rows: int) -> pa.Table:
    """`rows` rows of momentum/maalgruppe, every third with a code no seed holds."""
    schema = output_schema(momentum.CONTRACTS["maalgruppe"])
    return pa.Table.from_pylist([
        {"source_row": i + 1, "person_key": i - 2**62, "foedselsdato": date(1980, 1, 1),
         "maalgruppe_code": "ZZ" if i % 3 == 0 else "6.1", "maalgruppe_name": "x", "start_date": date(2020, 1, 1),
         "end_date": None, "afslutningsaarsag": None, "extract_date": date(2021, 3, 1)} for i in range(rows)],
        schema=schema)


@pytest.mark.slow  # a worker of its own, importing GX (and GX in this process too)
def test_the_worker_gives_what_the_night_process_gives(sample_extract_tables):
    extract_date, tables, counts = sample_extract_tables
    futures = {n: gx_worker.validate(f"momentum__{n}", t, extract_date, counts[n]) for n, t in tables.items()}
    for n, t in tables.items():
        here = E.validate(f"momentum__{n}", t, extract_date, counts[n])
        there = futures[n].result()
        assert here.success and _comparable(there) == _comparable(here), n
    # a table above SAMPLE_ROWS is sampled here; the worker is told the whole table's size
    big = _maalgruppe(E.SAMPLE_ROWS + 7)
    there = gx_worker.validate("momentum__maalgruppe", big, date(2021, 3, 1), big.num_rows).result()
    here = E.validate("momentum__maalgruppe", big, date(2021, 3, 1), big.num_rows)
    assert not there.success and _comparable(there) == _comparable(here)
    assert there.rows == E.SAMPLE_ROWS + 7 and there.rows_validated < E.SAMPLE_ROWS


def test_the_worker_validates_the_suite_this_process_reads(monkeypatch):
    table = _maalgruppe(5)
    table = table.set_column(3, "maalgruppe_code", pa.array(["6.1"] * 5))
    assert gx_worker.validate("momentum__maalgruppe", table, date(2021, 3, 1)).result().success
    monkeypatch.setattr(E, "load_suite", drifted_suite_loader(E.load_suite, "momentum__maalgruppe",
                                                              "maalgruppe_code", lambda v: False))
    r = gx_worker.validate("momentum__maalgruppe", table, date(2021, 3, 1)).result()
    assert not r.success
    assert [(f["expectation"], f["column"], f["unexpected_count"]) for f in r.failed] == [
        ("expect_column_values_to_be_in_set", "maalgruppe_code", 5)]


@pytest.mark.slow  # a fresh interpreter and a fresh worker, each importing what a night imports
def test_a_script_without_a_main_guard_validates_in_the_worker_without_importing_gx(tmp_path):
    """The night's process: a script starting the worker at its top level (spawn would run it
    again in the worker), Data Docs only once the worker is released, and no GX in this
    process at any point."""
    script = tmp_path / "night.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        from datetime import date
        from pathlib import Path
        from sources import momentum
        from sources.contract import output_schema
        from warehouse import gx_worker

        docs = Path({str(tmp_path / "data_docs")!r})
        gx_worker.start()
        tables = {{n: output_schema(c).empty_table() for n, c in momentum.CONTRACTS.items()}}
        futures = [gx_worker.validate(f"momentum__{{n}}", t, date(2021, 3, 1), 0, docs, run_name="night-1")
                   for n, t in tables.items()]
        results = [f.result() for f in futures]
        assert all(r.success for r in results), [r.failed for r in results]
        gx_worker.build_docs(docs, results)
        assert not (docs / "index.html").exists(), "rendered before the worker was released"
        gx_worker.stop()
        index = (docs / "index.html").read_text()
        assert all(f"momentum__{{n}}" in index for n in tables) and "night-1" in index
        assert "great_expectations" not in sys.modules
        import multiprocessing
        assert multiprocessing.active_children() == []
        print("ok")
    """), encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "ok"


def test_an_error_in_the_worker_reaches_the_night_as_a_plain_error(monkeypatch):
    def broken(name, *args, **kwargs):
        suite = original(name)
        suite["expectations"].append({"type": "expect_no_such_thing", "kwargs": {}, "meta": {}})
        return suite

    original = E.load_suite
    monkeypatch.setattr(E, "load_suite", broken)
    with pytest.raises(RuntimeError, match="Great Expectations failed on suite momentum__samtale: AttributeError"):
        gx_worker.validate("momentum__samtale", output_schema(momentum.CONTRACTS["samtale"]).empty_table()).result()


@pytest.fixture(scope="module")
def sample_extract_tables(pseudonym_key):
    ext = momentum.read_extract(momentum.find_extracts(SAMPLES)[0], pseudonym_key, SAMPLES)
    return ext.extract_date, ext.tables, ext.row_counts


@pytest.mark.slow  # a fresh interpreter and a fresh worker, each importing what a night imports
def test_data_docs_pending_at_exit_are_rendered_before_the_process_ends(tmp_path):
    """A run that never reaches dbt (a source-only run from the UI) releases the worker only
    at exit: the Data Docs are rendered then, before concurrent.futures stops its pools."""
    script = tmp_path / "source_only.py"
    script.write_text(textwrap.dedent(f"""
        from datetime import date
        from pathlib import Path
        from sources import momentum
        from sources.contract import output_schema
        from warehouse import gx_worker

        docs = Path({str(tmp_path / "data_docs")!r})
        table = output_schema(momentum.CONTRACTS["samtale"]).empty_table()
        result = gx_worker.validate("momentum__samtale", table, date(2021, 3, 1), 0, docs, run_name="r").result()
        gx_worker.build_docs(docs, [result])
    """), encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr[-3000:]
    assert "momentum__samtale" in (tmp_path / "data_docs" / "index.html").read_text()


def _worker_busy_for(seconds: float):
    """(table, a first validation, the worker's pid, a validation waiting behind a task that
    keeps the worker busy for `seconds`)."""
    import os
    import time

    table = output_schema(momentum.CONTRACTS["samtale"]).empty_table()
    first = gx_worker.validate("momentum__samtale", table)
    assert gx_worker.result(first).success
    pid = first.pool.submit(os.getpid).result()
    first.pool.submit(time.sleep, seconds)  # busy: the next validation waits behind it
    return table, first, pid, gx_worker.validate("momentum__samtale", table)


def _running(pid: int) -> bool:
    """Whether the process runs: one that ended but was not yet reaped by the pool's thread (a
    zombie, which `kill(pid, 0)` still finds; seen on a loaded machine) does not."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _assert_replaced(first, pid: int, table) -> None:
    """The next validation gets a new worker, and it answers."""
    import os

    again = gx_worker.validate("momentum__samtale", table)
    assert gx_worker.result(again).success
    assert again.pool is not first.pool and again.pool.submit(os.getpid).result() != pid


@pytest.mark.slow  # a worker of its own, importing GX (and GX in this process too)
def test_a_worker_that_dies_is_reported_as_such_and_the_next_validation_gets_a_new_one():
    import os
    import signal

    table, first, pid, waiting = _worker_busy_for(30)
    os.kill(pid, signal.SIGKILL)  # killed mid-night (the kernel's OOM killer, an operator)
    with pytest.raises(gx_worker.WorkerDied, match="worker process ended before it answered"):
        gx_worker.result(waiting)
    _assert_replaced(first, pid, table)


@pytest.mark.slow  # a worker of its own, importing GX, stopped and started again
def test_a_worker_that_gives_no_answer_is_stopped_and_the_next_validation_gets_a_new_one(monkeypatch):
    """A hung worker would hold the night, and with it the warehouse's lock, for ever: after
    ANSWER_WITHIN_S the night stops it and fails the step as a fault of the machine. Also
    when the night's process ignores SIGTERM, which a worker it starts inherits (seen in
    `make test`: such a worker outlived its stop)."""
    import signal
    import time

    gx_worker.stop()  # a new worker, started while SIGTERM is ignored
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        table, first, pid, waiting = _worker_busy_for(60)  # hung
    finally:
        signal.signal(signal.SIGTERM, previous)
    # Only now: the first validation may have to start a worker (GX's import, a few seconds).
    monkeypatch.setattr(gx_worker, "ANSWER_WITHIN_S", 1.0)
    started = time.monotonic()
    with pytest.raises(gx_worker.WorkerDied, match="gave no answer within 1 s"):
        gx_worker.result(waiting)
    assert time.monotonic() - started < 10
    for _ in range(300):  # stopped, not left hanging
        if not _running(pid):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the hung worker is still running")
    monkeypatch.setattr(gx_worker, "ANSWER_WITHIN_S", 600.0)
    _assert_replaced(first, pid, table)


def _spawned_night(docs: str) -> None:
    """A night in a process that is itself a multiprocessing child, as Dagster's code server
    runs each run: validates, leaves its Data Docs pending, and returns."""
    from warehouse import gx_worker as w

    table = output_schema(momentum.CONTRACTS["samtale"]).empty_table()
    w.build_docs(Path(docs), [w.result(w.validate("momentum__samtale", table, date(2021, 3, 1), 0, Path(docs), "r"))])


@pytest.mark.slow  # a spawned process and its worker, each importing what a night imports
def test_a_night_in_a_multiprocessing_child_exits_with_its_docs_rendered(tmp_path):
    import multiprocessing

    docs = tmp_path / "data_docs"
    p = multiprocessing.get_context("spawn").Process(target=_spawned_night, args=(str(docs),))
    p.start()
    p.join(180)
    alive = p.is_alive()
    if alive:
        p.kill()
    assert not alive, "the process waited for ever on a worker nobody released"
    assert p.exitcode == 0
    assert "momentum__samtale" in (docs / "index.html").read_text()


@pytest.mark.slow  # an interpreter of its own and its worker
def test_the_worker_exits_when_the_night_process_is_killed(tmp_path):
    import os
    import time

    script = tmp_path / "killed.py"
    script.write_text(textwrap.dedent("""
        import os, signal
        from warehouse import gx_worker
        pool = gx_worker.start()
        print(pool.submit(os.getpid).result(), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """), encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], cwd=REPO, capture_output=True, text=True, timeout=300)
    worker = int(out.stdout.strip())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and os.path.exists(f"/proc/{worker}"):
        time.sleep(0.2)
    assert not os.path.exists(f"/proc/{worker}"), "the worker outlived its night's process"


@pytest.mark.slow  # ends the shared worker: the next test starts a new one
def test_data_docs_survive_repeated_and_foreign_tokens(tmp_path):
    docs = tmp_path / "data_docs"
    tables = {n: output_schema(c).empty_table() for n, c in momentum.CONTRACTS.items() if n in ("samtale", "tilbud")}
    results = [gx_worker.result(gx_worker.validate(f"momentum__{n}", t, date(2021, 3, 1), 0, docs, "r"))
               for n, t in tables.items()]
    gx_worker.build_docs(docs, results)
    gx_worker.build_docs(docs, results)  # the same results twice (a gather retried)
    gx_worker.build_docs(docs, [E.SuiteResult("momentum__maalgruppe", True, 0, 0, [], 1, 0.0, ["1:0:x"])])
    gx_worker.stop()  # a token of a worker that died: reported, the others rendered
    index = (docs / "index.html").read_text()
    assert "momentum__samtale" in index and "momentum__tilbud" in index


@pytest.mark.slow  # ends the shared worker: the next test starts a new one
def test_a_small_night_keeps_its_worker_for_the_next_and_a_big_one_lets_it_exit(monkeypatch):
    import os

    small = _maalgruppe(10)
    first = gx_worker.validate("momentum__maalgruppe", small)
    pid = first.pool.submit(os.getpid).result()
    gx_worker.finish()  # a small night: kept
    again = gx_worker.validate("momentum__maalgruppe", small)
    assert again.pool is first.pool and gx_worker.result(again).rows == 10
    monkeypatch.setattr(gx_worker, "KEEP_BELOW_ROWS", 10)  # now 10 rows are a big night
    gx_worker.finish()
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/status").read().count("zombie")
    later = gx_worker.validate("momentum__maalgruppe", small)
    assert later.pool is not first.pool and gx_worker.result(later).success is False  # every third code is ZZ


@pytest.mark.slow  # ends the shared worker twice: each next validation starts a new one
def test_at_the_end_a_kept_worker_ends_at_once_after_multiprocessings_own_exit_work(tmp_path):
    """stop() (the process's end) asks a kept worker to end, idle or with a task still running
    (a Data Docs build, say), which it finishes first. The worker then runs multiprocessing's
    exit work (what it registered with the resource tracker is released) and skips the
    interpreter's teardown (GX's modules: ~1 s the night's process waited for)."""
    import time

    for busy in (False, True):
        first = gx_worker.validate("momentum__maalgruppe", _maalgruppe(10))
        assert gx_worker.result(first).rows == 10
        gx_worker.finish()  # a small night: kept
        assert gx_worker._pool is first.pool
        [process] = first.pool._processes.values()
        finalised, torn_down = tmp_path / f"finalised-{busy}", tmp_path / f"torn-down-{busy}"
        first.pool.submit(exec, "import atexit, multiprocessing.util, pathlib\n"
                                f"multiprocessing.util.Finalize(None, pathlib.Path({str(finalised)!r}).touch, exitpriority=0)\n"
                                f"atexit.register(pathlib.Path({str(torn_down)!r}).touch)").result()
        task = first.pool.submit(time.sleep, 1.0) if busy else None
        gx_worker.stop()
        assert process.exitcode == 0  # asked to end, not killed
        assert finalised.exists() and not torn_down.exists()
        if busy:
            assert task.done() and task.exception() is None


@pytest.mark.slow  # an interpreter of its own and its worker
def test_a_small_nights_process_ends_with_nothing_on_its_stderr(tmp_path):
    """Its kept worker is stopped at exit; what either process registered with
    multiprocessing's resource tracker is released (a leak shows as a warning on stderr,
    in every night's log)."""
    script = tmp_path / "small_night.py"
    script.write_text(textwrap.dedent("""
        from sources import momentum
        from sources.contract import output_schema
        from warehouse import gx_worker
        table = output_schema(momentum.CONTRACTS["samtale"]).empty_table()
        assert gx_worker.validate("momentum__samtale", table).result().success
        gx_worker.finish()  # a small night: its worker is kept until the process ends
        print("ok")
    """), encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert (out.returncode, out.stdout, out.stderr) == (0, "ok\n", "")


@pytest.mark.slow  # kills the shared worker: the next validation starts a new one
def test_a_worker_that_died_between_nights_is_replaced_at_the_next_validation():
    import os
    import signal
    import time

    table = output_schema(momentum.CONTRACTS["samtale"]).empty_table()
    first = gx_worker.validate("momentum__samtale", table)
    assert gx_worker.result(first).success
    pid = first.pool.submit(os.getpid).result()
    os.kill(pid, signal.SIGKILL)  # idle: nobody is waiting on it
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not first.pool._broken:  # the pool notices on its own
        time.sleep(0.1)
    later = gx_worker.validate("momentum__samtale", table)  # submit finds the pool broken
    assert later.pool is not first.pool and gx_worker.result(later).success


# --- other work beside the night (`preload`, `beside`, `answer`) --------------------------------

def _kept_worker() -> int:
    """A small night's worker, kept after its release; its pid."""
    import os

    table = _maalgruppe(5).set_column(3, "maalgruppe_code", pa.array(["6.1"] * 5))
    assert gx_worker.result(gx_worker.validate("momentum__maalgruppe", table, date(2021, 3, 1))).success
    gx_worker.release()
    pid = gx_worker.answer(gx_worker.beside("os:getpid"))
    assert pid != os.getpid()
    return pid


def test_without_a_worker_the_caller_does_the_work_itself():
    gx_worker.stop()
    gx_worker.preload("report.build")  # nothing to warm: no error
    assert gx_worker.beside("os:getpid") is None


def test_the_status_reports_are_built_in_the_kept_worker_as_here(tmp_path):
    """The night's status reports (orchestration/assets/report.py): the same files and the same
    plain answer as built in this process; the report's own error comes back as itself."""
    from report.build import build_summaries
    from report.published import NoPublication
    from tests.report_helpers import plans, soenderborg_publication

    _kept_worker()
    gx_worker.preload("report.build")
    pub = soenderborg_publication(tmp_path / "publication.duckdb")
    there = gx_worker.answer(gx_worker.beside("report.build:build_summaries", pub, plans(), tmp_path / "there"))
    here = build_summaries(pub, plans(), tmp_path / "here")
    assert [{**r, "path": r["path"].name} for r in there] == [{**r, "path": r["path"].name} for r in here]
    assert len(here) == 2 and all(r["path"].parent == tmp_path / "there" for r in there)
    for page in ["index.html", *(r["path"].name for r in here)]:
        assert (tmp_path / "there" / page).read_bytes() == (tmp_path / "here" / page).read_bytes(), page
    with pytest.raises(NoPublication):
        gx_worker.answer(gx_worker.beside("report.build:build_summaries", tmp_path / "none.duckdb", plans(),
                                          tmp_path / "none"))
