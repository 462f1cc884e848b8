"""History and backfill (issue 6, item 6): every publication's inputs are archived under the
home folder, every fact carries its extract date, and `helhedsdata rebuild --as-of` rebuilds
a past publication from its archived extract into a separate folder, equal to what was
published from that extract, without touching the live publication.

Two pipeline runs: the live run over extract A, and the rebuild of A after extract B (and a
changed address register) arrived in the live inbox. The archive's own rules are unit-tested
on a hand-made warehouse."""
import contextlib
import hashlib
import io
import json
import os
from datetime import date
from pathlib import Path

import duckdb
import pytest

from warehouse.config import Settings
from warehouse.history import ARCHIVE_INFO, HistoryError, archive_publication, entries, entry_as_of
from tests.conftest import TEST_KEY, query, run_pipeline
from tests.inbox_builder import REGISTER, d, write_momentum, write_register

A, B = "20210201", "20210301"
ROTATED_KEY = "a-new-key-after-rotation-0002"
SOES, STEN = ("Søstjernevej", "12A", "6400"), ("Stenbjergparken", "3", "6400")


def _files(n: int, extract_day: str) -> dict:
    """n persons in 6.2 living in afdeling 22 or 24; CPRs of the test range (day 01-09)."""
    addr, mg, ti, sa = [], [], [], []
    for i in range(n):
        cpr = f"0{1 + i % 9}0190-{3000 + i:04d}"
        street = SOES if i % 2 else STEN
        addr.append((cpr, *street[:2], "", "", street[2], "Sønderborg", "540", d("2015-01-01"), ""))
        mg.append((cpr, "6.2" if i % 3 else "6.3", "", d("2020-01-01"), "", ""))
        if i % 4 == 0:
            ti.append((cpr, f"T-{i}", "Virksomhedspraktik", d("2020-06-01"), d("2020-08-31"), "15,0", "", ""))
            sa.append((cpr, f"S-{i}", "Jobsamtale", d("2020-09-01"), d("2020-09-01"), "Afholdt"))
    return {"borger_adresse.csv": addr, "maalgruppe.csv": mg, "tilbud.csv": ti, "samtale.csv": sa}


def checksums(published: Path) -> dict[str, tuple]:
    """Row count and an order-free checksum of each published table; publication_log is
    left out (its rows are about the publication: id, time, code version)."""
    tables = [r[0] for r in query(published, "SELECT table_name FROM duckdb_tables() WHERE schema_name = "
                                             "'published' AND table_name <> 'publication_log' ORDER BY 1")]
    assert len(tables) >= 2, tables
    return {t: tuple(query(published, f"SELECT count(*), sum(hash(x)::HUGEINT) FROM published.{t} x")[0])
            for t in tables}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    root = tmp_path_factory.mktemp("history")
    inbox, home = root / "inbox", root / "home"
    write_momentum(inbox, A, _files(40, A))
    write_register(inbox)
    assert run_pipeline(home, inbox), (home / "logs" / "dbt-last-run.log").read_text()[-3000:]
    pub = home / "publication.duckdb"
    return {"root": root, "inbox": inbox, "home": home, "pub": pub, "sums": checksums(pub),
            "log": query(pub, "SELECT publication_id, momentum_extract_date FROM published.publication_log")}


@pytest.fixture(scope="module")
def rebuilt(live):
    """Extract B and a smaller address register arrive; then A is rebuilt from the archive."""
    from cli.main import main

    write_momentum(live["inbox"], B, _files(60, B))
    write_register(live["inbox"], REGISTER[:2])
    before = (digest(live["pub"]), live["pub"].stat().st_mtime_ns)
    out = live["root"] / "rebuild-2021-02"
    # The key was rotated after A was published: the rebuild runs under the new key.
    old_key = os.environ["HELHEDSDATA_PSEUDONYM_KEY"]
    os.environ["HELHEDSDATA_PSEUDONYM_KEY"] = ROTATED_KEY
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            code = main(["rebuild", "--as-of", "2021-02-15", "--out", str(out), "--home", str(live["home"]), "--quiet"])
    finally:
        os.environ["HELHEDSDATA_PSEUDONYM_KEY"] = old_key
    return {**live, "out": out, "code": code, "before": before, "printed": printed.getvalue()}


