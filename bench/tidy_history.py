"""Make an inbox's Opera history tidy: every Opera period ends before the person's first
Momentum period of its kind (målgruppe; address; for aktivering the first målgruppe period or
tilbud, whichever is earlier), so no Opera day lies where Momentum has anything to say.

Why: issue 12 changed Momentum's precedence from "Opera only before the person's first
Momentum period" to "Momentum wins day by day". The two readings agree exactly on such a
tidy inbox, so running the pipeline before and after the change on a tidied inbox shows
that nothing but the precedence moved. (`helhedsdata generate` leaves the Opera periods
of its late-converted persons open past their Momentum start on purpose: there the two
readings differ, and the day-by-day one is docs/sources.md's.)

    python bench/tidy_history.py INBOX OUT
"""
from __future__ import annotations

import csv
import io
import re
import shutil
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

MOMENTUM_STARTS = {"maalgruppe.csv": "Startdato", "borger_adresse.csv": "Gyldig fra", "tilbud.csv": "Startdato"}
# Opera file -> (start, end, the Momentum files whose first start cuts it)
OPERA_PERIODS = {"MATCHPERIODER.csv": ("FRA_DATO", "TIL_DATO", ("maalgruppe.csv",)),
                 "AKTIVERING.csv": ("FRA_DATO", "TIL_DATO", ("maalgruppe.csv", "tilbud.csv")),
                 "ADRESSER.csv": ("FRA_DATO", "TIL_DATO", ("borger_adresse.csv",))}


def person(cpr: str) -> str:
    return re.sub(r"\D", "", cpr)


def read(path: Path, encoding: str) -> tuple[list[str], list[list[str]]]:
    text = path.read_bytes().decode(encoding)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    return rows[0], [r for r in rows[1:] if r]


def write(path: Path, header: list[str], rows: list[list[str]], encoding: str) -> None:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows([header, *rows])
    path.write_bytes(buf.getvalue().encode(encoding))


def tidy(inbox: Path, out: Path) -> dict[str, int]:
    shutil.copytree(inbox, out)
    momentum = sorted((out / "momentum").iterdir())[-1]
    firsts: dict[str, dict[str, date]] = {}
    for name, col in MOMENTUM_STARTS.items():
        header, rows = read(momentum / name, "utf-8-sig")
        i = header.index(col)
        first = firsts[name] = {}
        for r in rows:
            p, d = person(r[0]), datetime.strptime(r[i].strip(), "%d-%m-%Y").date()
            first[p] = min(first.get(p, d), d)
    changed = {}
    for opera in (out / "opera").iterdir():
        counts = {}
        for name, (a, b, cut_by) in OPERA_PERIODS.items():
            header, rows = read(opera / name, "cp1252")
            ia, ib = header.index(a), header.index(b)
            kept, n = [], 0
            for r in rows:
                f = min((firsts[m][person(r[0])] for m in cut_by if person(r[0]) in firsts[m]), default=None)
                if f is None or date.fromisoformat(r[ia].strip()) < f and (
                        r[ib].strip() and date.fromisoformat(r[ib].strip()) < f):
                    kept.append(r)
                    continue
                n += 1
                last = f - timedelta(days=1)
                if date.fromisoformat(r[ia].strip()) <= last:
                    r[ib] = last.isoformat()
                    if name == "MATCHPERIODER.csv":
                        r[header.index("AFGANG_KODE")] = ""  # cut: it did not end there for a reason
                    kept.append(r)
            write(opera / name, header, kept, "cp1252")
            counts[name], changed[f"{opera.name}/{name}"] = len(kept), n
        kontrol = opera / "_KONTROL.csv"
        header, rows = read(kontrol, "cp1252")
        write(kontrol, header, [[r[0], str(counts.get(r[0], r[1]))] for r in rows], "cp1252")
    return changed


if __name__ == "__main__":
    for k, v in tidy(Path(sys.argv[1]), Path(sys.argv[2])).items():
        print(f"{k}: {v} rows cut or dropped")
