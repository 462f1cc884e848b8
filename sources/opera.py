"""Reader for the legacy KMD Opera extract: `opera/<YYYYMMDD>/` (docs/sources.md).

The same machinery as Momentum (complete when `_KONTROL.csv` is present, valid when every
file keeps its contract and every count matches), in Opera's dialect: Windows-1252,
ISO dates, upper-case headers, `FIL;ANTAL` in the control file.

Codes are handed over exactly as written: `LAB_GRP` stays text (`2.10` is not `2.1`);
mapping LAB § 2 groups to § 6 målgrupper is the models' job (seed `lab2_til_lab6`).
"""
from __future__ import annotations

from pathlib import Path

from sources import momentum
from sources.contract import Col, FileContract
from sources.pseudonym import Pseudonymizer

SOURCE = "opera"
CONTROL_FILE = "_KONTROL.csv"
CONTROL_HEADERS = ("FIL", "ANTAL")
ENCODING = "cp1252"  # Windows-1252, not latin-1: the two differ in 0x80-0x9F
CONTROL_ENCODING = ENCODING
DATE_FORMAT = "%Y-%m-%d"


def _contract(file: str, columns: tuple[Col, ...], **rules) -> FileContract:
    return FileContract(file=file, columns=columns, encoding=ENCODING, date_format=DATE_FORMAT, **rules)


CONTRACTS: dict[str, FileContract] = {
    "matchperioder": _contract(
        "MATCHPERIODER.csv",
        (
            Col("CPRNR", "person_key", "cpr", birth_date="foedselsdato"),
            # LAB § 2 group as written: any 'n.m' is accepted (unmapped groups keep their value).
            Col("LAB_GRP", "lab_grp", "text", required=True, pattern=r"[0-9]+\.[0-9]+"),
            Col("FRA_DATO", "start_date", "date", required=True, not_after_extract=True),
            Col("TIL_DATO", "end_date", "date"),
            Col("AFGANG_KODE", "afgang_kode", "text", codes=("afslutningsaarsager", "opera_afgang_kode")),
        ),
        period=("start_date", "end_date"),
        non_overlapping=True,
    ),
    "aktivering": _contract(
        "AKTIVERING.csv",
        (
            Col("CPRNR", "person_key", "cpr"),
            Col("TILBUD_ART", "tilbud_art", "text", required=True, codes=("tilbudstyper", "opera_tilbud_art")),
            Col("FRA_DATO", "start_date", "date", required=True, not_after_extract=True),
            Col("TIL_DATO", "end_date", "date"),  # planned ends lie after the extract date
            Col("TIMER", "timer_pr_uge", "decimal"),
        ),
        period=("start_date", "end_date"),
    ),
    "adresser": _contract(
        "ADRESSER.csv",
        (
            Col("CPRNR", "person_key", "cpr"),
            Col("VEJNAVN", "vejnavn", "drop"),
            Col("HUSNR", "husnummer", "drop"),
            Col("ETAGE", "etage", "drop"),
            Col("DOER", "side_doer", "drop"),
            Col("POSTNR", "postnummer", "text", required=True),
            Col("FRA_DATO", "gyldig_fra", "date", required=True, not_after_extract=True),
            Col("TIL_DATO", "gyldig_til", "date"),
        ),
        period=("gyldig_fra", "gyldig_til"),
        non_overlapping=True,
        # Upper-case streets ('SØSTJERNEVEJ') get the same key as Momentum's: case is folded.
        address=("VEJNAVN", "HUSNR", "POSTNR"),
    ),
}

Extract = momentum.Extract


def find_extracts(inbox: Path) -> list[Path]:
    """Complete Opera extract folders (control file present), newest first."""
    return momentum.find_extracts(inbox, SOURCE, CONTROL_FILE)


def read_extract(folder: Path, pseudo: Pseudonymizer, inbox: Path | None = None,
                 contracts: dict[str, FileContract] = CONTRACTS, on_table=None) -> Extract:
    """Read and validate a whole Opera extract; raise ContractError listing every violation.

    Tables: `matchperioder`, `aktivering`, `adresser` (see CONTRACTS), each with
    `source_row` and `extract_date`. `on_table`: as momentum.read_extract's."""
    return momentum.read_extract(folder, pseudo, inbox, contracts=contracts, control_file=CONTROL_FILE,
                                 control_headers=CONTROL_HEADERS, control_encoding=ENCODING, source=SOURCE,
                                 on_table=on_table)