@pytest.mark.slow
def test_publication_archives_the_readers_tables_not_the_deliveries(live):
    entry = live["home"] / "archive" / A
    info = json.loads((entry / ARCHIVE_INFO).read_text())
    [(publication_id, extract_date)] = live["log"]
    assert info["publication_id"] == publication_id and info["extract_dates"]["momentum"] == "2021-02-01"
    assert info["format"] == 2 and info["key_fingerprint"]
    assert str(extract_date) == "2021-02-01"
    wh = live["home"] / "warehouse.duckdb"
    raw = {t for (t,) in query(wh, "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw' "
                                   "AND table_name NOT LIKE 'plans__%'")}
    assert {p.stem for p in (entry / "tables").glob("*.parquet")} == raw
    for t in raw:  # the same rows, row for row
        assert query(wh, f"SELECT count(*), sum(hash(x)::HUGEINT) FROM (SELECT * FROM raw.{t}) x") == query(
            wh, f"SELECT count(*), sum(hash(x)::HUGEINT) FROM read_parquet('{entry / 'tables' / (t + '.parquet')}') x")
        assert info["tables"][t] == query(wh, f"SELECT count(*) FROM raw.{t}")[0][0]
    # Of the deliveries only the control file (file names and counts) is kept.
    assert [str(p.relative_to(entry)) for p in entry.rglob("*.csv")] == [f"momentum/{A}/_kontrol.csv"]
    assert digest(entry / "momentum" / A / "_kontrol.csv") == digest(live["inbox"] / "momentum" / A / "_kontrol.csv")
    assert sorted(p.name for p in (entry / "plans").glob("*.yaml")) == sorted(
        p.name for p in Settings.from_env(live["home"]).plans.glob("*.yaml"))


@pytest.mark.slow
def test_every_fact_carries_its_extract_date(live):
    wh = live["home"] / "warehouse.duckdb"
    for t in ("borger_adresse", "maalgruppe", "tilbud", "samtale"):
        assert query(wh, f"SELECT DISTINCT extract_date FROM raw.momentum__{t}") in ([(date(2021, 2, 1),)], [])
    assert query(live["pub"], "SELECT DISTINCT extract_date FROM published.indicator_values") == [(date(2021, 2, 1),)]


@pytest.mark.slow
def test_rebuild_reproduces_the_publication_of_the_earlier_extract(rebuilt):
    assert rebuilt["code"] == 0
    out_pub = rebuilt["out"] / "publication.duckdb"
    assert checksums(out_pub) == rebuilt["sums"]
    assert [str(r[0]) for r in query(out_pub, "SELECT momentum_extract_date FROM published.publication_log")] == [
        "2021-02-01"]
    # The rebuild read the archive, not the live inbox that now holds B.
    assert sorted(p.name for p in (rebuilt["out"] / "inbox" / "momentum").iterdir()) == [A]


@pytest.mark.slow
def test_a_rebuild_after_a_key_rotation_keeps_the_archived_person_keys_and_says_so(rebuilt, pseudonym_key):
    """The archive holds pseudonyms, not CPR numbers: a rebuild cannot re-key them. It publishes
    the same figures (above) and its person keys are those of the entry's key, which cannot be
    joined with a live warehouse under the new key (docs/runbook.md, "Rotating the key")."""
    import pyarrow as pa

    from sources.pseudonym import Pseudonymizer, normalise_cpr

    keys = "SELECT DISTINCT person_key FROM raw.momentum__maalgruppe ORDER BY 1"
    archived = query(rebuilt["home"] / "warehouse.duckdb", keys)
    assert len(archived) == 40 and query(rebuilt["out"] / "warehouse.duckdb", keys) == archived
    cprs = normalise_cpr(pa.array([f"0{1 + i % 9}0190-{3000 + i:04d}" for i in range(40)]))
    under_new = set(Pseudonymizer(ROTATED_KEY.encode()).pseudonymize(cprs, "cpr").to_pylist())
    assert under_new.isdisjoint(k for (k,) in archived)
    assert set(pseudonym_key.pseudonymize(cprs, "cpr").to_pylist()) == {k for (k,) in archived}
    assert "not the current key" in rebuilt["printed"] and "cannot be joined" in rebuilt["printed"]


@pytest.mark.slow
def test_nothing_identifiable_outside_the_inbox_after_a_run_a_rebuild_and_a_prune(rebuilt):
    """Issue 15: every file under the live home and the rebuild's folder (but inbox/ and
    quarantine/): DuckDB files, the archive's Parquet, Dagster's SQLite storage, logs."""
    from cli.main import main
    from tests.test_privacy import inbox_secrets, scan_folder

    assert main(["prune", "--home", str(rebuilt["home"])]) == 0
    # The register now lists fewer afdelinger: a street named like an afdeling of the full
    # register (and of the plan) is an area's name, not a secret.
    secrets = inbox_secrets(rebuilt["inbox"]) - {r[2].lower() for r in REGISTER}
    assert {"søstjernevej 12a", "stenbjergparken 3"} <= secrets  # street and house number
    for root in (rebuilt["home"], rebuilt["out"]):
        problems, seen = scan_folder(root, secrets)
        assert seen["parquet"] >= 5 and seen["sqlite"] >= 1 and seen["duckdb"] == 2, (root, seen)
        assert problems == [], root


