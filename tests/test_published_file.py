"""The published file: atomic replacement, the log carried forward, readable by an old DuckDB."""
import subprocess
import sys
from datetime import date

import duckdb
import pytest

from warehouse.publish import publish_duckdb


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA publish_stage")
    con.execute("CREATE TABLE publish_stage.maalgruppe_status AS "
                "SELECT DATE '2021-02-28' AS as_of_date, 'afdeling' AS area_level, '22' AS area_id, "
                "'6.2' AS maalgruppe_code, 'Jobparat' AS maalgruppe_name, 12 AS persons, false AS suppressed")
    con.close()
    return path


def entry(n):
    return {"publication_id": f"run-{n}", "extract_dates": {"momentum": date(2021, 3, n)}, "checks": [
        {"asset": "momentum/maalgruppe", "check": "control_count_matches", "passed": True, "severity": "ERROR"}]}


def test_publish_replaces_file_and_carries_the_log(warehouse, tmp_path):
    target = tmp_path / "publication.duckdb"
    assert publish_duckdb(warehouse, target, entry(1)) == {"maalgruppe_status": 1}
    reader = duckdb.connect(str(target), read_only=True)  # holds the first publication open
    publish_duckdb(warehouse, target, entry(2))
    assert reader.execute("SELECT count(*) FROM published.publication_log").fetchone()[0] == 1
    reader.close()
    con = duckdb.connect(str(target), read_only=True)
    log = con.execute("SELECT publication_id, momentum_extract_date, checks_passed, checks_failed "
                      "FROM published.publication_log ORDER BY published_at").fetchall()
    assert log == [("run-1", date(2021, 3, 1), 1, 0), ("run-2", date(2021, 3, 2), 1, 0)]
    assert not list(tmp_path.glob(".publication.duckdb.*.tmp"))


def test_failed_publication_leaves_the_old_file(warehouse, tmp_path):
    target = tmp_path / "publication.duckdb"
    publish_duckdb(warehouse, target, entry(1))
    before = target.read_bytes()
    with pytest.raises(Exception):
        publish_duckdb(tmp_path / "missing" / "warehouse.duckdb", target, entry(2))
    assert target.read_bytes() == before
    assert not list(tmp_path.glob(".publication.duckdb.*.tmp"))


@pytest.mark.slow  # pip and an interpreter of its own
def test_an_old_duckdb_reads_the_published_file(warehouse, tmp_path):
    """BI tools bundle older DuckDB drivers: DuckDB 1.0.0 must open the file."""
    target = tmp_path / "publication.duckdb"
    publish_duckdb(warehouse, target, entry(1))
    lib = tmp_path / "duckdb100"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--target", str(lib), "duckdb==1.0.0"], check=True, capture_output=True, timeout=300)
    code = ("import duckdb; assert duckdb.__version__ == '1.0.0'; "
            f"c = duckdb.connect({str(target)!r}, read_only=True); "
            "print(c.execute('SELECT persons FROM published.maalgruppe_status').fetchone()[0])")
    out = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(lib)},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "12"
