import os
from pathlib import Path

import duckdb
import pytest

from helhedsdata.config import Settings
from sources.pseudonym import Pseudonymizer

TEST_KEY = "helhedsdata-test-key-not-secret-0123456789"
# The spec's sample inbox, copied into the repo so any clone can run the tests.
SAMPLES = Path(__file__).resolve().parent / "samples" / "inbox"


# Fixtures that run the pipeline once and serve many tests. Under pytest-xdist each
# worker would run its own copy, so the tests sharing one go to one worker together.
SHARED_RUNS = ("generated_run", "small_pg_run")


def pytest_collection_modifyitems(config, items):
    """`--dist loadgroup`: a module's tests stay on one worker (its module-scoped pipeline
    run is made once), and so do all tests of a shared session run."""
    group: dict[str, str] = {}
    for item in items:
        name = item.module.__name__
        shared = [f for f in SHARED_RUNS if f in getattr(item, "fixturenames", ())]
        if shared or name not in group:
            group[name] = shared[0] if shared else group.get(name, name)
    for item in items:
        item.add_marker(pytest.mark.xdist_group(group[item.module.__name__]))


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


def generated_home(tmp_path_factory, name: str, persons: int, seed: int = 7, *extra: str) -> tuple[Path, Path]:
    """(inbox, home): a synthetic inbox from `helhedsdata generate` (extra: its flags), run
    once through the whole pipeline, under a new folder `name`."""
    from helhedsdata.cli import main

    root = tmp_path_factory.mktemp(name)
    inbox, home = root / "inbox", root / "home"
    assert main(["generate", "--out", str(inbox), "--persons", str(persons), "--seed", str(seed), *extra]) == 0
    assert run_pipeline(home, inbox)
    return inbox, home


@pytest.fixture(scope="session")
def generated_run(tmp_path_factory):
    """A synthetic inbox from `helhedsdata generate`, run once through the whole pipeline."""
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
    from helhedsdata.cli import main

    root = tmp_path_factory.mktemp("small_pg")
    inbox, home = root / "inbox", root / "home"
    assert main(["generate", "--out", str(inbox), "--persons", "500", "--seed", "7"]) == 0
    old = os.environ.get("HELHEDSDATA_PUBLISH_URL")
    os.environ["HELHEDSDATA_PUBLISH_URL"] = pg_url
    try:
        assert run_pipeline(home, inbox), (home / "logs" / "dbt-last-run.log").read_text()[-3000:]
    finally:
        if old is None:
            os.environ.pop("HELHEDSDATA_PUBLISH_URL", None)
        else:
            os.environ["HELHEDSDATA_PUBLISH_URL"] = old
    return inbox, home, pg_url