@pytest.mark.slow
def test_rebuild_leaves_the_live_publication_alone(rebuilt):
    assert (digest(rebuilt["pub"]), rebuilt["pub"].stat().st_mtime_ns) == rebuilt["before"]
    assert query(rebuilt["pub"], "SELECT count(*) FROM published.publication_log") == [(1,)]
    assert os.environ["HELHEDSDATA_HOME"] == str(rebuilt["home"].resolve())  # the live home again


@pytest.mark.slow
def test_rebuild_refuses_a_date_before_the_archive_and_the_live_home(rebuilt):
    from cli.main import main

    assert main(["rebuild", "--as-of", "2021-01-31", "--out", str(rebuilt["root"] / "x"),
                 "--home", str(rebuilt["home"])]) == 2
    assert main(["rebuild", "--as-of", "2021-02-01", "--out", str(rebuilt["home"]),
                 "--home", str(rebuilt["home"])]) == 2
    assert not (rebuilt["root"] / "x").exists()


# ------------------------------------------------------------- the archive, without a run

def _home_with_load(tmp: Path, extract: str, register: list) -> Settings:
    """A home whose warehouse says Momentum `extract` was loaded from its inbox, with raw
    tables as the readers would have loaded them (a register of `register`'s rows)."""
    s = Settings(tmp / "home", tmp / "inbox", None, tmp / "plans")
    s.plans.mkdir(exist_ok=True)
    (s.plans / "p.yaml").write_text("id: p\n")
    folder = write_momentum(s.inbox, extract, _files(3, extract))
    s.home.mkdir(exist_ok=True)
    con = duckdb.connect(str(s.warehouse))
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute("CREATE TABLE IF NOT EXISTS meta.loads (loaded_at TIMESTAMP, source VARCHAR, table_name VARCHAR, "
                "extract_date DATE, origin VARCHAR, row_count BIGINT)")
    con.execute("INSERT INTO meta.loads VALUES (now(), 'momentum', 'maalgruppe', ?, ?, 3)",
                [date(int(extract[:4]), int(extract[4:6]), int(extract[6:])), str(folder)])
    con.execute("CREATE OR REPLACE TABLE raw.omraader__adresser AS SELECT * FROM (VALUES "
                + ", ".join(f"('{r[0]}', '{r[1]}', 'k{i}')" for i, r in enumerate(register))
                + ") t(boligomraade, afdelingsnummer, address_key)")
    con.execute("CREATE OR REPLACE TABLE raw.momentum__maalgruppe AS SELECT ? AS extract_date, range AS source_row "
                "FROM range(3)", [date(int(extract[:4]), int(extract[4:6]), int(extract[6:]))])
    con.close()
    return s


def test_archive_links_unchanged_files_and_swaps_a_rearchived_entry(tmp_path):
    s = _home_with_load(tmp_path, A, REGISTER)
    first = archive_publication(s, "run-1")
    s = _home_with_load(tmp_path, B, REGISTER)
    second = archive_publication(s, "run-2")
    reg1, reg2 = first / "tables" / "omraader__adresser.parquet", second / "tables" / "omraader__adresser.parquet"
    assert reg1.stat().st_ino == reg2.stat().st_ino  # unchanged: one file, linked
    assert (first / "plans" / "p.yaml").stat().st_ino == (second / "plans" / "p.yaml").stat().st_ino
    mg1, mg2 = first / "tables" / "momentum__maalgruppe.parquet", second / "tables" / "momentum__maalgruppe.parquet"
    assert mg1.stat().st_ino != mg2.stat().st_ino  # another extract date: another file
    assert not (second / "momentum" / A).exists() and (second / "momentum" / B / "_kontrol.csv").exists()
    # The register changes in place, and B is published again: entry B is replaced whole.
    s = _home_with_load(tmp_path, B, REGISTER[:1])
    again = archive_publication(s, "run-3")
    assert again == second and json.loads((again / ARCHIVE_INFO).read_text())["publication_id"] == "run-3"
    reg3 = again / "tables" / "omraader__adresser.parquet"
    assert reg3.stat().st_ino != reg1.stat().st_ino
    assert query(s.warehouse, f"SELECT count(*) FROM read_parquet('{reg3}')") == [(1,)]
    assert query(s.warehouse, f"SELECT count(*) FROM read_parquet('{reg1}')") == [(len(REGISTER),)]  # A's kept
    assert [p.name for _, p in entries(s.home / "archive")] == [A, B]
    assert not [p for p in (s.home / "archive").iterdir() if p.name.startswith(".")]


