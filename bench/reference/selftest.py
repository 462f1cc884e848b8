"""Hand-computed cases for the reference itself (issue 12's cases), one tiny inbox per case.

    python bench/reference/selftest.py

The CPR numbers below are invented (not valid persons) and live only in a temporary folder.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import reference  # noqa: E402

E, EO = "20210301", "20191231"
CPR = "010190-0001"
HOME = ("Søstjernevej", "12A", "6400")  # afdeling 22 in REGISTER
REGISTER = [("Nørager og Søstjernevej m.fl.", "22", "Søstjernevej", "Søstjernevej", "12A", "6400"),
            ("Stenbjergparken", "24", "Stenbjergparken", "Stenbjergparken", "3", "6400")]
H = {
    "borger_adresse.csv": "CPR-nummer;Vejnavn;Husnummer;Etage;Side/dør;Postnummer;By;Kommunekode;Gyldig fra;Gyldig til",
    "maalgruppe.csv": "CPR-nummer;Målgruppekode;Målgruppe;Startdato;Slutdato;Afslutningsårsag",
    "tilbud.csv": "CPR-nummer;Tilbudsid;Tilbudstype;Startdato;Slutdato;Timer pr. uge;CVR-nummer;Arbejdssted",
    "samtale.csv": "CPR-nummer;Samtaleid;Samtaletype;Frist;Afholdt dato;Status",
    "MATCHPERIODER.csv": "CPRNR;LAB_GRP;FRA_DATO;TIL_DATO;AFGANG_KODE",
    "AKTIVERING.csv": "CPRNR;TILBUD_ART;FRA_DATO;TIL_DATO;TIMER",
    "ADRESSER.csv": "CPRNR;VEJNAVN;HUSNR;ETAGE;DOER;POSTNR;FRA_DATO;TIL_DATO",
}


def dmy(iso: str) -> str:
    return f"{iso[8:10]}-{iso[5:7]}-{iso[:4]}" if iso else ""


def write(path: Path, header: str, rows, enc="utf-8-sig"):
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [header] + [";".join(r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(enc))


def inbox(root: Path, mg=(), adr=None, til=(), omg=(), oakt=(), oadr=()) -> Path:
    """mg: (code, start, end, reason) ISO dates; adr: (street, number, from, to) Momentum."""
    m, o = root / "momentum" / E, root / "opera" / EO
    if adr is None:
        adr = [(HOME[0], HOME[1], "2010-01-01", "")]
    files = {
        "maalgruppe.csv": [[CPR, c, "x", dmy(s), dmy(e), r] for c, s, e, r in mg],
        "borger_adresse.csv": [[CPR, st, nr, "", "", "6400", "Sønderborg", "540", dmy(s), dmy(e)]
                               for st, nr, s, e in adr],
        "tilbud.csv": [[CPR, f"T-{i}", t, dmy(s), dmy(e), "10", "", ""] for i, (t, s, e) in enumerate(til)],
        "samtale.csv": [],
    }
    for n, rows in files.items():
        write(m / n, H[n], rows)
    write(m / "_kontrol.csv", "Fil;Antal rækker", [[n, str(len(r))] for n, r in files.items()])
    ofiles = {
        "MATCHPERIODER.csv": [[CPR.replace("-", ""), g, s, e, k] for g, s, e, k in omg],
        "AKTIVERING.csv": [[CPR.replace("-", ""), t, s, e, "37"] for t, s, e in oakt],
        "ADRESSER.csv": [[CPR.replace("-", ""), st, nr, "", "", "6400", s, e] for st, nr, s, e in oadr],
    }
    for n, rows in ofiles.items():
        write(o / n, H[n], rows, "cp1252")
    write(o / "_KONTROL.csv", "FIL;ANTAL", [[n, str(len(r))] for n, r in ofiles.items()], "cp1252")
    write(root / "omraader" / "adresser.csv",
          "Boligområde;Afdelingsnummer;Afdelingsnavn;Vejnavn;Husnummer;Postnummer", REGISTER)
    return root


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def cell(res, ind, var, lvl, aid, pt, ps):
    return res[(ind, var, lvl, aid, pt, ps)]


@case
def opera_in_momentum_gap(tmp):
    # Momentum 6.2 Jan–Mar and Jul–Dec 2018, Opera 2.2 Apr–Jun: one spell, all of 2018.
    r = reference.compute(inbox(tmp, mg=[("6.2", "2018-01-01", "2018-03-31", "Målgruppeskift"),
                                         ("6.2", "2018-07-01", "2018-12-31", "Selvforsørgende")],
                                omg=[("2.2", "2018-04-01", "2018-06-30", "01")]))
    assert cell(r, "ledige_omfattet", "", "afdeling", "22", "day", "2018-05-31") == 1
    assert cell(r, "tilgang", "6.2", "afdeling", "22", "year", "2018-01-01") == 1
    assert cell(r, "afgang", "6.2|Selvforsørgende", "kommune", "540", "year", "2018-01-01") == 1
    assert cell(r, "afgang", "6.2", "kommune", "540", "year", "2018-01-01") == 1
    assert cell(r, "fuldtidspersoner", "6.2", "kommune", "540", "year", "2018-01-01") == 1


@case
def momentum_inside_opera(tmp):
    # Opera 2.2 all of 2018, Momentum 6.3 in May: Opera pieces Jan–Apr and Jun–Dec (6.2).
    r = reference.compute(inbox(tmp, mg=[("6.3", "2018-05-01", "2018-05-31", "Målgruppeskift")],
                                omg=[("2.2", "2018-01-01", "2018-12-31", "09")]))
    assert cell(r, "maalgruppe_antal", "6.2", "afdeling", "22", "day", "2018-04-30") == 1
    assert cell(r, "maalgruppe_antal", "6.3", "afdeling", "22", "day", "2018-05-31") == 1
    assert cell(r, "maalgruppe_antal", "6.2", "afdeling", "22", "day", "2018-06-30") == 1
    assert cell(r, "tilgang", "6.2", "kommune", "540", "year", "2018-01-01") == 2
    # the first Opera piece was cut by Momentum: no reason (Andet); the second ends on its own
    assert cell(r, "afgang", "6.2|Andet", "kommune", "540", "year", "2018-01-01") == 1
    assert cell(r, "afgang", "6.2|Selvforsørgende", "kommune", "540", "year", "2018-01-01") == 1


@case
def opera_61_touching_momentum_61(tmp):
    # Opera 2.1 2019-01-01..2019-05-31, Momentum 6.1 from 2019-06-01: one spell;
    # 2019-06-30 is its day 181, 2019-07-31 its day 212.
    r = reference.compute(inbox(tmp, mg=[("6.1", "2019-06-01", "", "")],
                                omg=[("2.1", "2019-01-01", "2019-05-31", "03")]))
    assert cell(r, "maalgruppe_antal", "6.1", "afdeling", "22", "day", "2019-06-30") == 0
    assert cell(r, "maalgruppe_antal", "6.1", "afdeling", "22", "day", "2019-07-31") == 1
    assert cell(r, "tilgang", "6.1", "kommune", "540", "year", "2019-01-01") == 1
    assert cell(r, "afgang", "6.1", "kommune", "540", "year", "2019-01-01") == 0


@case
def exactly_182_days(tmp):
    # a spell from 2019-01-01: 2019-07-01 is day 182; 2019-06-30 day 181
    r = reference.compute(inbox(tmp, mg=[("6.1", "2019-01-01", "2019-07-31", "Andet")]))
    assert cell(r, "maalgruppe_antal", "6.1", "kommune", "540", "day", "2019-06-30") == 0
    r = reference.compute(inbox(tmp, mg=[("6.1", "2019-01-31", "2019-07-31", "Andet")]))
    # 2019-01-31 .. 2019-07-31 = 182 days
    assert cell(r, "maalgruppe_antal", "6.1", "kommune", "540", "day", "2019-07-31") == 1


@case
def planned_end_after_extract(tmp):
    r = reference.compute(inbox(tmp, mg=[("6.2", "2020-06-01", "2021-06-30", "")],
                                adr=[(HOME[0], HOME[1], "2010-01-01", "2021-05-31")]))
    assert cell(r, "ledige_omfattet", "", "afdeling", "22", "day", "2021-02-28") == 1
    assert cell(r, "afgang", "6.2", "kommune", "540", "year", "2020-01-01") == 0


@case
def opera_activation_under_mentor(tmp):
    # Opera VP 2019-03-01..2019-04-30, Momentum Mentorstøtte 2019-03-15..2019-03-31:
    # 2019-03-31 is Momentum's day (not activation), 2019-04-30 Opera's (activation).
    r = reference.compute(inbox(tmp, mg=[("6.3", "2019-01-01", "", "")],
                                til=[("Mentorstøtte", "2019-03-15", "2019-03-31")],
                                oakt=[("VP", "2019-03-01", "2019-04-30")]))
    assert cell(r, "aktiveringsgrad", "ultimo", "afdeling", "22", "day", "2019-03-31") == 0
    assert cell(r, "aktiveringsgrad", "ultimo", "afdeling", "22", "day", "2019-04-30") == 100
    assert abs(cell(r, "aktiveringsgrad", "fuldtid", "afdeling", "22", "month", "2019-03-01")
               - 100 * 14 / 31) < 1e-9


@case
def address_in_momentum_gap_and_white_space(tmp):
    # Momentum: elsewhere until 2018-12-31 and from 2019-03-01; Opera: afdeling 22 in between,
    # written with a no-break space before the house number and between number and letter.
    r = reference.compute(inbox(tmp, mg=[("6.2", "2018-01-01", "", "")],
                                adr=[("Perlegade", "1", "2010-01-01", "2018-12-31"),
                                     ("Perlegade", "1", "2019-03-01", "")],
                                oadr=[("SØSTJERNEVEJ\u00a0", "\u00a012\u00a0a", "2018-06-01", "2019-12-31")]))
    assert cell(r, "ledige_omfattet", "", "afdeling", "22", "day", "2018-12-31") == 0
    assert cell(r, "ledige_omfattet", "", "afdeling", "22", "day", "2019-01-31") == 1
    assert cell(r, "ledige_omfattet", "", "afdeling", "22", "day", "2019-02-28") == 1
    assert cell(r, "ledige_omfattet", "", "afdeling", "22", "day", "2019-03-31") == 0
    # every kind of white space folds (Momentum)
    for ws in ["\u00a0", "\u202f", "\t", "\u2003", "\u3000"]:
        r = reference.compute(inbox(tmp, mg=[("6.2", "2018-01-01", "", "")],
                                    adr=[(f"{ws}søstjerne{ws}", f"12{ws}A", "2010-01-01", "")]))
        assert cell(r, "ledige_omfattet", "", "afdeling", "22", "day", "2019-01-31") == 0  # other street
        r = reference.compute(inbox(tmp, mg=[("6.2", "2018-01-01", "", "")],
                                    adr=[(f"{ws}SØSTJERNEVEJ{ws}", f"{ws}012{ws}a", "2010-01-01", "")]))
        assert cell(r, "ledige_omfattet", "", "afdeling", "22", "day", "2019-01-31") == 1, repr(ws)


@case
def langtidsledig_across_sources(tmp):
    # Opera 2.2 2018-01-01..2018-09-30, Momentum 6.1 from 2018-10-01: 6.1/6.2 every day;
    # day 292 of the window is 2018-10-19, so langtidsledig at 2018-10-31, not at 2018-09-30.
    r = reference.compute(inbox(tmp, mg=[("6.1", "2018-10-01", "", "")],
                                omg=[("2.2", "2018-01-01", "2018-09-30", "03")]))
    assert cell(r, "langtidsledige", "", "afdeling", "22", "day", "2018-09-30") == 0
    assert cell(r, "langtidsledige", "", "afdeling", "22", "day", "2018-10-31") == 1


@case
def running_periods_through_the_last_month_end(tmp):
    # extract 2021-03-01: the running quarter and year run 2021-01-01..2021-02-28 (59 days);
    # 6.3 2021-01-10..2021-02-28 (50 days, ends there), 6.2 from 2021-03-01 (after it)
    r = reference.compute(inbox(tmp, mg=[("6.3", "2021-01-10", "2021-02-28", "Andet"),
                                         ("6.2", "2021-03-01", "", "")]))
    for pt in ("quarter", "year"):
        assert abs(cell(r, "fuldtidspersoner", "6.3", "kommune", "540", pt, "2021-01-01") - 50 / 59) < 1e-12
        assert cell(r, "fuldtidspersoner", "6.2", "kommune", "540", pt, "2021-01-01") == 0
    assert abs(cell(r, "fuldtidspersoner", "6.3", "kommune", "540", "month", "2021-02-01") - 1) < 1e-12
    assert ("fuldtidspersoner", "6.2", "kommune", "540", "month", "2021-03-01") not in r
    assert cell(r, "tilgang", "6.3", "kommune", "540", "year", "2021-01-01") == 1
    assert cell(r, "afgang", "6.3", "kommune", "540", "year", "2021-01-01") == 1
    assert cell(r, "tilgang", "6.2", "kommune", "540", "year", "2021-01-01") == 0


def main():
    failed = 0
    for fn in CASES:
        with tempfile.TemporaryDirectory() as t:
            try:
                fn(Path(t))
                print(f"ok   {fn.__name__}")
            except AssertionError as e:
                failed += 1
                print(f"FAIL {fn.__name__} {e}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
