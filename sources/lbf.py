"""Reader for LBF Beboerdata: `lbf/beboerdata_<YYYY>.csv` or `.xlsx` (docs/sources.md).

One file a year, the same columns in both formats (an .xlsx is read from its first
sheet). No personal data: counts per afdeling, boligområde and kommune. LBF suppresses
small numbers itself and writes `x`: such a value is null and its
`<column>_suppressed_at_source` flag is true, so a model can tell LBF's suppression from
a missing value.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pyarrow as pa

from sources.contract import Check, Col, ContractError, FileContract, Violation, read_file

SOURCE = "lbf"
FILE_NAME = re.compile(r"^beboerdata_(\d{4})\.(csv|xlsx)$", re.IGNORECASE)

# Niveau is declared here, not in a seed: it is the file's own structure (which rows are the
# afdeling, the boligområde and the kommune baseline), and the level rules below depend on
# it. Aldersgruppe is a domain fact the models share (the bands the indicators are cut by),
# so its list lives in seed `aldersgrupper` with each band's ages.
NIVEAUER = ("Afdeling", "Boligområde", "Kommune")

CONTRACT = FileContract(
    file="beboerdata_<YYYY>.csv",
    columns=(
        Col("Niveau", "niveau", "text", required=True, values=NIVEAUER),
        Col("Kommunekode", "kommunekode", "text", required=True, pattern=r"[0-9]{3,4}"),
        Col("Boligorganisation", "boligorganisation", "text"),
        Col("Afdelingsnummer", "afdelingsnummer", "text"),
        Col("Afdelingsnavn", "afdelingsnavn", "text"),
        Col("År", "aar", "int", required=True),
        Col("Aldersgruppe", "aldersgruppe", "text", required=True, codes=("aldersgrupper", "aldersgruppe")),
        Col("Antal beboere", "antal_beboere", "int", required=True, source_suppression="x"),
        # Full-time persons are Σ days ÷ days in the year: a count that may carry decimals.
        Col("Offentligt forsørgede fuldtidspersoner", "offentligt_forsoergede_fuldtidspersoner", "decimal",
            required=True, source_suppression="x"),
        Col("Andel offentligt forsørgede (%)", "andel_offentligt_forsoergede_pct", "decimal",
            required=True, source_suppression="x"),
    ),
    checks=(
        Check("level", "Afdelingsnummer is empty on an Afdeling row",
              "t.niveau = 'Afdeling' AND t.afdelingsnummer IS NULL"),
        Check("level", "Afdelingsnavn (the area's name) is empty on a Boligområde row",
              "t.niveau = 'Boligområde' AND t.afdelingsnavn IS NULL"),
        Check("level", "Afdelingsnummer or Afdelingsnavn is filled on a Kommune row (the baseline has none)",
              "t.niveau = 'Kommune' AND (t.afdelingsnummer IS NOT NULL OR t.afdelingsnavn IS NOT NULL)"),
        Check("share", "Andel offentligt forsørgede (%) is not between 0 and 100",
              "t.andel_offentligt_forsoergede_pct NOT BETWEEN 0 AND 100"),
    ),
)


def find_files(inbox: Path) -> tuple[list[tuple[int, Path]], list[Violation]]:
    """(year, path) of every `beboerdata_<YYYY>` file, oldest first; a misnamed
    `beboerdata*` file or two files for one year are violations."""
    root = inbox / SOURCE
    if not root.is_dir():
        return [], []
    found: dict[int, list[Path]] = {}
    viol = []
    for path in sorted(root.iterdir()):
        if not path.is_file() or path.name.startswith((".", "~$")):
            continue
        m = FILE_NAME.match(path.name)
        if m:
            found.setdefault(int(m.group(1)), []).append(path)
        elif path.name.lower().startswith("beboerdata"):
            viol.append(Violation(f"{SOURCE}/{path.name}", "file-name",
                                  "not named beboerdata_<YYYY>.csv or beboerdata_<YYYY>.xlsx"))
    for year, paths in found.items():
        if len(paths) > 1:
            viol.append(Violation(", ".join(f"{SOURCE}/{p.name}" for p in paths), "duplicate-file",
                                  f"two files for {year}: keep one"))
    return [(y, ps[0]) for y, ps in sorted(found.items()) if len(ps) == 1], viol


def read_lbf_file(path: Path, year: int, display: str) -> tuple[pa.Table | None, list[Violation]]:
    """One year's file; every row's År must be the year in the file name."""
    contract = dataclasses.replace(
        CONTRACT, file=path.name,
        checks=CONTRACT.checks + (Check("year", f"År is not {year}, the year in the file name", f"t.aar <> {year}"),))
    res = read_file(path, contract, None, None, display)
    if res.violations:
        return None, res.violations
    table = res.table
    return table.append_column("source_file", pa.array([display] * table.num_rows, pa.string())), []


def read_lbf(inbox: Path) -> tuple[pa.Table | None, list[str]]:
    """All years in `lbf/` as one typed table, and the files read (relative to the inbox).

    Raises ContractError naming every bad file, rule and line; the whole file is rejected.
    Returns (None, []) when there is no LBF file. Columns: source_row, niveau, kommunekode,
    boligorganisation, afdelingsnummer, afdelingsnavn (string), aar (int64), aldersgruppe
    (string), antal_beboere (int64), offentligt_forsoergede_fuldtidspersoner,
    andel_offentligt_forsoergede_pct (double), each count with a bool
    `<name>_suppressed_at_source`, source_file (string)."""
    files, viol = find_files(inbox)
    tables, names = [], []
    for year, path in files:
        display = f"{SOURCE}/{path.name}"
        table, v = read_lbf_file(path, year, display)
        viol += v
        if table is not None:
            tables.append(table)
            names.append(display)
    if viol:
        raise ContractError(viol)
    if not tables:
        return None, []
    return pa.concat_tables(tables), names