def test_entry_as_of_picks_the_newest_extract_on_or_before_the_date(tmp_path):
    root = tmp_path / "archive"
    for name in ("20210105", "20210201", "20210301"):
        (root / name).mkdir(parents=True)
        (root / name / ARCHIVE_INFO).write_text("{}")
    (root / "20210215").mkdir()  # cut short (no ARCHIVED.json): not an entry
    assert entry_as_of(root, date(2021, 2, 20)).name == "20210201"
    assert entry_as_of(root, date(2021, 2, 1)).name == "20210201"
    assert entry_as_of(root, date(2030, 1, 1)).name == "20210301"
    with pytest.raises(HistoryError, match="archived: 2021-01-05, 2021-02-01, 2021-03-01"):
        entry_as_of(root, date(2021, 1, 4))


def test_an_entry_archived_with_textual_person_keys_reads_as_todays_integer_keys(tmp_path, pseudonym_key):
    """Entries written before person keys became integers (stop 26) hold them as 32 hexadecimal
    characters (the first 16 bytes of the HMAC). `read_archived` hands them over as the key
    today's reader gives the same CPR under the same key, so a rebuild of an old entry joins
    its tables as before; a null stays null."""
    import hmac

    import pyarrow as pa
    import pyarrow.parquet as pq

    from sources.pseudonym import normalise_cpr
    from warehouse.expectations import reader_schema
    from warehouse.history import TABLES, read_archived

    cprs = ["010190-3000", "020190-3001", "030190-3002"]
    key = TEST_KEY.encode()
    old = [hmac.digest(key, f"cpr\x1f{c.replace('-', '')}".encode(), "sha256")[:16].hex() for c in cprs]
    schema = reader_schema("momentum__maalgruppe")
    rows = [{"source_row": i + 1, "person_key": k, "maalgruppe_code": "6.2", "start_date": date(2020, 1, 1),
             "extract_date": date(2021, 2, 1)} for i, k in enumerate(old + [None])]
    text_schema = schema.set(schema.get_field_index("person_key"), pa.field("person_key", pa.string()))
    entry = tmp_path / A
    (entry / TABLES).mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=text_schema), entry / TABLES / "momentum__maalgruppe.parquet")
    (entry / ARCHIVE_INFO).write_text(json.dumps({"format": 2, "extract_dates": {"momentum": "2021-02-01"}}))

    tables, extract_date, _ = read_archived(entry, "momentum")
    got = tables["maalgruppe"]
    assert got.schema == schema and extract_date == date(2021, 2, 1)
    assert got.column("person_key").to_pylist() == pseudonym_key.pseudonymize(
        normalise_cpr(pa.array(cprs)), "cpr").to_pylist() + [None]


def test_a_warehouse_loaded_with_textual_person_keys_is_upgraded_in_place(tmp_path):
    """A night loads only the sources that changed: a raw table loaded before person keys were
    integers (a frozen Opera extract) is converted in place before dbt joins it with today's
    integer keys (orchestration/assets/dbt.py), to the integer of the same person; a null stays
    null, an integer table is left alone, and a value that is no key converts nothing and is
    not quoted in the error."""
    import pyarrow as pa

    from sources.pseudonym import person_keys_from_text
    from warehouse.database import upgrade_person_keys

    old = ["a7d677aee151b41dd12757ac75fc40ed", "0000000000000000ffffffffffffffff", None]
    wh = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(wh))
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.opera__matchperioder (person_key VARCHAR, lab_grp VARCHAR)")
    con.executemany("INSERT INTO raw.opera__matchperioder VALUES (?, '2.1')", [[k] for k in old])
    con.execute("CREATE TABLE raw.momentum__maalgruppe AS SELECT 5::BIGINT AS person_key")
    con.close()
    assert upgrade_person_keys(wh) == ["opera__matchperioder"]
    want = person_keys_from_text(pa.array(old[:2])).to_pylist() + [None]
    assert want[1] == -(2**63) and want[0] == int("a7d677aee151b41d", 16) - 2**63
    rows = query(wh, "SELECT person_key, typeof(person_key), lab_grp FROM raw.opera__matchperioder")
    assert rows == [(k, "BIGINT", "2.1") for k in want]
    assert query(wh, "SELECT person_key FROM raw.momentum__maalgruppe") == [(5,)]
    assert upgrade_person_keys(wh) == []  # every later night: nothing to do

    con = duckdb.connect(str(wh))
    con.execute("CREATE TABLE raw.roster__deltagere AS SELECT 'not-a-key-0101901234' AS person_key")
    con.close()
    with pytest.raises(RuntimeError) as e:
        upgrade_person_keys(wh)
    assert "roster__deltagere" in str(e.value) and "0101901234" not in str(e.value)
    assert query(wh, "SELECT typeof(person_key) FROM raw.roster__deltagere") == [("VARCHAR",)]
