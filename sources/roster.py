"""Reader for the hand-kept project rosters: `roster/<aktivitet>.xlsx` (sheet `Deltagere`)
or `roster/<aktivitet>.csv` (docs/sources.md).

Kept by hand, so faults are per row: a bad row (invalid CPR, unparseable date, end before
start, unknown status) is reported with its file, row and rule and left out; every good
row still loads. Blank rows and the `Total` row are not data and no fault. The same
person entered twice with the same Startdato is one enrolment (kept once, a warning).

Name and Bemærkning never leave the reader: a remark is free text that can hold a name or
a CPR number.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from sources.contract import Col, FileContract, Violation, output_schema, read_file
from sources.pseudonym import Pseudonymizer

SOURCE = "roster"
SHEET = "Deltagere"
SUFFIXES = (".xlsx", ".csv")
COLUMNS = ("aktivitet", "person_key", "startdato", "slutdato", "status_ved_afslutning", "timer_pr_uge", "source_row")

CONTRACT = FileContract(
    file="<aktivitet>.xlsx",
    columns=(
        Col("CPR", "person_key", "cpr"),
        Col("Navn", "navn", "drop"),
        # Text dates: 1-3-2021, 01-03-2021, 01.03.2021 (d-m-yyyy or d.m.yyyy); Excel dates too.
        # A roster is no extract: a planned end (or a booked start) may lie ahead.
        Col("Startdato", "startdato", "date", required=True),
        Col("Slutdato", "slutdato", "date"),
        Col("Status ved afslutning", "status_ved_afslutning", "text",
            codes=("afslutningsstatus", "status_ved_afslutning")),
        Col("Timer pr. uge", "timer_pr_uge", "decimal"),
        Col("Bemærkning", "bemaerkning", "drop"),
    ),
    date_format=("%d-%m-%Y", "%d.%m.%Y"),
    period=("startdato", "slutdato"),
    sheet=SHEET,
    skip_blank_rows=True,
    skip_rows=(("CPR", "total"),),
    row_faults="drop",
    row_numbers="file",
    duplicates=("person_key", "startdato"),
)

# The reader's typed columns as the contract types them (one place for each column's type),
# after the activity the roster's file name gives.
SCHEMA = pa.schema([pa.field("aktivitet", pa.string())]
                   + [output_schema(CONTRACT, with_extract_date=False).field(n) for n in COLUMNS[1:]])


@dataclass
class RosterResult:
    table: pa.Table  # COLUMNS, typed as SCHEMA; the good rows of every roster read
    row_faults: list[Violation]  # one per faulty row (level error) or duplicate (level warning)
    files: list[str]  # rosters read, relative to the inbox
    file_faults: list[Violation] = field(default_factory=list)  # whole rosters rejected (header, encoding, …)


def find_rosters(inbox: Path) -> tuple[list[Path], list[Violation]]:
    """Roster files, by name; an activity with both an .xlsx and a .csv is a fault (which
    one is current cannot be told), and neither is read."""
    root = inbox / SOURCE
    if not root.is_dir():
        return [], []
    paths = [p for p in sorted(root.iterdir())
             if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith((".", "~$"))]
    by_stem: dict[str, list[Path]] = {}
    for p in paths:
        by_stem.setdefault(p.stem, []).append(p)
    faults = [Violation(", ".join(f"{SOURCE}/{p.name}" for p in ps), "duplicate-file",
                        "one activity has two rosters: keep one") for ps in by_stem.values() if len(ps) > 1]
    return [ps[0] for ps in by_stem.values() if len(ps) == 1], faults


def read_roster(path: Path, pseudo: Pseudonymizer, display: str | None = None) -> tuple[pa.Table | None, list[Violation], list[Violation]]:
    """One roster: (good rows or None if the whole file is rejected, row faults, file faults)."""
    display = display or f"{SOURCE}/{path.name}"
    res = read_file(path, dataclasses.replace(CONTRACT, file=path.name), pseudo, None, display)
    if res.table is None:
        return None, [], res.violations
    t = res.table
    t = t.append_column("aktivitet", pa.array([path.stem] * t.num_rows, pa.string()))
    faults = sorted(res.violations + res.warnings, key=lambda v: (v.lines[0] if v.lines else 0, v.rule))
    return t.select(list(COLUMNS)).cast(SCHEMA), faults, []


def read_rosters(inbox: Path, pseudo: Pseudonymizer) -> RosterResult:
    paths, file_faults = find_rosters(inbox)
    tables, row_faults, files = [], [], []
    for path in paths:
        table, rows, whole = read_roster(path, pseudo)
        row_faults += rows
        file_faults += whole
        if table is not None:
            tables.append(table)
            files.append(f"{SOURCE}/{path.name}")
    table = pa.concat_tables(tables) if tables else SCHEMA.empty_table()
    return RosterResult(table, row_faults, files, file_faults)
