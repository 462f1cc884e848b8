"""Synthetic inbox generator.

Writes a complete, realistic inbox (Momentum, Opera, LBF, rosters, address register) in exactly
the file formats of ``spec/sources.md``, so the pipeline can be developed, tested and benchmarked
without personal data.  Everything is vectorised (numpy + pyarrow): one million persons take well
under a minute on a laptop.

How the data is built (one "true" history per person, then each source shows its view of it):

* persons get a CPR number, an address history and, for some, a move out of the kommune;
* the målgruppe state on the last month end before the extract (the *anchor*) is drawn first, per
  residence (afdeling or not) and age, so the ``004`` table can be calibrated directly; the
  history is then generated backwards from the anchor as alternating gaps and episodes, an
  episode being a chain of contiguous periods (``Målgruppeskift``);
* Momentum shows each person's history from the person's conversion date (2016-01-01 for most,
  a day in 2019 for some); Opera shows it up to the day before, and for the persons converted in
  2019 Opera was frozen at conversion but kept open: those days overlap Momentum, which wins;
* tilbud and samtaler are drawn inside the målgruppe periods; the rosters take residents of the
  afdelinger who are or were ledige.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

__all__ = ["generate_inbox"]

EPOCH = date(1970, 1, 1)
OPEN = 10**7  # end day of an open period while computing; written as an empty field
BIG = 2 * 10**7  # "no value" in padded matrices


def _day(d: date) -> int:
    return (d - EPOCH).days


# ----------------------------------------------------------------------------------------------
# Code lists (docs/sources.md)
# ----------------------------------------------------------------------------------------------

GROUPS = ["6.1", "6.2", "6.3", "6.4", "6.5", "6.6", "6.7", "6.8", "6.9", "6.10", "INT-SHP"]
GROUP_NAMES = [
    "Dagpengemodtager",
    "Jobparat kontanthjælps- og overgangsydelsesmodtager",
    "Aktivitetsparat kontanthjælps- og overgangsydelsesmodtager",
    "Uddannelsesparat uddannelseshjælps- og overgangsydelsesmodtager",
    "Aktivitetsparat uddannelseshjælps- og overgangsydelsesmodtager",
    "Sygedagpengemodtager",
    "Jobafklaringsforløb",
    "Ressourceforløb",
    "Visiteret til fleksjob (ledighedsydelsesmodtager)",
    "Revalidend",
    "Selvforsørgelses- og hjemrejseydelsesmodtager i program",
]
NONE = len(GROUPS)  # "no målgruppe" in state arrays
G61, G62, G63, G64, G65, G66, G67, G68, G69, G610, GINT = range(11)
LEDIGE = [G62, G63, G64, G65, G68, GINT]  # ledige_omfattet (004 table without 6.1)

# Opera LAB § 2 groups.  Only 2.1/2.2/2.3/2.12/2.13 map to a current group; the others keep
# their own value.  "2.10" is deliberate: read as a number it would collide with "2.1".
OPERA_GROUP = ["2.1", "2.2", "2.3", "2.12", "2.13", "2.5", "2.14", "2.11", "2.6", "2.4", "2.10"]

REASONS = [
    "Ordinær beskæftigelse", "Ordinær uddannelse", "Målgruppeskift", "Fleksjob", "Førtidspension",
    "Ressourceforløb", "Revalidering", "Fraflytning", "Selvforsørgende", "Andet",
]
R_ORDB, R_ORDU, R_SHIFT, R_FLEX, R_FTP, R_RESS, R_REVAL, R_FRAFL, R_SELV, R_ANDET = range(10)
AFGANG = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "99"]

# Exit reasons of a closed episode, per group (columns as REASONS; Målgruppeskift and
# Fraflytning are set structurally, never drawn).
REASON_P = np.array([
    # OrdB OrdU Skift Flex  FTP  Ress Reval Frafl Selv Andet
    [.62, .08, 0, 0, 0, 0, 0, 0, .20, .10],  # 6.1
    [.45, .08, 0, 0, 0, 0, 0, 0, .30, .17],  # 6.2
    [.20, .05, 0, .05, .08, .12, .03, 0, .20, .27],  # 6.3
    [.25, .45, 0, 0, 0, 0, 0, 0, .15, .15],  # 6.4
    [.15, .30, 0, 0, .02, .08, .02, 0, .15, .28],  # 6.5
    [.60, 0, 0, .03, .04, 0, .02, 0, .20, .11],  # 6.6
    [.20, 0, 0, .20, .20, .20, 0, 0, .05, .15],  # 6.7
    [.05, 0, 0, .35, .35, 0, .05, 0, .05, .15],  # 6.8
    [.10, 0, 0, .60, .10, 0, 0, 0, .05, .15],  # 6.9
    [.50, .20, 0, 0, 0, 0, 0, 0, .15, .15],  # 6.10
    [.35, .10, 0, 0, 0, 0, 0, 0, .30, .25],  # INT-SHP
])

# Group before a Målgruppeskift into the given group (two candidates, -1 = none).
PRED = np.array([
    [G61, G61],  # 6.1: only a same-group split (two contiguous 6.1 periods)
    [G61, G63],  # 6.2 after dagpenge ran out, or from aktivitetsparat
    [G62, G66],  # 6.3
    [G65, G65],  # 6.4
    [G64, G64],  # 6.5
    [G61, G62],  # 6.6 sick while ledig
    [G66, G66],  # 6.7 after sygedagpenge
    [G63, G67],  # 6.8
    [G68, G67],  # 6.9
    [G66, G63],  # 6.10
    [-1, -1],  # INT-SHP
])

# Mean episode length in days per group (exponential above a 14-day minimum).  6.1 gives
# P(elapsed >= 182 days) ~ 0.38, so the anchor has 6.1 spells on both sides of 26 weeks.
MEAN_DUR = np.array([190, 300, 650, 260, 450, 130, 420, 700, 800, 500, 700], dtype=float)

# Probability of each group at the anchor (month end before the extract), by residence and age.
# Calibrated to the 004 table: ~300 residents of 18-64 per afdeling give 6.1 (26+) ~8, 6.2 ~13,
# 6.3 ~18, 6.4 ~8, 6.5 ~3, 6.8 ~8, INT-SHP ~10; kommune ~8 % in ledige_omfattet.
P_RES_YOUNG = [.040, .010, .010, .085, .035, .015, .000, .005, .005, .005, .040]
P_RES_OLD = [.070, .050, .070, .000, .000, .035, .010, .030, .020, .004, .025]
P_OTH_YOUNG = [.030, .005, .005, .045, .015, .020, .002, .003, .003, .003, .010]
P_OTH_OLD = [.045, .026, .036, .000, .000, .040, .010, .013, .020, .003, .008]

TILBUD_TYPES = ["Virksomhedspraktik", "Løntilskud privat", "Løntilskud offentlig", "Nytteindsats",
                "Vejledning og opkvalificering", "Mentorstøtte"]
T_VP, T_LTP, T_LTO, T_NYT, T_VO, T_MENTOR = range(6)
OPERA_TILBUD = ["VP", "LTP", "LTO", "NYT", "VO"]
# Tilbud rate per day inside a period (0 = none), and the mix of activation types per group.
TILBUD_RATE = np.array([1 / 300, 1 / 150, 1 / 170, 1 / 150, 1 / 200, 0, 0, 1 / 200, 0, 0, 1 / 140])
TILBUD_MIX = np.array([
    [.25, .25, .10, .00, .40],  # 6.1
    [.38, .12, .10, .17, .23],  # 6.2
    [.45, .05, .10, .15, .25],  # 6.3
    [.35, .10, .05, .15, .35],  # 6.4
    [.45, .03, .05, .12, .35],  # 6.5
    [.20, .20, .20, .20, .20],  # 6.6 (unused)
    [.20, .20, .20, .20, .20],  # 6.7 (unused)
    [.55, .05, .10, .05, .25],  # 6.8
    [.20, .20, .20, .20, .20],  # 6.9 (unused)
    [.20, .20, .20, .20, .20],  # 6.10 (unused)
    [.40, .10, .10, .15, .25],  # INT-SHP
])
TILBUD_MIN = np.array([14, 60, 60, 28, 14])
TILBUD_EXP = np.array([45.0, 110.0, 90.0, 50.0, 25.0])
TILBUD_MAX = np.array([91, 365, 365, 91, 180])
# Weekly hours in half hours per type (15 -> 30 half hours).
TILBUD_HOURS = [
    [30, 40, 50, 60, 74],  # VP
    [74, 60, 50, 40],  # LTP
    [74, 60, 50],  # LTO
    [30, 40, 74],  # NYT
    [40, 60, 74, 37],  # VO
    [2, 4, 5, 6, 8, 10],  # Mentor
]

SAMTALE_TYPES = ["Jobsamtale", "Opfølgningssamtale", "Fællessamtale", "CV-samtale"]
SAMTALE_MIX = np.array([
    [.65, .00, .25, .10],  # 6.1 (a-kasse joins some: fællessamtale)
    [.80, .15, .00, .05], [.80, .15, .00, .05], [.80, .15, .00, .05], [.80, .15, .00, .05],
    [.05, .95, .00, .00],  # 6.6
    [.30, .70, .00, .00], [.30, .70, .00, .00], [.30, .70, .00, .00],
    [.80, .15, .00, .05], [.80, .15, .00, .05],
])
SAMTALE_IV = np.array([91, 91, 91, 91, 91, 56, 91, 91, 182, 91, 91])
SAMTALE_FIRST = np.array([28, 30, 30, 30, 30, 28, 30, 30, 60, 30, 30])

ROSTER_STATUS = ["Beskæftigelse over 18,5 timer", "Ordinære timer under 18,5", "Uddannelse",
                 "Virksomhedsforløb", "Fortsat ledig", "Andet"]

# ----------------------------------------------------------------------------------------------
# Places
# ----------------------------------------------------------------------------------------------

BOLIGORGANISATION = "Sønderborg Andelsboligforening"
HELHEDSPLAN = "Aktiv i fællesskabet"
# (afdelingsnummer, afdelingsnavn, boligområde, vejnavn, entrances)
AFDELINGER = [
    (22, "Søstjernevej", "Nørager og Søstjernevej m.fl.", "Søstjernevej",
     ["2", "4", "6", "8", "10", "12A", "12B", "14", "16", "18"]),
    (35, "Nørager", "Nørager og Søstjernevej m.fl.", "Nørager",
     ["1", "3", "5", "7", "9", "11", "13", "15"]),
    (24, "Stenbjergparken", "Stenbjergparken", "Stenbjergparken",
     ["1", "3", "5", "7", "9", "11", "13", "15", "17", "19", "21", "23"]),
    (30, "Hvedemarken", "Kløver-/Hvedemarken", "Hvedemarken",
     ["29", "31", "33", "33A", "35", "37", "39", "41", "43"]),
    (31, "Kløvermarken", "Kløver-/Hvedemarken", "Kløvermarken",
     ["2", "4", "6", "8", "10A", "10B"]),
]
AFD_HOME_P = np.array([.22, .21, .23, .21, .13])  # 31 is smaller than the four of the 004 table

POSTBY = {"6400": "Sønderborg", "6300": "Gråsten", "6310": "Broager", "6320": "Egernsund",
          "6430": "Nordborg", "6440": "Augustenborg", "6470": "Sydals"}
OTHER_STREETS = [  # (vejnavn, postnummer), all in kommune 540
    ("Perlegade", "6400"), ("Jernbanegade", "6400"), ("Ringgade", "6400"), ("Kongevej", "6400"),
    ("Augustenborg Landevej", "6400"), ("Sundsmarkvej", "6400"), ("Grundtvigs Allé", "6400"),
    ("Møllegade", "6400"), ("Løngangen", "6400"), ("Ellegårdvej", "6400"), ("Østergade", "6400"),
    ("Skovvej", "6400"), ("Parkvej", "6400"), ("Alsgade", "6400"), ("Dybbølgade", "6400"),
    ("Nørrekobbel", "6400"), ("Arnkilgade", "6400"), ("Kærvej", "6400"), ("Mommarkvej", "6400"),
    ("Tandsbjergvej", "6400"), ("Engvej", "6400"), ("Vestergade", "6400"),
    ("Sdr. Landevej", "6400"), ("Solvej", "6400"), ("Humlehøj", "6400"), ("Lærkevej", "6400"),
    ("Bøgevej", "6400"), ("Borggade", "6300"), ("Slotsgade", "6300"), ("Ulsnæs", "6300"),
    ("Felstedvej", "6300"), ("Kongevej", "6300"), ("Ahlefeldtvej", "6300"),
    ("Storegade", "6310"), ("Vestergade", "6310"), ("Mølleløkken", "6310"),
    ("Skolegade", "6310"), ("Færgevej", "6320"), ("Nejsvej", "6320"), ("Storegade", "6430"),
    ("Havnevej", "6430"), ("Mejerivej", "6430"), ("Storegade", "6440"), ("Havnevej", "6440"),
    ("Slotsallé", "6440"), ("Skovbyvej", "6470"), ("Vibækvej", "6470"), ("Kegnæsvej", "6470"),
]
OUTSIDE = [  # (vejnavn, postnummer, by, kommunekode) for persons who move away
    ("Nørreport", "6200", "Aabenraa", "580"), ("Vestergade", "6270", "Tønder", "550"),
    ("Kongensgade", "6700", "Esbjerg", "561"), ("Nørrebrogade", "2200", "København N", "101"),
    ("Frederiks Allé", "8000", "Aarhus C", "751"), ("Jomfrustien", "6100", "Haderslev", "510"),
]
OUTSIDE_P = np.array([.35, .15, .15, .12, .13, .10])

COMPANIES_PRIVATE = [
    "Lokal Brugs A/S", "Nordals Metal ApS", "Alssund Rengøring ApS", "Dybbøl Auto ApS",
    "Sydals Gartneri", "Als Byg & Anlæg ApS", "Sønderborg Fragt ApS", "Augustenborg Bageri",
    "Nordborg Plast A/S", "Gråsten Køkken ApS", "Broager Lager & Logistik A/S",
    "Egernsund Marine ApS", "Als Kantine ApS", "Sundeved Maskinstation", "Rinkenæs Møbler ApS",
    "Kegnæs Fiskeri", "Alsion Service ApS", "Sønderjysk Tømrer ApS", "Havnbjerg Maler ApS",
    "Sønderborg Genbrug ApS",
]
COMPANIES_PUBLIC = [
    "Plejecenter Solgården", "Dagtilbud Humlehøj", "Materielgården Sønderborg", "Skovby Skole",
    "Genbrugsplads Vestermark", "Sønderborg Bibliotek",
]

FIRST_NAMES = [
    "Mette", "Anne", "Kirsten", "Hanne", "Louise", "Camilla", "Sara", "Maria", "Fatima", "Amina",
    "Leyla", "Nadia", "Zainab", "Jens", "Lars", "Søren", "Peter", "Michael", "Thomas", "Mads",
    "Kasper", "Ahmed", "Mohammad", "Ali", "Omar", "Hassan", "Yusuf", "Emre", "Tobias", "Jonas",
]
LAST_NAMES = [
    "Hansen", "Jensen", "Nielsen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
    "Rasmussen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Poulsen", "Johansen",
    "Møller", "Mortensen", "Jakobsen", "Lauridsen", "Hussein", "Ahmadi", "Yilmaz", "Khalil",
    "Haddad", "Abdi", "Demir", "Said",
]
REMARKS = ["startet igen", "sygemeldt i en periode", "fik job hos praktikvært",
           "henvist fra jobcentret", "tolk ved første samtale", "pause i forløbet"]

# ----------------------------------------------------------------------------------------------
# Headers
# ----------------------------------------------------------------------------------------------

H_ADR = ["CPR-nummer", "Vejnavn", "Husnummer", "Etage", "Side/dør", "Postnummer", "By",
         "Kommunekode", "Gyldig fra", "Gyldig til"]
H_MG = ["CPR-nummer", "Målgruppekode", "Målgruppe", "Startdato", "Slutdato", "Afslutningsårsag"]
H_TILBUD = ["CPR-nummer", "Tilbudsid", "Tilbudstype", "Startdato", "Slutdato", "Timer pr. uge",
            "CVR-nummer", "Arbejdssted"]
H_SAMTALE = ["CPR-nummer", "Samtaleid", "Samtaletype", "Frist", "Afholdt dato", "Status"]
H_O_MATCH = ["CPRNR", "LAB_GRP", "FRA_DATO", "TIL_DATO", "AFGANG_KODE"]
H_O_AKT = ["CPRNR", "TILBUD_ART", "FRA_DATO", "TIL_DATO", "TIMER"]
H_O_ADR = ["CPRNR", "VEJNAVN", "HUSNR", "ETAGE", "DOER", "POSTNR", "FRA_DATO", "TIL_DATO"]
H_LBF = ["Niveau", "Kommunekode", "Boligorganisation", "Afdelingsnummer", "Afdelingsnavn", "År",
         "Aldersgruppe", "Antal beboere", "Offentligt forsørgede fuldtidspersoner",
         "Andel offentligt forsørgede (%)"]
H_ROSTER = ["CPR", "Navn", "Startdato", "Slutdato", "Status ved afslutning", "Timer pr. uge",
            "Bemærkning"]
H_REGISTER = ["Boligområde", "Afdelingsnummer", "Afdelingsnavn", "Vejnavn", "Husnummer",
              "Postnummer"]

# ----------------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------------

I32 = np.int32


def _date(d: int) -> date:
    return EPOCH + timedelta(days=int(d))


def _draw(r: np.random.Generator, probs, cls: np.ndarray) -> np.ndarray:
    """One categorical draw per element of ``cls`` from the distribution ``probs[cls]``."""
    probs = np.asarray(probs, dtype=float)
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    u = r.random(cls.shape, dtype=np.float32)
    out = np.zeros(cls.shape, dtype=np.int8)
    for c in np.unique(cls):
        m = cls == c
        out[m] = np.searchsorted(cum[c], u[m], side="right")
    return np.minimum(out, probs.shape[1] - 1).astype(np.int8)


def _choice(r: np.random.Generator, p, size) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    u = r.random(size, dtype=np.float32)
    return np.minimum(np.searchsorted(np.cumsum(p) / p.sum(), u, side="right"), len(p) - 1)


def _rand(r: np.random.Generator, size) -> np.ndarray:
    return r.random(size, dtype=np.float32)


def _exp(r: np.random.Generator, size) -> np.ndarray:
    return r.standard_exponential(size, dtype=np.float32)


def _ints(r: np.random.Generator, lo, hi, size) -> np.ndarray:
    return r.integers(lo, hi, size, dtype=I32)


def _take(values, idx: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Strings looked up by index; ``null`` marks empty fields.  Fast for millions of rows."""
    arr = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    idx = np.asarray(idx)
    if null is not None:
        idx = np.where(null, 0, idx)
    return arr.take(pa.array(idx, mask=null))


