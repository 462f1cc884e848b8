"""Reader for the housing organisation's address register: `omraader/adresser.csv`."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa

from sources.contract import Col, ContractError, FileContract, read_file
from sources.pseudonym import Pseudonymizer

SOURCE = "omraader"
PATH = Path("omraader") / "adresser.csv"

CONTRACT = FileContract(
    file="adresser.csv",
    columns=(
        Col("Boligområde", "boligomraade", "text", required=True),
        Col("Afdelingsnummer", "afdelingsnummer", "text", required=True),
        Col("Afdelingsnavn", "afdelingsnavn", "text", required=True),
        # The register's streets are matched through the same keyed address
        # pseudonym as citizens' addresses, so no street is stored at all.
        Col("Vejnavn", "vejnavn", "drop"),
        Col("Husnummer", "husnummer", "drop"),
        Col("Postnummer", "postnummer", "text", required=True),
    ),
    address=("Vejnavn", "Husnummer", "Postnummer"),
)


def read_register(inbox: Path, pseudo: Pseudonymizer) -> tuple[pa.Table, date]:
    path = inbox / PATH
    # The register has no extract date of its own: the file's modification day stands in.
    as_of = date.fromtimestamp(path.stat().st_mtime) if path.exists() else date.today()
    res = read_file(path, CONTRACT, pseudo, as_of, str(PATH))
    if res.violations:
        raise ContractError(res.violations)
    return res.table, as_of
