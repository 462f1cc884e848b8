import contextlib
import os
import sys
from pathlib import Path

import duckdb
import pytest

from warehouse.config import Settings
from sources.pseudonym import Pseudonymizer

TEST_KEY = "helhedsdata-test-key-not-secret-0123456789"
# The spec's sample inbox, copied into the repo so any clone can run the tests.
SAMPLES = Path(__file__).resolve().parent / "samples" / "inbox"


# Fixtures that run the pipeline once and serve many tests. Under pytest-xdist each
# worker would run its own copy, so the tests sharing one go to one worker together.
SHARED_RUNS = ("generated_run", "small_pg_run")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Test folders (inboxes, homes, Dagster's SQLite storage) on tmpfs where there is one: a
    pipeline run writes ~900 events to SQLite, each a commit; on disk they cost about half of
    a small run's wall time (one hand-made scenario, 2 busy cores: 91 s on disk, 44 s here).
    Only the folder moves; what the tests run and assert does not. `--basetemp` or
    PYTEST_DEBUG_TEMPROOT win."""
    shm = Path("/dev/shm")
    if config.option.basetemp is None and shm.is_dir() and os.access(shm, os.W_OK):
        os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", str(shm))
    if _is_xdist_controller(config) and config.getoption("dist") == "loadgroup":
        import tempfile

        config._helhedsdata_groups_dir = tempfile.mkdtemp(prefix="helhedsdata-test-groups-")
        os.environ[GROUPS_DIR_ENV] = config._helhedsdata_groups_dir


def pytest_unconfigure(config):
    folder = getattr(config, "_helhedsdata_groups_dir", None)
    if folder:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop(GROUPS_DIR_ENV, None)


# The fast tests that validate with Great Expectations, in this process or through the shared
# GX worker: on one pytest worker together. Each process that imports GX pays ~5 s of CPU on the
# 2-core machine; spread over both workers, the fast loop imported it four times (two pytest
# workers, two GX workers). A slow test there starts a worker of its own anyway.
GX_MODULES = ("tests.test_expectations", "tests.test_quality_gaps", "tests.test_gx_worker")
GX_GROUP = "great_expectations"


def _uses_gx(item) -> bool:
    return item.module.__name__ in GX_MODULES and item.get_closest_marker("slow") is None


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the marks (pytest 8)
def pytest_collection_modifyitems(config, items):
    """`--dist loadgroup`: the tests of a module's own (module-scoped) runs stay on one worker,
    so each run is made once, and so do all tests of a shared session run. A test that uses a
    shared run and nothing module-scoped of its own module joins the shared run's group alone
    (the rest of its module, with its own scenario run, is free to go to the other worker). A
    test that shares no run and no module-scoped fixture is a group of its own: the fast
    loop's cheap tests spread over both workers (test_quality_gaps alone is ~35 s of CPU)."""
    group: dict[str, str] = {}
    for item in items:
        name = item.module.__name__
        shared = _shared_runs(item)
        if shared and _own_module_fixtures(item):
            group[name] = shared[0]  # the whole module goes where the shared run is
        else:
            group.setdefault(name, name)
    groups = {}
    for item in items:
        shared, own = _shared_runs(item), _own_module_fixtures(item)
        if _uses_gx(item):  # GX imported once, in one pytest worker and one GX worker
            groups[item.nodeid] = GX_GROUP  # (a fast test: it shares no pipeline run)
        elif shared and not own:
            groups[item.nodeid] = shared[0]
        elif own or group[item.module.__name__] != item.module.__name__:
            groups[item.nodeid] = group[item.module.__name__]
        else:  # shares nothing with its neighbours: free to go to whichever worker is idle
            groups[item.nodeid] = item.nodeid
        item.add_marker(pytest.mark.xdist_group(groups[item.nodeid]))
    _hand_groups_to_the_controller(config, groups)


# --dist loadgroup on pytest 9: xdist 3.8 tells the controller a test's group by appending
# "@group" to its node id on the worker, and pytest 9's structured node ids ignore that
# (pytest-dev/pytest-xdist#1386, open). The groups were silently lost: every module's tests
# were spread over both workers and each worker built the module's pipeline runs again (seen:
# both workers building test_faults' six-run sequence). So the workers write their groups to
# a folder the controller made, and the controller schedules by them.
GROUPS_DIR_ENV = "HELHEDSDATA_TEST_GROUPS_DIR"

# Pipeline runs per group, about (a 4000- or 3000-person run counts 3): the scheduler hands
# out the heaviest groups first, so no long group starts last while the other worker idles.
# A group not named here counts 0 and keeps its collection order.
RUNS_PER_GROUP = {
    "generated_run": 4, "tests.test_faults": 6, "tests.test_crash": 4, "tests.test_operations_pipeline": 4,
    "tests.test_expectations_gate": 3, "tests.test_seed_plan_rows": 3, "small_pg_run": 2, "tests.test_history": 2,
    "tests.test_end_to_end": 1, "tests.test_flows": 1, "tests.test_fuldtidspersoner": 1,
    "tests.test_langtidsledige": 1, "tests.test_maalgruppe_rules": 1, "tests.test_plan_variants": 1,
    "tests.test_project_indicators": 1, GX_GROUP: 1,
}


def _is_xdist_controller(config) -> bool:
    return not hasattr(config, "workerinput") and bool(config.getoption("numprocesses", None))


def _hand_groups_to_the_controller(config, groups: dict[str, str]) -> None:
    folder = os.environ.get(GROUPS_DIR_ENV)
    if not folder or not hasattr(config, "workerinput"):
        return
    import json

    path = Path(folder) / f"{config.workerinput['workerid']}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(groups), encoding="utf-8")
    tmp.replace(path)  # whole or not at all: the controller reads it once every worker collected


def pytest_xdist_make_scheduler(config, log):
    """LoadGroupScheduling that takes each test's group from what the workers wrote."""
    if config.getoption("dist") != "loadgroup" or not os.environ.get(GROUPS_DIR_ENV):
        return None
    import json

    from xdist.scheduler import LoadGroupScheduling

    class Scheduling(LoadGroupScheduling):
        _groups: dict[str, str] | None = None

        def _group_of(self, nodeid: str) -> str | None:
            if self._groups is None:
                self._groups = {}
                for path in sorted(Path(os.environ[GROUPS_DIR_ENV]).glob("*.json")):
                    self._groups.update(json.loads(path.read_text(encoding="utf-8")))
            return self._groups.get(nodeid)

        def _split_scope(self, nodeid: str) -> str:
            return self._group_of(nodeid) or super()._split_scope(nodeid)

        _sorted = False

        def _assign_work_unit(self, node) -> None:
            if not self._sorted:  # the first call: the queue is complete, nothing handed out yet
                # Heaviest groups first (stable: equal weights keep the collection order). Only
                # the queue of groups is reordered: the collections stay as the workers sent
                # them, since tests are handed to a worker as indexes into its own collection.
                units = sorted(self.workqueue.items(), key=lambda kv: -RUNS_PER_GROUP.get(kv[0], 0))
                self.workqueue.clear()
                self.workqueue.update(units)
                self._sorted = True
                if os.environ.get("HELHEDSDATA_TEST_SCHEDULE_LOG"):  # what went where, to tune RUNS_PER_GROUP
                    with open(os.environ["HELHEDSDATA_TEST_SCHEDULE_LOG"], "a", encoding="utf-8") as fh:
                        fh.write(json.dumps({"queue": list(self.workqueue)}) + "\n")
            super()._assign_work_unit(node)

    return Scheduling(config, log)


def _shared_runs(item) -> list[str]:
    """The shared session runs a test uses: as a fixture, or named by a parameter (a test that
    picks its run with request.getfixturevalue)."""
    params = getattr(getattr(item, "callspec", None), "params", {}).values()
    return [f for f in SHARED_RUNS if f in getattr(item, "fixturenames", ()) or f in params]


def _own_module_fixtures(item) -> list[str]:
    """Module-scoped fixtures defined in the test's own module that it uses."""
    info = getattr(item, "_fixtureinfo", None)
    module_id = item.nodeid.split("::")[0]
    return [name for name, defs in (info.name2fixturedefs.items() if info else ())
            if defs and defs[-1].scope != "function" and defs[-1].baseid == module_id]


# The test whose setup, call or teardown is running (fixtures of any scope run inside it).
_current: dict = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _current["item"] = item
    try:
        yield
    finally:
        _current.pop("item", None)


@pytest.fixture(scope="session", autouse=True)
def pipeline_runs_are_marked_slow():
    """`pytest -m "not slow"` is the fast loop: a test that runs the pipeline (itself or
    through a fixture) without the `slow` mark fails here instead of slowing that loop down."""
    import cli.main as cli

    real = cli.run_pipeline

    def guarded(*args, **kwargs):
        item = _current.get("item")
        if item is not None and item.get_closest_marker("slow") is None:
            pytest.fail(f"{item.nodeid} runs the pipeline but is not marked slow", pytrace=False)
        return real(*args, **kwargs)

    mp = pytest.MonkeyPatch()
    mp.setattr(cli, "run_pipeline", guarded)
    yield
    mp.undo()


# Programs that are "a process of its own" for the fast loop: an interpreter (what a night
# imports, again), a console script of this environment (lint-imports, pip), a browser.
_OWN_PROCESSES = ("python", "chromedriver", "chromium")


def _starts_a_process_of_its_own(program: str) -> bool:
    import shutil

    path = Path(shutil.which(program) or program)  # a bare name as the PATH finds it
    venv_bin = Path(sys.executable).parent
    return path.name.startswith(_OWN_PROCESSES) or (path.parent == venv_bin and path.exists())


def _started_by_dagster() -> bool:
    """Dagster's local instance captures a run's output with `tail` and a small watcher script:
    part of running a job in a test, not a process the test starts."""
    frame = sys._getframe(2)
    while frame is not None:
        if "/dagster/_core/" in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


@pytest.fixture(scope="session", autouse=True)
def processes_of_their_own_are_marked_slow():
    """The fast loop leaves out a test that starts an interpreter, a console script or a browser
    of its own (each imports or starts what a night does, again): one without the `slow` mark
    fails here."""
    import subprocess

    real = subprocess.Popen.__init__

    def guarded(self, args, *a, **kw):
        item = _current.get("item")
        if item is not None and item.get_closest_marker("slow") is None:
            program = args if isinstance(args, (str, os.PathLike)) and not kw.get("shell") else (
                args.split()[0] if isinstance(args, str) else args[0])
            if _starts_a_process_of_its_own(str(program)) and not _started_by_dagster():
                pytest.fail(f"{item.nodeid} starts {Path(str(program)).name} but is not marked slow",
                            pytrace=False)
        real(self, args, *a, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(subprocess.Popen, "__init__", guarded)
    yield
    mp.undo()


@contextlib.contextmanager
def restored_environ(*names: str):
    """Put the named environment variables back as they were when the block ends: a pipeline
    run exports its settings (HELHEDSDATA_HOME, _INBOX, _PLANS, _WAREHOUSE, DAGSTER_HOME), and a
    later test in the same process must not find them."""
    saved = {k: os.environ.get(k) for k in names}
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="session", autouse=True)
def pseudonym_key():
    with restored_environ("HELHEDSDATA_PSEUDONYM_KEY"):
        os.environ["HELHEDSDATA_PSEUDONYM_KEY"] = TEST_KEY
        yield Pseudonymizer(TEST_KEY.encode())


def person_key(cpr: str) -> int:
    """The pseudonym the pipeline gives a CPR number under the test key."""
    import pyarrow as pa

    from sources.pseudonym import normalise_cpr

    return Pseudonymizer(TEST_KEY.encode()).pseudonymize(normalise_cpr(pa.array([cpr])), "cpr")[0].as_py()


def run_pipeline(home: Path, inbox: Path, in_memory: bool = False) -> bool:
    """The nightly run, as `helhedsdata run`. in_memory: Dagster's storage is an in-memory
    (ephemeral) instance instead of SQLite under the home: for tests that never read Dagster's
    storage afterwards (they read the warehouse and the publication only)."""
    from cli.main import run_pipeline as run

    settings = Settings(home.resolve(), inbox.resolve())
    if not in_memory:
        return run(settings, quiet=True)
    with in_memory_dagster() as used:
        ok = run(settings, quiet=True)
    assert used, "the run did not take its instance from DagsterInstance.get(): in_memory had no effect"
    return ok


@contextlib.contextmanager
def in_memory_dagster():
    """While open, DagsterInstance.get() (where the CLI's run takes its instance) gives an
    ephemeral in-memory instance; yields a list that records each instance handed out."""
    import dagster as dg

    used: list = []

    def ephemeral():
        used.append(dg.DagsterInstance.ephemeral())
        return used[-1]

    mp = pytest.MonkeyPatch()
    mp.setattr(dg.DagsterInstance, "get", staticmethod(ephemeral))
    try:
        yield used
    finally:
        mp.undo()


def query(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def generated_home(tmp_path_factory, name: str, persons: int, seed: int = 7, *extra: str,
                   in_memory: bool = False) -> tuple[Path, Path]:
    """(inbox, home): a synthetic inbox from `helhedsdata generate` (extra: its flags), run
    once through the whole pipeline, under a new folder `name` (in_memory: see run_pipeline)."""
    from cli.main import main

    root = tmp_path_factory.mktemp(name)
    inbox, home = root / "inbox", root / "home"
    assert main(["generate", "--out", str(inbox), "--persons", str(persons), "--seed", str(seed), *extra]) == 0
    assert run_pipeline(home, inbox, in_memory)
    return inbox, home


@pytest.fixture(scope="session")
def generated_run(tmp_path_factory):
    """A synthetic inbox from `helhedsdata generate`, run once through the whole pipeline. With
    dbt's file log at debug (an operator's opt-in, off by default): the test that dbt reused the
    prepared parse reads it, and the privacy tests scan it with every other log."""
    from orchestration.dbt_inprocess import FILE_LOG_ENV

    with restored_environ(FILE_LOG_ENV):
        os.environ[FILE_LOG_ENV] = "debug"
        return generated_home(tmp_path_factory, "generated", 4000)


PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


@pytest.fixture(scope="session")
def pg_url():
    """A fresh database on the real local PostgreSQL (`make test` starts it), dropped afterwards."""
    import psycopg

    name = f"helhedsdata_test_{os.getpid()}"
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        con.execute(f"CREATE DATABASE {name}")
    yield f"{PG_SERVER}/{name}"
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def small_pg_run(tmp_path_factory, pg_url):
    """A 500-person synthetic inbox run once through the pipeline with PostgreSQL publication."""
    from cli.main import main

    root = tmp_path_factory.mktemp("small_pg")
    inbox, home = root / "inbox", root / "home"
    assert main(["generate", "--out", str(inbox), "--persons", "500", "--seed", "7"]) == 0
    with restored_environ("HELHEDSDATA_PUBLISH_URL"):  # no test reads this run's Dagster storage
        os.environ["HELHEDSDATA_PUBLISH_URL"] = pg_url
        assert run_pipeline(home, inbox, in_memory=True), (home / "logs" / "dbt-last-run.log").read_text()[-3000:]
    return inbox, home, pg_url


# Debian's chromium and chromedriver for the browser tests (the status reports, the Dagster UI).
CHROMIUM = Path(os.environ.get("HELHEDSDATA_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("HELHEDSDATA_CHROMEDRIVER", "/usr/bin/chromedriver"))


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not (p.exists() and os.access(p, os.X_OK))]
    if missing:
        pytest.fail(f"the browser tests need Debian's chromium and chromedriver; missing: "
                    f"{', '.join(missing)}. Install them: apt-get install -y chromium chromium-driver "
                    "(`make test` does it when it may), or point HELHEDSDATA_CHROMIUM / "
                    "HELHEDSDATA_CHROMEDRIVER at them.", pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager, were it ever asked, downloads nothing
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                "--window-size=1000,1400", f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    yield driver
    driver.quit()