def _join(*parts: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _ids(prefix: str, count: int, width: int) -> pa.Array:
    nums = pc.utf8_lpad(pa.array(np.arange(1, count + 1, dtype=np.int64)).cast(pa.string()),
                        width=max(width, len(str(count))), padding="0")
    return _join(pa.array([prefix], pa.string()).take(pa.array(np.zeros(count, np.int32))), nums)


def _ymd(days: np.ndarray):
    d = np.asarray(days).astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, dd


def _age(birth: np.ndarray, on: date) -> np.ndarray:
    y, m, d = _ymd(birth)
    return (on.year - y - ((on.month < m) | ((on.month == m) & (on.day < d)))).astype(I32)


class _Dates:
    """Pre-formatted date strings for every day in the range; a row is formatted by lookup."""

    def __init__(self, lo: int, hi: int):
        self.lo, self.hi = lo, hi
        days = pa.array(np.arange(lo, hi + 1, dtype=I32)).cast(pa.date32())
        self.dmy = pc.strftime(days, format="%d-%m-%Y")
        self.iso = pc.strftime(days, format="%Y-%m-%d")

    def fmt(self, days: np.ndarray, iso: bool = False) -> pa.Array:
        days = np.asarray(days)
        null = days >= OPEN
        idx = np.where(null, 0, days - self.lo)
        if len(idx) and (idx.min() < 0 or idx.max() > self.hi - self.lo):
            raise ValueError("date outside the generated range")
        return _take(self.iso if iso else self.dmy, idx, null)


def _hours_table() -> pa.Array:
    """Index 2*halfhours + variant -> "15", "15,0", "30,5" (variant 1 = trailing ",0")."""
    out = []
    for v in range(0, 161):
        whole, half = divmod(v, 2)
        base = f"{whole},5" if half else str(whole)
        out += [base, base if half else f"{whole},0"]
    return pa.array(out, pa.string())


def _write_csv(path: Path, header: list[str], cols: list[pa.Array], encoding: str = "utf-8") -> int:
    """``;``-separated, CRLF, header written by hand (BOM for UTF-8, none for cp1252).

    pyarrow's "needed" quoting quotes every string, so quoting is off: no generated value holds
    ``;``, ``"`` or a line break (pyarrow raises if one ever does)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_arrays(cols, names=[f"c{i}" for i in range(len(cols))])
    opts = pacsv.WriteOptions(include_header=False, delimiter=";", quoting_style="none",
                              eol="\r\n", batch_size=1 << 16)
    head = ";".join(header) + "\r\n"
    with open(path, "wb") as f:
        if encoding == "utf-8":
            f.write(b"\xef\xbb\xbf" + head.encode("utf-8"))
            if table.num_rows:
                pacsv.write_csv(table, f, opts)
        else:  # pyarrow writes UTF-8 only: transcode slice by slice to keep memory flat
            f.write(head.encode(encoding))
            step = 1 << 18
            for lo in range(0, table.num_rows, step):
                buf = io.BytesIO()
                pacsv.write_csv(table.slice(lo, step), buf, opts)
                f.write(buf.getvalue().decode("utf-8").encode(encoding))
    return table.num_rows


def _write_text(path: Path, header: list[str], rows: list[list[str]], bom: bool = True) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(";".join(r) + "\r\n" for r in [header] + rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return len(rows)


# ----------------------------------------------------------------------------------------------
# The generator
# ----------------------------------------------------------------------------------------------


def generate_inbox(out: Path, persons: int = 20_000, seed: int = 1,
                   extract_date: date = date(2021, 3, 1), kommunekode: str = "540") -> dict:
    """Write a synthetic inbox under `out` in exactly the formats of docs/sources.md; return a small summary dict (files written with row counts).

    `kommunekode` relabels the jobcenter's own kommune (default Sønderborg, 540): with
    183 the same synthetic town stands in for Ishøj, whose strategy is read per kommune."""
    out = Path(out)
    n = int(persons)
    if n < 100:
        raise ValueError("persons must be at least 100")
    E = _day(extract_date)
    A = _day(extract_date.replace(day=1)) - 1  # anchor: month end before the extract (004: 28-02)
    if extract_date < date(2020, 1, 1):  # Opera (the legacy system) ran until 2019-12-31
        raise ValueError("extract_date must be 2020-01-01 or later")
    rng = np.random.default_rng(seed)
    # Independent streams per part, so a change in one part does not reshuffle the others.
    r_pers, r_adr, r_mg, r_til, r_sam, r_rost, r_lbf, r_fmt = rng.spawn(8)
    dates = _Dates(_day(date(1990, 1, 1)), E + 61)
    ctx = dict(n=n, E=E, A=A, dates=dates, r_fmt=r_fmt)

    P = _persons(r_pers, n, E, A)
    ctx["cpr_tab"] = P["cpr_tab"]
    AD = _address_history(r_adr, n, E, A, P)
    MG = _maalgruppe(r_mg, n, A, P, AD)
    files: dict[str, int] = {}
    mdir = f"momentum/{extract_date:%Y%m%d}"
    odir = "opera/20191231"
    in_opera = np.zeros(n, bool)

    files[f"{mdir}/maalgruppe.csv"], files[f"{odir}/MATCHPERIODER.csv"] = _write_maalgruppe(
        out / mdir, out / odir, MG, in_opera, ctx)
    TI = _tilbud(r_til, E, MG, P["afd_person"])
    files[f"{mdir}/tilbud.csv"], files[f"{odir}/AKTIVERING.csv"] = _write_tilbud(
        out / mdir, out / odir, TI, MG, in_opera, ctx)
    del TI
    SA = _samtaler(r_sam, E, MG)
    files[f"{mdir}/samtale.csv"] = _write_samtale(out / mdir, SA, MG, ctx)
    del SA
    files[f"{mdir}/borger_adresse.csv"], files[f"{odir}/ADRESSER.csv"] = _write_addresses(
        out / mdir, out / odir, r_adr, AD, MG, in_opera, ctx, kommunekode)

    # Control files, in the order of docs/sources.md.
    mfiles = ["borger_adresse.csv", "maalgruppe.csv", "tilbud.csv", "samtale.csv"]
    files[f"{mdir}/_kontrol.csv"] = _write_text(
        out / mdir / "_kontrol.csv", ["Fil", "Antal rækker"],
        [[f, str(files[f"{mdir}/{f}"])] for f in mfiles])
    ofiles = ["MATCHPERIODER.csv", "AKTIVERING.csv", "ADRESSER.csv"]
    (out / odir / "_KONTROL.csv").write_bytes(("FIL;ANTAL\r\n" + "".join(
        f"{f};{files[f'{odir}/{f}']}\r\n" for f in ofiles)).encode("cp1252"))
    files[f"{odir}/_KONTROL.csv"] = len(ofiles)

    files["omraader/adresser.csv"] = _write_register(out)
    files.update(_write_lbf(out, r_lbf, kommunekode))
    files.update(_write_rosters(out, r_rost, P=P, AD=AD, MG=MG, **ctx))
    order = sorted(files)
    return {"out": str(out), "persons": n, "seed": seed, "extract_date": extract_date.isoformat(),
            "files": {f: files[f] for f in order}}


# ----------------------------------------------------------------------------------------------
# Persons and addresses
# ----------------------------------------------------------------------------------------------


def _persons(r, n, E, A) -> dict:
    lo_b = E - int(66.95 * 365.25)  # ages 16-66 at the extract
    hi_b = E - int(16.05 * 365.25)
    birth = _ints(r, lo_b, hi_b + 1, n)
    byear = _ymd(birth)[0]
    # CPR serial: 7th digit 0-3 for births in the 1900s, 4-9 for 2000-2036 (the century rule).
    y2k = byear >= 2000
    serial = np.where(y2k, _ints(r, 4, 10, n), _ints(r, 0, 4, n)) * 1000 + _ints(r, 0, 1000, n)
    while True:  # redraw the (rare) duplicate CPRs until all are unique
        key = birth.astype(np.int64) * 10000 + serial
        _, first_idx = np.unique(key, return_index=True)
        dup = np.ones(n, bool)
        dup[first_idx] = False
        k = int(dup.sum())
        if not k:
            break
        serial[dup] = (np.where(y2k[dup], _ints(r, 4, 10, k), _ints(r, 0, 4, k)) * 1000
                       + _ints(r, 0, 1000, k))
    ddmmyy = pc.strftime(pa.array(birth).cast(pa.date32()), format="%d%m%y")
    ser = pc.utf8_lpad(pa.array(serial).cast(pa.string()), width=4, padding="0")
    # Index p: with hyphen; n + p: without.
    cpr_tab = pa.concat_arrays([pc.binary_join_element_wise(ddmmyy, ser, "-"), _join(ddmmyy, ser)])
    age_a = _age(birth, _date(A))
    return dict(
        birth=birth, cpr_tab=cpr_tab, age_a=age_a, young=age_a < 30, adult=age_a >= 18,
        afd_person=_rand(r, n) < 0.13,  # has an affinity to the afdelinger
        home=_choice(r, AFD_HOME_P, n).astype(np.int8))


def _address_history(r, n, E, A, P) -> dict:
    """Contiguous address periods from a first address (>= 1990) to the extract; some persons
    move out of the kommune.  Location 0-4 = afdeling (index in AFDELINGER), 5 = another street
    in 540, 6 = outside 540, 7 = an afdeling street but a house number the register lacks."""
    birth, afd_person, home = P["birth"], P["afd_person"], P["home"]
    MOM0 = _day(date(2016, 1, 1))
    KA = 8
    nmoves = np.minimum(r.poisson(np.where(afd_person, 2.0, 1.2)), KA - 2)
    lo_a = np.maximum(_day(date(1990, 1, 1)), birth)
    first = (lo_a + _rand(r, n) * (MOM0 - lo_a)).astype(I32)
    md = (first[:, None] + 1 + _rand(r, (n, KA - 1)) * (E - first)[:, None]).astype(I32)
    md = np.minimum(md, E)
    md[np.arange(KA - 1)[None, :] >= nmoves[:, None]] = BIG
    md.sort(axis=1)
    md[:, 1:][md[:, 1:] == md[:, :-1]] = BIG  # two moves on one day -> one move
    md.sort(axis=1)
    S = np.concatenate([first[:, None], md], axis=1)
    del md
    mover = (_rand(r, n) < 0.015) & (P["age_a"] >= 20)
    X = _ints(r, _day(date(2016, 6, 1)), A - 30, n)
    S[mover[:, None] & (S >= X[:, None])] = BIG
    nvalid = (S < BIG).sum(axis=1)
    S[mover, nvalid[mover]] = X[mover]
    nvalid = (S < BIG).sum(axis=1)
    End = np.full_like(S, OPEN)
    End[:, :-1] = np.where(S[:, 1:] < BIG, S[:, 1:] - 1, OPEN)
    is_last = np.arange(KA)[None, :] == (nvalid - 1)[:, None]
    u = _rand(r, (n, KA))
    p_home = np.where(is_last, np.float32(0.55), np.float32(0.50))
    p_oth = np.where(is_last, np.float32(0.05), np.float32(0.10))
    other_afd = ((home[:, None] + _ints(r, 1, 5, (n, KA))) % 5).astype(np.int8)
    loc = np.where(u < p_home, home[:, None], np.where(u < p_home + p_oth, other_afd, np.int8(5)))
    loc = np.where(afd_person[:, None], loc, np.int8(5)).astype(np.int8)
    del u, p_home, p_oth, other_afd
    loc[(~afd_person[:, None]) & (_rand(r, (n, KA)) < 0.004)] = 7
    loc[mover[:, None] & is_last] = 6
    cover = (S <= A) & (End >= A)
    res_loc = loc[np.arange(n), cover.argmax(axis=1)]
    ap, slot = np.nonzero(S < BIG)  # rows in person order, chronological
    return dict(ap=ap.astype(I32), loc=loc[ap, slot], start=S[ap, slot], end=End[ap, slot],
                mover=mover, X=X, res_afd=res_loc <= 4)


# ----------------------------------------------------------------------------------------------
# Målgruppe periods
# ----------------------------------------------------------------------------------------------


def _maalgruppe(r, n, A, P, AD) -> dict:
    """State at the anchor first (calibrated per residence and age), then the history backwards
    as gap, episode, gap, episode ...; an episode is a chain of contiguous periods."""
    T0 = _day(date(2012, 1, 1))  # start of recorded målgruppe history (Opera era)
    birth, young, adult = P["birth"], P["young"], P["adult"]
    mover, X, res_afd, afd_person = AD["mover"], AD["X"], AD["res_afd"], P["afd_person"]
    cls = (np.where(res_afd, 0, 2) + np.where(young, 0, 1)).astype(np.int8)
    ptab = np.array([P_RES_YOUNG, P_RES_OLD, P_OTH_YOUNG, P_OTH_OLD])
    ptab_none = np.concatenate([ptab, 1 - ptab.sum(axis=1, keepdims=True)], axis=1)
    s0 = _draw(r, ptab_none, cls)
    s0[~adult | mover] = NONE
    # Movers: most were in a målgruppe until they moved, which ends it with Fraflytning.
    mover_ep = mover & (_rand(r, n) < 0.6) & (P["age_a"] >= 21)
    has_cur = (s0 != NONE) | mover_ep
    cur = np.where(mover_ep, _draw(r, ptab, cls), s0)
    H = np.where(mover, X - 1, A).astype(I32)
    floor = np.maximum(T0, birth + 6575).astype(I32)  # no målgruppe before age 18
    base = np.where(s0 != NONE, s0, _draw(r, ptab, cls))
    never = ~has_cur & (_rand(r, n) < np.where(afd_person, 0.10, 0.30))
    gap_mean = np.where(afd_person, 300.0,
                        np.array([400.0, 900.0, 2000.0])[_choice(r, [.3, .4, .3], n)])
    gap_mean = gap_mean.astype(np.float32)

    K = 6
    grp = np.where(_rand(r, (n, K)) < 0.55, base[:, None],
                   _draw(r, ptab, np.repeat(cls[:, None], K, axis=1))).astype(np.int8)
    grp[:, 0] = np.where(has_cur, cur, grp[:, 0])
    dur = (14 + _exp(r, (n, K)) * (MEAN_DUR.astype(np.float32)[grp] - 14)).astype(I32)
    gap = (14 + _exp(r, (n, K)) * (gap_mean[:, None] - 14)).astype(I32)
    gap[:, 0] = np.where(has_cur, 0, 1 + (_exp(r, n) * gap_mean).astype(I32))
    ep_end = (H[:, None] - np.cumsum(gap, axis=1, dtype=I32)
              - (np.cumsum(dur, axis=1, dtype=I32) - dur))
    del gap
    ep_start = np.maximum(ep_end - dur + 1, floor[:, None])
    del dur
    ep_valid = (ep_end >= floor[:, None]) & ~never[:, None]
    # Uddannelseshjælp (6.4/6.5) is for the under-30s: fix past episodes by age at their start.
    past = np.ones((n, K), bool)
    past[:, 0] = ~has_cur
    old = (ep_start - birth[:, None]) >= 30 * 365.25
    grp[past & ((grp == G64) | (grp == G65)) & old] -= 2
    grp[past & ((grp == G62) | (grp == G63)) & ~old & (_rand(r, (n, K)) < 0.6)] += 2
    del past, old
    ep_reason = _draw(r, REASON_P, grp)
    ep_reason[:, 0] = np.where(mover_ep, R_FRAFL, ep_reason[:, 0])
    last_ep = dict(start=ep_start[:, 0], end=ep_end[:, 0], grp=grp[:, 0], reason=ep_reason[:, 0],
                   closed=ep_valid[:, 0] & ~(has_cur & ~mover))

    ep_p, ep_j = np.nonzero(ep_valid)
    e_grp, e_start, e_end, e_reason = (a[ep_p, ep_j] for a in (grp, ep_start, ep_end, ep_reason))
    e_open = (ep_j == 0) & has_cur[ep_p] & ~mover[ep_p]
    del grp, ep_start, ep_end, ep_reason, ep_valid, ep_j

    # Split episodes into contiguous periods: a Målgruppeskift chain, or two 6.1 periods.
    ne = len(ep_p)
    elen = e_end - e_start + 1
    pred1 = PRED[e_grp, _ints(r, 0, 2, ne)].astype(np.int8)
    pred2 = PRED[np.maximum(pred1, 0), _ints(r, 0, 2, ne)].astype(np.int8)
    uu = _rand(r, ne)
    m = np.where(e_grp == G61, 1 + (uu < 0.20),
                 1 + ((uu < 0.22) & (pred1 >= 0))
                 + ((uu < 0.04) & (pred1 >= 0) & (pred2 >= 0) & (pred1 != G61))).astype(I32)
    m = np.minimum(m, np.maximum(1, elen // 45))
    f1 = np.where(m == 3, r.uniform(.15, .45, ne), r.uniform(.15, .85, ne))
    f2 = r.uniform(.55, .85, ne)
    c1 = e_start + np.rint(f1 * elen).astype(I32)
    c2 = e_start + np.rint(f2 * elen).astype(I32)
    del f1, f2, uu
    bnd = np.stack([e_start, np.where(m == 1, e_end + 1, c1), np.where(m == 2, e_end + 1, c2),
                    e_end + 1], axis=1)
    grps = np.stack([np.where(m == 1, e_grp, np.where(m == 2, pred1, pred2)),
                     np.where(m == 2, e_grp, pred1), e_grp], axis=1)  # chronological
    per = np.repeat(np.arange(ne, dtype=I32), m)
    k = np.arange(len(per), dtype=I32) - np.repeat(np.cumsum(m, dtype=I32) - m, m)
    last = k == m[per] - 1
    p_grp = grps[per, k]
    p_next = grps[per, np.minimum(k + 1, 2)]
    p = dict(
        person=ep_p[per].astype(I32), grp=p_grp, start=bnd[per, k],
        end=np.where(last & e_open[per], OPEN, bnd[per, k + 1] - 1).astype(I32),
        reason=np.where(last, e_reason[per],
                        np.where(p_next == p_grp, R_ANDET, R_SHIFT)).astype(np.int8),
        open=last & e_open[per])
    order = np.lexsort((p["start"], p["person"]))
    p = {key: v[order] for key, v in p.items()}

    # Source views: Momentum from M (2016-01-01 for most, a day in 2019 for late-converted
    # persons); Opera up to F = M - 1.
    overlap = _rand(r, n) < 0.15
    M = np.where(overlap, _ints(r, _day(date(2019, 1, 1)), _day(date(2019, 12, 31)) + 1, n),
                 _day(date(2016, 1, 1))).astype(I32)
    return dict(p=p, s0=s0, last_ep=last_ep, overlap=overlap, M=M, F=M - 1)


def _opera_end(end, F, overlap):
    """Opera's end of a period seen from its freeze day F.  Late-converted persons (overlap) were
    frozen but left open, so Opera still claims those days; the others were closed on F."""
    inside = end <= F
    return inside, np.where(inside, end, np.where(overlap, OPEN, F))


def _write_maalgruppe(mdir, odir, MG, in_opera, ctx):
    p, M, F, overlap, dates = MG["p"], MG["M"], MG["F"], MG["overlap"], ctx["dates"]
    mom = p["end"] >= M[p["person"]]
    pp = p["person"][mom]
    reason = np.where(p["open"][mom], -1, p["reason"][mom])
    n_m = _write_csv(mdir / "maalgruppe.csv", H_MG, [
        _cpr_rows(ctx, pp), _take(GROUPS, p["grp"][mom]), _take(GROUP_NAMES, p["grp"][mom]),
        dates.fmt(np.maximum(p["start"][mom], M[pp])), dates.fmt(p["end"][mom]),
        _take(REASONS, reason, reason < 0)])
    op = p["start"] <= F[p["person"]]
    op_p = p["person"][op]
    in_opera[op_p] = True
    inside, o_end = _opera_end(p["end"][op], F[op_p], overlap[op_p])
    afg = np.where(inside, p["reason"][op], np.where(overlap[op_p], -1, R_ANDET))
    n_o = _write_csv(odir / "MATCHPERIODER.csv", H_O_MATCH, [
        _take(ctx["cpr_tab"], op_p + ctx["n"]), _take(OPERA_GROUP, p["grp"][op]),
        dates.fmt(p["start"][op], iso=True), dates.fmt(o_end, iso=True),
        _take(AFGANG, afg, afg < 0)], encoding="cp1252")
    return n_m, n_o


def _cpr_rows(ctx, person: np.ndarray, p_nohyphen: float = 0.07) -> pa.Array:
    """Momentum writes the hyphen in most rows; some rows of the same person lack it."""
    nohyph = _rand(ctx["r_fmt"], len(person)) < p_nohyphen
    return _take(ctx["cpr_tab"], person + ctx["n"] * nohyph)


# ----------------------------------------------------------------------------------------------
# Tilbud and samtaler
# ----------------------------------------------------------------------------------------------


def _tilbud(r, E, MG, afd_person) -> dict:
    p = MG["p"]
    eff_end = np.where(p["open"], E, p["end"])
    plen = eff_end - p["start"] + 1
    # Residents of the afdelinger are activated less often (004: 20 % there against 33 %).
    rate = TILBUD_RATE[p["grp"]] * np.where(afd_person[p["person"]], 0.65, 1.0)
    nt = np.minimum(r.poisson(plen * rate), 12)
    tp = np.repeat(np.arange(len(plen), dtype=I32), nt)
    typ = _draw(r, TILBUD_MIX, p["grp"][tp])
    start = p["start"][tp] + (_rand(r, len(tp)) * plen[tp]).astype(I32)
    dur = np.minimum(TILBUD_MIN[typ] + (_exp(r, len(tp)) * TILBUD_EXP[typ]).astype(I32),
                     TILBUD_MAX[typ])
    nominal = start + dur - 1
    end = np.where(nominal <= eff_end[tp], nominal,
                   np.where(p["open"][tp], OPEN, p["end"][tp])).astype(I32)
    # Mentorstøtte mostly alongside an activation offer, starting the same week.
    ment = _rand(r, len(tp)) < 0.25
    m_start = np.minimum(start[ment] + _ints(r, 0, 8, int(ment.sum())),
                         np.where(end[ment] >= OPEN, E, end[ment]))
    tp = np.concatenate([tp, tp[ment]])
    typ = np.concatenate([typ, np.full(int(ment.sum()), T_MENTOR, np.int8)])
    start = np.concatenate([start, m_start])
    end = np.concatenate([end, end[ment]])
    nt_all = len(tp)
    hours = np.empty(nt_all, np.int16)
    for ty, opts in enumerate(TILBUD_HOURS):
        sel = typ == ty
        hours[sel] = np.asarray(opts)[_ints(r, 0, len(opts), int(sel.sum()))]
    # Workplace: private firms for praktik/løntilskud privat, public ones for offentlig/nytte.
    npriv = len(COMPANIES_PRIVATE)
    public = (typ == T_LTO) | (typ == T_NYT) | ((typ == T_VP) & (_rand(r, nt_all) < .2))
    comp = np.where(public, npriv + _ints(r, 0, len(COMPANIES_PUBLIC), nt_all),
                    _ints(r, 0, npriv, nt_all))
    comp = np.where((typ >= T_VO) | (_rand(r, nt_all) < 0.06), -1, comp).astype(np.int8)
    person = p["person"][tp]
    order = np.lexsort((typ, start, person))
    t = dict(person=person, type=typ, start=start, end=end, hours=hours, comp=comp)
    t = {k: v[order] for k, v in t.items()}
    t["cvrs"] = r.integers(10_000_000, 100_000_000, npriv + len(COMPANIES_PUBLIC))
    t["hvar"] = (_rand(r, nt_all) < 0.15).astype(np.int16)  # "15,0" instead of "15"
    return t


def _write_tilbud(mdir, odir, t, MG, in_opera, ctx):
    M, F, overlap, dates = MG["M"], MG["F"], MG["overlap"], ctx["dates"]
    htab = _hours_table()
    comp_all = COMPANIES_PRIVATE + COMPANIES_PUBLIC
    tm = t["end"] >= M[t["person"]]
    nmt = int(tm.sum())
    comp = t["comp"][tm]
    n_m = _write_csv(mdir / "tilbud.csv", H_TILBUD, [
        _cpr_rows(ctx, t["person"][tm]), _ids("T-", nmt, 6), _take(TILBUD_TYPES, t["type"][tm]),
        dates.fmt(np.maximum(t["start"][tm], M[t["person"][tm]])), dates.fmt(t["end"][tm]),
        _take(htab, (t["hours"] * 2 + t["hvar"])[tm]),
        _take([str(c) for c in t["cvrs"]], comp, comp < 0), _take(comp_all, comp, comp < 0)])
    oa = (t["type"] != T_MENTOR) & (t["start"] <= F[t["person"]])
    op = t["person"][oa]
    in_opera[op] = True
    _, o_end = _opera_end(t["end"][oa], F[op], overlap[op])
    n_o = _write_csv(odir / "AKTIVERING.csv", H_O_AKT, [
        _take(ctx["cpr_tab"], op + ctx["n"]), _take(OPERA_TILBUD, t["type"][oa]),
        dates.fmt(t["start"][oa], iso=True), dates.fmt(o_end, iso=True),
        _take(htab, t["hours"][oa].astype(I32) * 2)], encoding="cp1252")
    return n_m, n_o


def _samtaler(r, E, MG) -> dict:
    p = MG["p"]
    grp = p["grp"]
    past_end = np.where(p["open"], E, p["end"])
    room = past_end - p["start"] - SAMTALE_FIRST[grp]
    nreg = np.minimum(np.where(room >= 0, room // SAMTALE_IV[grp] + 1, 0), 80)
    sp = np.repeat(np.arange(len(grp), dtype=I32), nreg)
    sk = np.arange(len(sp), dtype=I32) - np.repeat(np.cumsum(nreg) - nreg, nreg).astype(I32)
    g = grp[sp]
    frist = (p["start"][sp] + SAMTALE_FIRST[g] + sk * SAMTALE_IV[g] + _ints(r, -7, 8, len(sp)))
    frist = np.clip(frist, p["start"][sp], past_end[sp]).astype(I32)
    del sk, g
    fut = np.nonzero(p["open"])[0].astype(I32)  # one meeting booked ahead in an open period
    sp = np.concatenate([sp, fut])
    frist = np.concatenate([frist, (E + 1 + _ints(r, 0, 60, len(fut))).astype(I32)])
    ns = len(sp)
    typ = _draw(r, SAMTALE_MIX, grp[sp])
    pstart = p["start"][sp]
    u = _rand(r, ns)
    late = _rand(r, ns) < 0.12
    held = np.where(late, frist + 1 + _ints(r, 0, 20, ns), frist - _ints(r, 0, 15, ns))
    held = np.maximum(held, pstart)
    # 0 Afholdt, 1 Aflyst, 2 Udeblevet
    status = np.where(u < 0.86, 0, np.where(u < 0.92, 1, 2)).astype(np.int8)
    future = frist > E
    early = _rand(r, ns) < 0.10  # some booked meetings are already held before their Frist
    held = np.where(future, np.maximum(E - _ints(r, 0, 10, ns), pstart), held)
    status = np.where(future, np.where(early, 0, -1), status)
    status = np.where(~future & (status == 0) & (held > E), -1, status)  # due, not yet held
    held = np.where(status == 0, held, OPEN).astype(I32)
    person = p["person"][sp]
    order = np.lexsort((frist, person))
    s = dict(person=person, type=typ, frist=frist, held=held, status=status.astype(np.int8))
    return {k: v[order] for k, v in s.items()}


def _write_samtale(mdir, s, MG, ctx) -> int:
    dates = ctx["dates"]
    sm = s["frist"] >= MG["M"][s["person"]]
    st = s["status"][sm]
    return _write_csv(mdir / "samtale.csv", H_SAMTALE, [
        _cpr_rows(ctx, s["person"][sm]), _ids("S-", int(sm.sum()), 7),
        _take(SAMTALE_TYPES, s["type"][sm]), dates.fmt(s["frist"][sm]), dates.fmt(s["held"][sm]),
        _take(["Afholdt", "Aflyst", "Udeblevet"], st, st < 0)])


# ----------------------------------------------------------------------------------------------
# Address columns
# ----------------------------------------------------------------------------------------------


def _write_addresses(mdir, odir, r, AD, MG, in_opera, ctx, kommunekode="540"):
    """Street, number, floor etc. for every address row; Momentum with spelling variants,
    Opera in upper case."""
    ap, a_loc, na = AD["ap"], AD["loc"], len(AD["ap"])
    dates = ctx["dates"]
    # Entrances of the register, flattened.
    ent_street, ent_num, ent_let, ent_off, ent_cnt = [], [], [], [], []
    for i, (_, _, _, _, nums) in enumerate(AFDELINGER):
        ent_off.append(len(ent_num))
        ent_cnt.append(len(nums))
        for h in nums:
            ent_street.append(i)
            ent_num.append(int(h.rstrip("AB")))
            ent_let.append(0 if h[-1].isdigit() else " AB".index(h[-1]))
    ent_street, ent_num, ent_let = map(np.asarray, (ent_street, ent_num, ent_let))
    ent_off, ent_cnt = np.asarray(ent_off), np.asarray(ent_cnt)

    # Street table: 5 afdeling streets, then other streets, then outside streets.
    streets = [a[3] for a in AFDELINGER] + [s for s, _ in OTHER_STREETS] + [s for s, *_ in OUTSIDE]
    posts = ["6400"] * 5 + [p for _, p in OTHER_STREETS] + [p for _, p, *_ in OUTSIDE]
    bys = ["Sønderborg"] * 5 + [POSTBY[p] for _, p in OTHER_STREETS] + [b for *_, b, _ in OUTSIDE]
    koms = [kommunekode] * (5 + len(OTHER_STREETS)) + [k for *_, k in OUTSIDE]

    street = np.zeros(na, np.int16)
    num = np.zeros(na, np.int16)
    let = np.zeros(na, np.int8)
    is_afd = a_loc <= 4
    la = np.minimum(a_loc, 4)
    e = ent_off[la] + (_rand(r, na) * ent_cnt[la]).astype(I32)
    ea = e[is_afd]
    street[is_afd], num[is_afd], let[is_afd] = ent_street[ea], ent_num[ea], ent_let[ea]
    del e, la
    oth = a_loc == 5
    no = int(oth.sum())
    # Sønderborg town (6400) holds most of the other addresses.
    w = np.array([3.0 if p == "6400" else 1.0 for _, p in OTHER_STREETS])
    street[oth] = 5 + _choice(r, w, no)
    num[oth] = 1 + (_exp(r, no) * 30).astype(I32) % 150
    let[oth] = np.where(_rand(r, no) < 0.04, _ints(r, 1, 3, no), 0)
    out_ = a_loc == 6
    street[out_] = 5 + len(OTHER_STREETS) + _choice(r, OUTSIDE_P, int(out_.sum()))
    num[out_] = 1 + _ints(r, 0, 80, int(out_.sum()))
    edge = a_loc == 7  # afdeling street, but a number no entrance has
    street[edge] = _ints(r, 0, 5, int(edge.sum()))
    num[edge] = _ints(r, 100, 140, int(edge.sum()))

    flat = is_afd | (_rand(r, na) < 0.30)
    etage = np.where(flat & (_rand(r, na) < 0.88), _ints(r, 0, 5, na), -1)
    etage = np.where(is_afd & (etage == 4), 3, etage)  # the blocks have at most 3 floors
    side = np.where(flat & (_rand(r, na) < 0.85), _ints(r, 0, 3, na), -1)

    # Spelling variants (Momentum): register streets vary most, as they must be matched after
    # normalising case, white space and the house-number letter.
    vs = np.where(street < 5, _choice(r, [.80, .06, .05, .06, .03], na),
                  _choice(r, [.96, .02, .0, .02, .0], na))
    variants = []
    for s in streets:
        variants += [s, s.lower(), s.upper(), s + " ",
                     s.replace(" ", "  ") if " " in s else " " + s]
    vl = _choice(r, [.55, .20, .15, .10], na)  # 12A, 12 A, 12a, 12 a
    suffix_tab = ["", "A", " A", "a", " a", "B", " B", "b", " b"]
    numtab = pa.array([str(i) for i in range(200)], pa.string())
    etage_tab = ["st", "1", "2", "3", "4"]
    side_tab = ["tv", "th", "mf"]
    posts_a, bys_a, koms_a = (pa.array(x, pa.string()) for x in (posts, bys, koms))
    n_m = _write_csv(mdir / "borger_adresse.csv", H_ADR, [
        _cpr_rows(ctx, ap),
        _take(variants, street.astype(I32) * 5 + vs),
        _join(_take(numtab, num), _take(suffix_tab, np.where(let == 0, 0, 1 + (let - 1) * 4 + vl))),
        _take(etage_tab, etage, etage < 0), _take(side_tab, side, side < 0),
        _take(posts_a, street), _take(bys_a, street), _take(koms_a, street),
        dates.fmt(AD["start"]), dates.fmt(AD["end"])])

    # Opera: the addresses of its persons known on their freeze day; a current one stays open.
    F = MG["F"]
    T0 = _day(date(2012, 1, 1))
    oad = in_opera[ap] & (AD["start"] <= F[ap]) & (AD["end"] >= T0)
    o_end = np.where(AD["end"][oad] <= F[ap][oad], AD["end"][oad], OPEN)
    st, nu, le, et, si = street[oad], num[oad], let[oad], etage[oad], side[oad]
    n_o = _write_csv(odir / "ADRESSER.csv", H_O_ADR, [
        _take(ctx["cpr_tab"], ap[oad] + ctx["n"]),
        _take([s.upper() for s in streets], st),
        _join(_take(numtab, nu), _take(suffix_tab, np.where(le == 0, 0, 1 + (le - 1) * 4))),
        _take([x.upper() for x in etage_tab], et, et < 0),
        _take([x.upper() for x in side_tab], si, si < 0),
        _take(posts_a, st), dates.fmt(AD["start"][oad], iso=True), dates.fmt(o_end, iso=True)],
        encoding="cp1252")
    return n_m, n_o

# ----------------------------------------------------------------------------------------------
# Address register
# ----------------------------------------------------------------------------------------------


def _write_register(out: Path) -> int:
    rows = [[bo, str(nr), navn, vej, h, "6400"]
            for nr, navn, bo, vej, nums in AFDELINGER for h in nums]
    return _write_text(out / "omraader" / "adresser.csv", H_REGISTER, rows)


# ----------------------------------------------------------------------------------------------
# LBF Beboerdata
# ----------------------------------------------------------------------------------------------

# (beboere, offentligt forsørgede fuldtidspersoner) per year and age group.  2018 reproduces the
# baselines of the 004 delaftale: boligområde 19,14 % / 50,65 %, kommune 12,32 % / 17,72 %.
LBF_AREA = {
    2018: {"18-29": (1045, 200), "30-64": (2312, 1171)},
    2019: {"18-29": (1021, 188), "30-64": (2290, 1127)},
    2020: {"18-29": (1003, 181), "30-64": (2275, 1092)},
}
LBF_KOMMUNE = {
    2018: {"18-29": (9870, 1216), "30-64": (36112, 6399)},
    2019: {"18-29": (9812, 1188), "30-64": (35890, 6262)},
    2020: {"18-29": (9755, 1170), "30-64": (35640, 6128)},
}


def _fmt_count(v: int) -> str:
    return f"{v:,}".replace(",", ".")


def _fmt_share(f: int, b: int) -> str:
    return f"{100 * f / b:.2f}".replace(".", ",")


def _write_lbf(out: Path, r: np.random.Generator, kommunekode: str = "540") -> dict:
    res = {}
    afd = [a for a in AFDELINGER if a[0] in (22, 24, 30, 35)]
    weights = np.array([.20, .22, .19, .20])  # the rest of the boligområde is afdeling 31 etc.
    for year in (2018, 2019, 2020):
        rows, afd_rows = [], []
        for nr, navn, *_ in afd:
            afd_rows.append([])
        for ag in ("18-29", "30-64"):
            b, f = LBF_AREA[year][ag]
            share = f / b
            wb = weights * r.uniform(0.9, 1.1, 4)
            for i, (nr, navn, *_) in enumerate(afd):
                bb = int(round(b * wb[i]))
                ff = int(round(bb * share * r.uniform(0.9, 1.1)))
                afd_rows[i].append(["Afdeling", kommunekode, BOLIGORGANISATION, str(nr), navn,
                                    str(year), ag,
                                    _fmt_count(bb), _fmt_count(ff), _fmt_share(ff, bb)])
        for i in range(len(afd)):
            rows += afd_rows[i]
        # LBF's own suppression: one row fully, and in some years one more count only.
        i = int(r.integers(0, len(rows)))
        rows[i][7:10] = ["x", "x", "x"]
        if r.random() < 0.7:
            j = int(r.integers(0, len(rows)))
            if rows[j][7] != "x":
                rows[j][8:10] = ["x", "x"]
        for ag in ("18-29", "30-64"):
            b, f = LBF_AREA[year][ag]
            rows.append(["Boligområde", kommunekode, BOLIGORGANISATION, "", HELHEDSPLAN, str(year), ag,
                         _fmt_count(b), _fmt_count(f), _fmt_share(f, b)])
        for ag in ("18-29", "30-64"):
            b, f = LBF_KOMMUNE[year][ag]
            rows.append(["Kommune", kommunekode, "", "", "", str(year), ag,
                         _fmt_count(b), _fmt_count(f), _fmt_share(f, b)])
        name = f"lbf/beboerdata_{year}.csv"
        res[name] = _write_text(out / name, H_LBF, rows)
    return res


# ----------------------------------------------------------------------------------------------
# Rosters (hand-kept)
# ----------------------------------------------------------------------------------------------


def _write_rosters(out: Path, r: np.random.Generator, *, P, AD, MG, n, E, A, dates, cpr_tab,
                   r_fmt) -> dict:
    import openpyxl

    W0 = E - 790  # the project window: about two years before the extract
    mover, res_afd, p = AD["mover"], AD["res_afd"], MG["p"]
    cur_start = np.full(n, BIG, dtype=I32)
    cur_start[p["person"][p["open"]]] = p["start"][p["open"]]
    # A: residents who are ledige now (their current spell started before they enrolled).
    cand_a = np.nonzero(np.isin(MG["s0"], LEDIGE) & res_afd & ~mover & (cur_start <= A - 21))[0]
    # B: residents whose last spell ended inside the window (they left the roster before that).
    le = MG["last_ep"]
    l_start, l_end, l_reason = le["start"], le["end"], le["reason"]
    cand_b = np.nonzero(le["closed"] & ~mover & res_afd & np.isin(le["grp"], LEDIGE)
                        & (l_end >= W0 + 60) & (l_end <= A - 14))[0]
    # Names: one per person, drawn for all so a person has the same name on both rosters.
    fn = r.integers(0, len(FIRST_NAMES), n)
    ln = r.integers(0, len(LAST_NAMES), n)

    res = {}
    # (file, rows per person, mean length in days, weekly hours, share without hours, format);
    # about 90 and 75 rows at 20 000 persons.
    specs = [("beskaeftigelsesfremmende-forloeb", 0.0045, 42.0, [6, 8, 10, 12, 12.5, 15], 0.15,
              "xlsx"),
             ("praktikpladser-til-udsatte-ledige", 0.0038, 50.0, [10, 12.5, 15, 20, 25, 30, 37],
              0.10, "csv")]
    for name, rate, mean_dur, hour_opts, p_nohours, kind in specs:
        size = int(np.clip(round(n * rate), 6, 3000))
        na_ = min(len(cand_a), int(round(size * 0.6)))
        nb_ = min(len(cand_b), size - na_)
        pa_ = np.sort(r.choice(cand_a, na_, replace=False)) if na_ else np.zeros(0, np.int64)
        pb_ = np.sort(r.choice(cand_b, nb_, replace=False)) if nb_ else np.zeros(0, np.int64)
        dur_a = np.minimum(28 + (r.exponential(mean_dur, na_)).astype(np.int64), 182)
        lo = np.maximum(cur_start[pa_], W0)
        st_a = lo + (r.random(na_) * (A - 7 - lo)).astype(np.int64)
        en_a = st_a + dur_a
        enrolled = en_a >= E
        stat_a = np.where(enrolled, -1,
                          np.array([4, 3, 1, 5])[_choice(r, [.45, .25, .15, .15], na_)])
        en_a = np.where(enrolled, OPEN, en_a)
        dur_b = np.minimum(28 + (r.exponential(mean_dur, nb_)).astype(np.int64), 182)
        en_b = l_end[pb_] - r.integers(0, 21, nb_)
        st_b = np.maximum(np.maximum(en_b - dur_b, l_start[pb_]), W0)
        st_b = np.where(st_b >= en_b, en_b - 7, st_b)
        rb = l_reason[pb_]
        u = r.random(nb_)
        stat_b = np.select(
            [rb == R_ORDB, rb == R_ORDU, rb == R_SELV],
            [np.where(u < .8, 0, 1), np.full(nb_, 2), np.where(u < .5, 0, 5)],
            np.where(u < .6, 5, 4))
        pers = np.concatenate([pa_, pb_])
        st = np.concatenate([st_a, st_b])
        en = np.concatenate([en_a, en_b])
        stat = np.concatenate([stat_a, stat_b])
        order = np.lexsort((pers, st))  # kept in order of enrolment
        pers, st, en, stat = pers[order], st[order], en[order], stat[order]
        m = len(pers)
        hours = np.asarray(hour_opts, float)[r.integers(0, len(hour_opts), m)]
        no_hours = r.random(m) < p_nohours
        remark = np.where(r.random(m) < 0.15, r.integers(0, len(REMARKS), m), -1)

        # Hand-kept quirks, per row.
        cpr_h = cpr_tab.take(pa.array(pers)).to_pylist()
        cpr_n = cpr_tab.take(pa.array(pers + n)).to_pylist()
        nohyph = r.random(m) < 0.3
        pad = r.random(m)
        date_style = r.random((m, 2))
        name_pad = r.random(m) < 0.08
        stat_pad = r.random(m) < 0.05
        # Even a short roster shows every quirk at least once.
        f = r.permutation(m)
        if m >= 6:
            nohyph[f[0]], pad[f[1]], name_pad[f[2]] = True, 0.05, True
            date_style[f[3], 0] = 0.70 if kind == "xlsx" else 0.10  # d-m-yyyy
            date_style[f[4], 0] = 0.90 if kind == "xlsx" else 0.20  # dd.mm.yyyy
            date_style[f[5], 0] = 0.10 if kind == "xlsx" else 0.50  # Excel date / dd-mm-yyyy
        rows = []
        for i in range(m):
            cpr = cpr_n[i] if nohyph[i] else cpr_h[i]
            cpr = (" " + cpr + " ") if pad[i] < 0.03 else (cpr + " " if pad[i] < 0.12 else cpr)
            navn = f"{FIRST_NAMES[fn[pers[i]]]} {LAST_NAMES[ln[pers[i]]]}"
            navn += " " if name_pad[i] else ""
            ds = []
            for j, d in enumerate((st[i], en[i])):
                if d >= OPEN:
                    ds.append(None)
                    continue
                dd = _date(d)
                s = date_style[i, j]
                if kind == "xlsx" and s < 0.65:
                    ds.append(datetime(dd.year, dd.month, dd.day))
                elif s < (0.80 if kind == "xlsx" else 0.15):
                    ds.append(f"{dd.day}-{dd.month}-{dd.year}")
                elif s < (1.0 if kind == "xlsx" else 0.30):
                    ds.append(dd.strftime("%d.%m.%Y"))
                else:
                    ds.append(dd.strftime("%d-%m-%Y"))
            status = None if stat[i] < 0 else ROSTER_STATUS[stat[i]] + (" " if stat_pad[i] else "")
            if no_hours[i]:
                timer = None
            elif kind == "xlsx":
                timer = float(hours[i]) if hours[i] % 1 else int(hours[i])
            else:
                timer = f"{hours[i]:g}".replace(".", ",")
            rows.append([cpr, navn, ds[0], ds[1], status, timer,
                         REMARKS[remark[i]] if remark[i] >= 0 else None])
        # One person entered twice (identical row), one blank row inside, one before Total.
        if rows:
            d = int(r.integers(0, len(rows)))
            rows.insert(d + 1, list(rows[d]))
            rows.insert(int(r.integers(1, len(rows))), [None] * 7)
        rows.append([None] * 7)
        rows.append(["Total", len(set(pers.tolist())), None, None, None, None, None])

        if kind == "xlsx":
            path = out / "roster" / f"{name}.xlsx"
            path.parent.mkdir(parents=True, exist_ok=True)
            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = "Deltagere"
            ws.append(H_ROSTER)
            for row in rows:
                ws.append(row)
            for row in ws.iter_rows(min_row=2, min_col=3, max_col=4):
                for c in row:
                    if isinstance(c.value, datetime):
                        c.number_format = "dd-mm-yyyy"
            stamp = datetime(_date(E).year, _date(E).month, _date(E).day)
            wb.properties.created = stamp
            buf = io.BytesIO()
            wb.save(buf)
            path.write_bytes(_deterministic_zip(buf.getvalue(), stamp))
        else:
            path = out / "roster" / f"{name}.csv"
            _write_text(path, H_ROSTER,
                        [["" if v is None else str(v) for v in row] for row in rows])
        res[f"roster/{path.name}"] = len(rows)
    return res


def _deterministic_zip(data: bytes, stamp: datetime) -> bytes:
    """openpyxl stamps the save time into docProps/core.xml and every zip entry; fix both so
    equal inputs give byte-identical workbooks."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    zin = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            payload = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                payload = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                                 rb"\g<1>" + iso, payload)
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            zout.writestr(zi, payload)
    return buf.getvalue()
