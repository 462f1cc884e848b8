"""Readers during publication (issue 5, item 8): a second process keeps reading
published.indicator_values from the DuckDB file and from PostgreSQL while publications of two
different warehouses (different row counts AND extract dates) run back to back. It must never
see a missing table, a partial table or two extract dates in one read."""
import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import psycopg
import pytest

from warehouse.publish import publish

PUBLICATIONS = 10  # alternating A, B, A, …
# Two stand-in warehouses made from the pipeline's publish_stage: A is the 500-person
# indicator table repeated 400 times (~10^5 rows, the size the issue names), B 300 times
# with the extract date one day later. Any mix shows as a row count or an extract date.
COPIES = {"A": (400, 0), "B": (300, 1)}


@pytest.fixture(scope="module")
def readers_pg_url(pg_url):
    admin = "host=127.0.0.1 port=5432 user=postgres dbname=test"
    name = pg_url.rsplit("/", 1)[1] + "_readers"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        con.execute(f"CREATE DATABASE {name}")
    yield pg_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def warehouses(small_pg_run, tmp_path_factory):
    _, home, _ = small_pg_run
    root = tmp_path_factory.mktemp("readers")
    out, expected = {}, {}
    for name, (copies, shift) in COPIES.items():
        path = root / f"warehouse_{name}.duckdb"
        con = duckdb.connect(str(path))
        con.execute(f"ATTACH '{home / 'warehouse.duckdb'}' AS src (READ_ONLY)")
        con.execute("CREATE SCHEMA publish_stage")
        con.execute(f"""CREATE TABLE publish_stage.indicator_values AS
            SELECT * REPLACE (plan_id || '#' || r.range AS plan_id,
                              CAST(extract_date + INTERVAL {shift} DAY AS DATE) AS extract_date)
            FROM src.publish_stage.indicator_values, range({copies}) r""")
        con.execute("CREATE TABLE publish_stage.maalgruppe_status AS SELECT * FROM src.publish_stage.maalgruppe_status")
        rows, dates, d = con.execute("SELECT count(*), count(DISTINCT extract_date), CAST(min(extract_date) AS VARCHAR) "
                                     "FROM publish_stage.indicator_values").fetchone()
        con.close()
        assert dates == 1
        out[name], expected[name] = path, (rows, d)
    assert expected["A"][0] != expected["B"][0] and expected["A"][1] != expected["B"][1]
    return out, expected, root


@pytest.mark.slow
def test_a_second_process_never_sees_a_missing_partial_or_mixed_table(warehouses, readers_pg_url, tmp_path):
    paths, expected, _ = warehouses
    target = tmp_path / "publication.duckdb"
    entry = lambda i: {"publication_id": f"run-{i}", "extract_dates": {"momentum": date(2021, 3, 1)}, "checks": []}  # noqa: E731
    publish(paths["A"], target, entry(0), readers_pg_url)  # readers start on a publication
    out, stop = tmp_path / "reads.jsonl", tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, str(Path(__file__).with_name("published_reader.py")),
                               str(target), readers_pg_url, str(out), str(stop)])
    try:
        deadline = time.time() + 30
        while (not out.exists() or out.read_text().count("\n") < 2) and time.time() < deadline:
            time.sleep(0.05)
        published = ["A"]
        t0 = time.time()
        for i in range(1, PUBLICATIONS + 1):
            name = "B" if i % 2 else "A"
            publish(paths[name], target, entry(i), readers_pg_url)
            published.append(name)
        elapsed = time.time() - t0
        time.sleep(0.3)
    finally:
        stop.touch()
        reader.wait(timeout=60)
    reads = [json.loads(line) for line in out.read_text().splitlines()]
    print(f"{len(reads)} reads during {PUBLICATIONS} publications in {elapsed:.1f} s")
    errors = [r for r in reads if "error" in r]
    assert not errors, errors[:5]
    valid = {expected[n] for n in published}
    for target_name in ("duckdb", "postgres"):
        mine = [r for r in reads if r["target"] == target_name]
        # Each read: one extract date, a row count that one whole publication had, and the
        # log row of the very publication whose table it read.
        bad = [r for r in mine if r["dates"] != 1 or (r["rows"], r["extract_date"]) not in valid
               or r["log_rows"] != r["rows"]]
        assert not bad, (target_name, bad[:5])
        seen = {(r["rows"], r["extract_date"]) for r in mine}
        assert seen == valid, (target_name, seen)  # both publications were seen: the reads overlapped them
        # Reads kept coming during the publications (not one stuck read spanning them all).
        during = [r for r in mine if t0 <= r["t"] <= t0 + elapsed]
        assert len(during) >= PUBLICATIONS, (target_name, len(during))


def test_an_open_connection_keeps_its_publication_even_for_new_connects(tmp_path):
    """What docs/published.md warns about: DuckDB caches one database per path in a process,
    so connecting again while an old connection is open returns the OLD file; a BI tool must
    close its connection to see the next publication. (The reader process above closes per read.)"""
    wh = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(wh))
    con.execute("CREATE SCHEMA publish_stage")
    con.execute("CREATE TABLE publish_stage.indicator_values AS SELECT DATE '2021-03-01' AS extract_date")
    con.close()
    target = tmp_path / "publication.duckdb"
    entry = {"publication_id": "run-1", "extract_dates": {}, "checks": []}
    publish(wh, target, entry)
    held = duckdb.connect(str(target), read_only=True)
    con = duckdb.connect(wh)
    con.execute("UPDATE publish_stage.indicator_values SET extract_date = DATE '2021-04-01'")
    con.close()
    publish(wh, target, {**entry, "publication_id": "run-2"})
    sql = "SELECT CAST(extract_date AS VARCHAR) FROM published.indicator_values"
    again = duckdb.connect(str(target), read_only=True)
    assert again.execute(sql).fetchone()[0] == "2021-03-01"  # the cached old file
    again.close()
    held.close()
    fresh = duckdb.connect(str(target), read_only=True)
    assert fresh.execute(sql).fetchone()[0] == "2021-04-01"
    fresh.close()
