"""Crash tests (issue 5, item 7): SIGKILL the `helhedsdata run` process, with its dbt child,
during the dbt build and during publication. Readers must still see the whole previous
publication, and the next run must complete and publish.

The moments are hit deterministically through a test-only hook
(`warehouse.publish.pause_for_crash_test`): with HELHEDSDATA_TEST_PAUSE_AT set, the run
writes a marker file at that moment and sleeps until it is killed.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import generated_home, query, run_pipeline
from tests.test_faults import checksums

pytestmark = pytest.mark.slow  # every test here needs a pipeline run

HELHEDSDATA = Path(sys.executable).parent / "helhedsdata"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    _, home = generated_home(tmp_path_factory, "crash", 300)
    return home.parent


def _log_count(pub: Path) -> int:
    return query(pub, "SELECT count(*) FROM published.publication_log")[0][0]


def _kill_at(root: Path, moment: str) -> None:
    marker = root / f"paused-at-{moment}"
    marker.unlink(missing_ok=True)
    env = {**os.environ, "HELHEDSDATA_TEST_PAUSE_AT": moment, "HELHEDSDATA_TEST_PAUSE_FILE": str(marker)}
    with open(root / f"crash-{moment}.log", "wb") as out:
        proc = subprocess.Popen([str(HELHEDSDATA), "run", "--inbox", str(root / "inbox"), "--home",
                                 str(root / "home"), "--quiet"], env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # its own process group: dbt's process dies with it
        try:
            deadline = time.monotonic() + 300
            while not marker.exists():
                assert proc.poll() is None, f"the run ended before reaching {moment}: see {out.name}"
                assert time.monotonic() < deadline, f"the run never reached {moment}"
                time.sleep(0.2)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("moment", ["dbt_build", "publication"])
def test_kill_leaves_the_previous_publication_and_the_next_run_publishes(home, moment):
    root = home
    pub = root / "home" / "publication.duckdb"
    before, logged = checksums(pub), _log_count(pub)

    _kill_at(root, moment)

    # A reader opening the file now sees the whole previous publication.
    assert checksums(pub) == before
    assert _log_count(pub) == logged
    if moment == "publication":  # the killed run had written its copy, not yet renamed it
        assert list(pub.parent.glob(f".{pub.name}.*.tmp"))

    assert run_pipeline(root / "home", root / "inbox")  # recovers: the warehouse and Dagster's storage
    assert checksums(pub) == before  # same inbox, same tables
    assert _log_count(pub) == logged + 1
    assert not list(pub.parent.glob(f".{pub.name}.*.tmp"))  # the dead run's leftover is cleared
