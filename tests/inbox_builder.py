"""Write small inboxes in the exact dialect of docs/sources.md, for hand-computed cases.

Deliberately independent of synth.generator: the tests must not share code with
what they test."""
from __future__ import annotations

from datetime import date
from pathlib import Path

MOMENTUM_HEADERS = {
    "borger_adresse.csv": "CPR-nummer;Vejnavn;Husnummer;Etage;Side/dør;Postnummer;By;Kommunekode;Gyldig fra;Gyldig til",
    "maalgruppe.csv": "CPR-nummer;Målgruppekode;Målgruppe;Startdato;Slutdato;Afslutningsårsag",
    "tilbud.csv": "CPR-nummer;Tilbudsid;Tilbudstype;Startdato;Slutdato;Timer pr. uge;CVR-nummer;Arbejdssted",
    "samtale.csv": "CPR-nummer;Samtaleid;Samtaletype;Frist;Afholdt dato;Status",
}
REGISTER_HEADER = "Boligområde;Afdelingsnummer;Afdelingsnavn;Vejnavn;Husnummer;Postnummer"

# The boligområder of plans/soenderborg-beskaeftigelse-2021.yaml.
REGISTER = [
    ("Nørager og Søstjernevej m.fl.", "22", "Søstjernevej", "Søstjernevej", "12A", "6400"),
    ("Nørager og Søstjernevej m.fl.", "22", "Søstjernevej", "Søstjernevej", "14", "6400"),
    ("Nørager og Søstjernevej m.fl.", "35", "Nørager", "Nørager", "7", "6400"),
    ("Stenbjergparken", "24", "Stenbjergparken", "Stenbjergparken", "3", "6400"),
    ("Kløver-/Hvedemarken", "30", "Hvedemarken", "Hvedemarken", "41", "6400"),
]


def d(s: str | None) -> str:
    """ISO date -> dd-mm-yyyy (Momentum); None -> empty."""
    if not s:
        return ""
    return date.fromisoformat(s).strftime("%d-%m-%Y")


def write_csv(path: Path, header: str, rows: list[tuple], encoding: str = "utf-8-sig") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [header] + [";".join("" if v is None else str(v) for v in r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))


def write_momentum(inbox: Path, extract: str, files: dict[str, list[tuple]]) -> Path:
    folder = inbox / "momentum" / extract
    counts = []
    for name, header in MOMENTUM_HEADERS.items():
        rows = files.get(name, [])
        write_csv(folder / name, header, rows)
        counts.append((name, len(rows)))
    write_csv(folder / "_kontrol.csv", "Fil;Antal rækker", counts)
    return folder


def write_register(inbox: Path, rows=REGISTER) -> None:
    write_csv(inbox / "omraader" / "adresser.csv", REGISTER_HEADER, list(rows))

OPERA_HEADERS = {
    "MATCHPERIODER.csv": "CPRNR;LAB_GRP;FRA_DATO;TIL_DATO;AFGANG_KODE",
    "AKTIVERING.csv": "CPRNR;TILBUD_ART;FRA_DATO;TIL_DATO;TIMER",
    "ADRESSER.csv": "CPRNR;VEJNAVN;HUSNR;ETAGE;DOER;POSTNR;FRA_DATO;TIL_DATO",
}


def write_opera(inbox: Path, extract: str, files: dict[str, list[tuple]]) -> Path:
    """An Opera extract: Windows-1252, ISO dates (give them as ISO strings), no BOM."""
    folder = inbox / "opera" / extract
    counts = []
    for name, header in OPERA_HEADERS.items():
        rows = files.get(name, [])
        write_csv(folder / name, header, rows, encoding="cp1252")
        counts.append((name, len(rows)))
    write_csv(folder / "_KONTROL.csv", "FIL;ANTAL", counts, encoding="cp1252")
    return folder

ROSTER_HEADER = ["CPR", "Navn", "Startdato", "Slutdato", "Status ved afslutning", "Timer pr. uge", "Bemærkning"]


def write_roster(inbox: Path, activity: str, rows: list[tuple], kind: str = "csv") -> Path:
    """A project roster `roster/<activity>.csv|xlsx` (docs/sources.md). rows: (cpr, startdato,
    slutdato, status) with ISO dates (None = empty); a .csv gets dd-mm-yyyy text, an .xlsx
    Excel dates in sheet Deltagere. Name, hours and remark are filled in as staff would."""
    path = inbox / "roster" / f"{activity}.{kind}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "csv":
        write_csv(path, ";".join(ROSTER_HEADER),
                  [(cpr, "Test Deltager", d(a), d(b), status or "", "15", "") for cpr, a, b, status in rows])
        return path
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Deltagere"
    ws.append(ROSTER_HEADER)
    for cpr, a, b, status in rows:
        ws.append([cpr, "Test Deltager", dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b) if b else None,
                   status, 15, None])
    wb.save(path)
    return path
