"""No CPR number, name or street address reaches the warehouse, the published file, the
Dagster storage or the logs. Inbox and quarantine hold raw input by design."""
import csv
import re
import sqlite3
from pathlib import Path

import duckdb
import pytest

# Not after a decimal point: dbt's JSON log writes timings such as "elapsed": 0.0312931234,
# whose ten fraction digits can take a CPR's shape (seen once in a full run).
CPR_SHAPE = re.compile(r"(?<![0-9A-Za-z.])(0[1-9]|[12][0-9]|3[01])(0[1-9]|1[0-2])[0-9]{2}-?[0-9]{4}(?![0-9A-Za-z])")


def inbox_secrets(inbox: Path) -> set[str]:
    """Names from the rosters and every citizen street that is not also an afdeling's name."""
    secrets = set()
    for path in (inbox / "roster").glob("*.csv"):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            secrets |= {r["Navn"].strip().lower() for r in csv.DictReader(fh, delimiter=";") if r.get("Navn", "").strip()}
    for path in (inbox / "roster").glob("*.xlsx"):
        import openpyxl

        ws = openpyxl.load_workbook(path, read_only=True)["Deltagere"]
        header = [c for c in next(ws.iter_rows(values_only=True))]
        i = header.index("Navn")
        secrets |= {str(r[i]).strip().lower() for r in ws.iter_rows(min_row=2, values_only=True) if r[i]}
    with open(inbox / "omraader" / "adresser.csv", encoding="utf-8-sig", newline="") as fh:
        afdelinger = {r["Afdelingsnavn"].strip().lower() for r in csv.DictReader(fh, delimiter=";")}
    extract = sorted((inbox / "momentum").iterdir())[-1]
    with open(extract / "borger_adresse.csv", encoding="utf-8-sig", newline="") as fh:
        for r in csv.DictReader(fh, delimiter=";"):
            street = " ".join(r["Vejnavn"].split()).lower()
            if street not in afdelinger:
                secrets.add(street)
            secrets.add(f"{street} {r['Husnummer'].strip().lower()}")
    return {s for s in secrets if len(s) >= 5}


def leaks(text: str, secrets: set[str]) -> list[str]:
    found = ["CPR-shaped: " + m.group(0)[:2] + "…" for m in CPR_SHAPE.finditer(text)]
    low = text.lower()
    found += [f"secret #{hash(s) % 1000}" for s in secrets if s in low]
    return found


def duckdb_texts(path: Path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        cols = con.execute("""SELECT database_name, schema_name, table_name, column_name FROM duckdb_columns()
                              WHERE data_type IN ('VARCHAR', 'JSON') AND NOT internal""").fetchall()
        for db, schema, table, column in cols:
            values = con.execute(f'SELECT DISTINCT "{column}" FROM "{db}"."{schema}"."{table}" '
                                 f'WHERE "{column}" IS NOT NULL').fetchall()
            yield f"{schema}.{table}.{column}", "\n".join(v for (v,) in values)
    finally:
        con.close()


@pytest.mark.slow
def test_no_personal_data_anywhere(generated_run):
    inbox, home = generated_run
    secrets = inbox_secrets(inbox)
    assert len(secrets) > 100  # the test looks for something real
    problems = []
    for db in ("warehouse.duckdb", "publication.duckdb"):
        scanned = 0
        for where, text in duckdb_texts(home / db):
            scanned += 1
            problems += [f"{db}:{where}: {p}" for p in leaks(text, secrets)]
        assert scanned > 10
    files = [p for p in home.rglob("*") if p.is_file() and p.suffix not in (".duckdb", ".wal", ".key")
             and "quarantine" not in p.parts and "inbox" not in p.parts
             # the archive holds copies of the deliveries (like the inbox); its own note is scanned
             and not ("archive" in p.parts and p.name != "ARCHIVED.json")]
    dagster_files = [p for p in files if "dagster" in p.parts]
    assert dagster_files, "the Dagster event log must be scanned"
    for path in files:
        if path.suffix == ".db":  # SQLite: Dagster's run and event-log storage
            con = sqlite3.connect(path)
            for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
                for row in con.execute(f'SELECT * FROM "{table}"'):
                    text = "\n".join(str(v) for v in row if isinstance(v, (str, bytes)))
                    problems += [f"{path.name}:{table}: {p}" for p in leaks(text, secrets)]
            con.close()
        else:
            problems += [f"{path.relative_to(home)}: {p}" for p in leaks(path.read_bytes().decode("utf-8", "replace"), secrets)]
    assert problems == []


def test_the_scanner_finds_a_planted_cpr(tmp_path):
    """The scanner must be able to fail."""
    assert leaks("borger 120385-1234 bor", set())
    assert leaks("1203851234", set())
    assert not leaks("a5d85bc636acda3e673ac29e491b0134", set())
    assert leaks("Mette Hansen", {"mette hansen"})
