import os
from pathlib import Path

import duckdb
import pytest

from helhedsdata.config import Settings
from sources.pseudonym import Pseudonymizer

TEST_KEY = "helhedsdata-test-key-not-secret-0123456789"
# The spec's sample inbox, copied into the repo so any clone can run the tests.
SAMPLES = Path(__file__).resolve().parent / "samples" / "inbox"


@pytest.fixture(scope="session", autouse=True)
def pseudonym_key():
    old = os.environ.get("HELHEDSDATA_PSEUDONYM_KEY")
    os.environ["HELHEDSDATA_PSEUDONYM_KEY"] = TEST_KEY
    yield Pseudonymizer(TEST_KEY.encode())
    if old is None:
        os.environ.pop("HELHEDSDATA_PSEUDONYM_KEY", None)
    else:
        os.environ["HELHEDSDATA_PSEUDONYM_KEY"] = old


def person_key(cpr: str) -> str:
    """The pseudonym the pipeline gives a CPR number under the test key."""
    import pyarrow as pa

    from sources.pseudonym import normalise_cpr

    return Pseudonymizer(TEST_KEY.encode()).pseudonymize(normalise_cpr(pa.array([cpr])), "cpr")[0].as_py()


def run_pipeline(home: Path, inbox: Path) -> bool:
    from helhedsdata.cli import run_pipeline as run

    return run(Settings(home.resolve(), inbox.resolve()), quiet=True)


def query(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="session")
def generated_run(tmp_path_factory):
    """A synthetic inbox from `helhedsdata generate`, run once through the whole pipeline."""
    from helhedsdata.cli import main

    root = tmp_path_factory.mktemp("generated")
    inbox, home = root / "inbox", root / "home"
    assert main(["generate", "--out", str(inbox), "--persons", "4000", "--seed", "7"]) == 0
    assert run_pipeline(home, inbox)
    return inbox, home
