"""Rewrite an inbox written by `helhedsdata generate` into a messy one that keeps the contracts.

Deterministic in the seed. What it does (issue 12; readings in README.md):

* for a fraction of persons, adds Opera periods that overlap Momentum's in every arrangement:
  målgruppe (MATCHPERIODER) covering a gap between two Momentum periods, around a Momentum
  period that sits inside it, after a Momentum period ended (touching or not, up to or past
  Opera's extract date), an Opera 2.1 period touching a Momentum 6.1 period so that the spell
  reaches exactly 182 days (or 181 or 183) on a month end, one-day periods; activation
  (AKTIVERING) around a lone Momentum Mentorstøtte tilbud (added) and in days without a
  Momentum tilbud; addresses (ADRESSER) in an afdeling across a gap cut into the person's
  Momentum address history, around a short Momentum address between two such gaps, and
  after the Momentum address history was cut short;
* planned end dates: Momentum `Slutdato` (målgruppe) and `Gyldig til` after the Momentum
  extract date, Opera `TIL_DATO` after the Opera extract date (never a start after the extract
  date, never a date more than 300 days after it);
* addresses with U+00A0, U+202F, tab, U+2003, U+3000 (Momentum) or U+00A0 and tab (Opera,
  Windows-1252) between street words, around the street, before the house number and between
  number and letter; two register streets get a second word (register and every citizen row
  alike), so white space between street words decides matches;
* rewrites the control files with the new row counts.

Periods of one person in one målgruppe or address file never overlap, and at most one is open.

    python bench/reference/mess.py INBOX --seed 3 [--fraction 0.25]
"""
from __future__ import annotations

import argparse
import csv
import io
import random
import sys
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

WS_MOMENTUM = ["\u00a0", "\u202f", "\t", "\u2003", "\u3000"]
WS_OPERA = ["\u00a0", "\t"]  # what Windows-1252 can carry
TO_LAB2 = {"6.1": "2.1", "6.2": "2.2", "6.3": "2.3", "6.4": "2.12", "6.5": "2.13"}
UNMAPPED_LAB2 = ["2.5", "2.14", "2.10"]
AFGANG = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "99"]
LEDIGE = {"6.2", "6.3", "6.4", "6.5", "6.8", "INT-SHP"}
RENAME = {"stenbjergparken": "Stenbjerg Parken", "hvedemarken": "Hvede Marken"}
MAX_AHEAD = 300  # days after an extract date a planned end may reach (the contract: a year)
FAR = date(9999, 12, 31)
DAY = timedelta(days=1)


# --- files ---------------------------------------------------------------------------------------
class Table:
    def __init__(self, path: Path, encoding: str):
        self.path, self.encoding = path, encoding
        text = path.read_bytes().decode(encoding)
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
        self.header, self.rows = rows[0], rows[1:]
        self.col = {h: i for i, h in enumerate(self.header)}

    def write(self):
        buf = io.StringIO(newline="")
        w = csv.writer(buf, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(self.header)
        w.writerows(self.rows)
        self.path.write_bytes(buf.getvalue().encode(self.encoding))


def _newest(folder: Path, control: str) -> Path:
    return sorted(p for p in folder.iterdir() if p.is_dir() and (p / control).exists())[-1]


def _fd(p: Path) -> date:
    return date(int(p.name[:4]), int(p.name[4:6]), int(p.name[6:8]))


def dmy(s):
    s = s.strip()
    if not s:
        return None
    d, m, y = s.split("-")
    return date(int(y), int(m), int(d))


def fdmy(d):
    return "" if d is None else d.strftime("%d-%m-%Y")


def iso(s):
    s = s.strip()
    return date.fromisoformat(s) if s else None


def fiso(d):
    return "" if d is None else d.isoformat()


def key(cpr: str) -> str:
    return cpr.strip().replace("-", "")


def hyphen(k: str) -> str:
    return k[:6] + "-" + k[6:]


def month_end(d: date) -> date:
    n = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return n - DAY


def _overlap(a0, a1, b0, b1) -> bool:
    return a0 <= (b1 or FAR) and b0 <= (a1 or FAR)


def free(intervals, s, e) -> bool:
    return not any(_overlap(s, e, a, b) for a, b in intervals)


# --- the rewrite ---------------------------------------------------------------------------------
def mess_inbox(inbox: Path, seed: int, fraction: float = 0.25, overlaps: bool = True,
               planned: bool = True, whitespace: bool = True) -> dict:
    """Rewrite `inbox` in place; the three switches turn the kinds of mess on and off (the
    random draws of the others do not change with them)."""
    inbox = Path(inbox)
    rng = random.Random(seed)
    rng_plan = random.Random(seed * 7919 + 1)
    rng_ws = random.Random(seed * 7919 + 2)
    mdir = _newest(inbox / "momentum", "_kontrol.csv")
    odir = _newest(inbox / "opera", "_KONTROL.csv")
    E, Eo = _fd(mdir), _fd(odir)
    U8, CP = "utf-8-sig", "cp1252"
    mg = Table(mdir / "maalgruppe.csv", U8)
    adr = Table(mdir / "borger_adresse.csv", U8)
    til = Table(mdir / "tilbud.csv", U8)
    omg = Table(odir / "MATCHPERIODER.csv", CP)
    oakt = Table(odir / "AKTIVERING.csv", CP)
    oadr = Table(odir / "ADRESSER.csv", CP)
    reg = Table(inbox / "omraader" / "adresser.csv", U8)
    stats = Counter()

    # register streets with two words
    for r in reg.rows:
        new = RENAME.get(" ".join(r[3].lower().split()))
        if new:
            r[3] = new
    for t, si in ((adr, adr.col["Vejnavn"]), (oadr, oadr.col["VEJNAVN"])):
        for r in t.rows:
            s = r[si]
            new = RENAME.get(" ".join(s.lower().split()))
            if new:
                core = s.strip()
                new = new.upper() if core.isupper() else new.lower() if core.islower() else new
                r[si] = s[: len(s) - len(s.lstrip())] + new + s[len(s.rstrip()):]
    entrances = [(r[3], r[4], r[5]) for r in reg.rows]  # (street, number, postcode)

    # per person periods
    m_mg = defaultdict(list)  # key -> [(code, start, end, row)]
    for r in mg.rows:
        m_mg[key(r[0])].append((r[1], dmy(r[3]), dmy(r[4]), r))
    m_adr = defaultdict(list)
    for r in adr.rows:
        m_adr[key(r[0])].append((dmy(r[8]), dmy(r[9]), r))
    m_til = defaultdict(list)
    for r in til.rows:
        m_til[key(r[0])].append((r[2], dmy(r[3]), dmy(r[4])))
    o_mg = defaultdict(list)
    for r in omg.rows:
        o_mg[key(r[0])].append((iso(r[2]), iso(r[3])))
    o_akt = defaultdict(list)
    for r in oakt.rows:
        o_akt[key(r[0])].append((iso(r[2]), iso(r[3])))
    o_adr = defaultdict(list)
    for r in oadr.rows:
        o_adr[key(r[0])].append((iso(r[6]), iso(r[7])))
    n_tilbud = len(til.rows)

    LO = date(2016, 1, 1)  # Momentum's history starts here for most persons

    def opera_end(e):
        """An Opera end date as written: planned ends after the extract date are allowed
        (without `planned`, an end after the extract date is written as the extract date)."""
        if e is None:
            return None
        return min(e, Eo + timedelta(days=MAX_AHEAD)) if planned else min(e, Eo)

    def opera_code(codes):
        if rng.random() < 0.08:
            return rng.choice(UNMAPPED_LAB2)
        c = [x for x in codes if x in TO_LAB2]
        return TO_LAB2[rng.choice(c)] if c and rng.random() < 0.7 else rng.choice(list(TO_LAB2.values()))

    def add_omg_lab(k, lab, s, e, reason=None):
        if s > Eo or (e is not None and e < s) or not free(o_mg[k], s, e):
            return False
        if e is None and any(b is None for _, b in o_mg[k]):
            return False
        e = opera_end(e)
        if reason is None:
            reason = rng.choice(AFGANG) if e is not None and e <= Eo and rng.random() < 0.8 else ""
        if e is None or e > Eo:
            reason = ""
        omg.rows.append([k, lab, fiso(s), fiso(e), reason])
        o_mg[k].append((s, e))
        return True

    def some_end(lo, hi):
        """A day in [lo, hi], often a month end or the day before a month's first."""
        if hi < lo:
            return None
        d = lo + timedelta(days=rng.randint(0, (hi - lo).days))
        if rng.random() < 0.3 and lo <= month_end(d) <= hi:
            d = month_end(d)
        return d

    # --- scenarios, per person -----------------------------------------------------------------
    def sc_gap(k, P):
        pairs = [(a, b) for a, b in zip(P, P[1:]) if a[2] and a[2] + DAY < b[1] and a[2] < Eo]
        if not pairs:
            return False
        a, b = rng.choice(pairs)
        gs, ge = a[2] + DAY, b[1] - DAY
        style = rng.random()
        s = gs if style < 0.4 else max(a[1], a[2] - timedelta(days=rng.randint(0, 90)))
        if style < 0.15:
            e = s  # a one-day period
        elif style < 0.5:
            e = ge  # touches the next Momentum period
        else:
            e = b[1] + timedelta(days=rng.randint(0, 120))
        s = max(s, LO)
        return add_omg_lab(k, opera_code([a[0], b[0]]), s, e)

    def sc_inside(k, P):
        cand = [p for p in P if p[2] and p[1] >= LO + timedelta(days=30) and p[1] <= Eo]
        if not cand:
            return False
        p = rng.choice(cand)
        s = p[1] - timedelta(days=rng.randint(1, 150))
        e = p[2] + timedelta(days=rng.randint(1, 200))
        if rng.random() < 0.3:
            e = month_end(e)
        return add_omg_lab(k, opera_code([p[0]]), max(s, LO), e)

    def sc_after(k, P):
        cand = [i for i, p in enumerate(P) if p[2] and p[2] < Eo]
        if not cand:
            return False
        i = rng.choice(cand)
        p = P[i]
        s = p[2] + DAY + timedelta(days=0 if rng.random() < 0.5 else rng.randint(1, 60))
        if s > Eo:
            return False
        u = rng.random()
        if u < 0.25:
            e = None  # open: Opera says the person is still there on its extract date
        elif u < 0.5:
            e = Eo
        elif u < 0.75:
            e = Eo + timedelta(days=rng.randint(1, MAX_AHEAD))  # planned
        else:
            e = some_end(s, Eo)
        code = TO_LAB2.get(p[0]) if rng.random() < 0.6 and p[0] in TO_LAB2 else opera_code([p[0]])
        return add_omg_lab(k, code, s, e)

    def sc_61(k, P):
        cand = []
        for i, p in enumerate(P):
            if p[0] != "6.1" or p[1] > Eo + DAY or p[1] < LO + timedelta(days=200):
                continue
            prev_end = P[i - 1][2] if i else None
            cand.append((p, prev_end))
        if not cand:
            return False
        p, prev_end = rng.choice(cand)
        S = p[1]
        ends = []
        d = month_end(S)
        while d - S + DAY < timedelta(days=182) and (p[2] is None or d <= p[2]) and d <= E:
            ends.append(d)
            d = month_end(d + DAY)
        if not ends:
            return False
        D = rng.choice(ends)
        L = 182 - ((D - S).days + 1) + rng.choice([0, 0, 0, -1, 1])
        if L < 1:
            return False
        s = S - timedelta(days=L)
        if prev_end is not None and prev_end >= s:
            return False
        return add_omg_lab(k, "2.1", s, S - DAY, reason=rng.choice(["03", ""]))

    def sc_one_day(k, P):
        # a one-day Opera period in a Momentum gap or after Momentum's last period
        days = []
        for a, b in zip(P, P[1:]):
            if a[2] and a[2] + DAY < b[1] and a[2] + DAY <= Eo:
                days.append(some_end(a[2] + DAY, min(b[1] - DAY, Eo)))
        if not days:
            return False
        d = rng.choice(days)
        return add_omg_lab(k, opera_code([]), d, d)

    def sc_mentor(k, P):
        nonlocal n_tilbud
        cand = [p for p in P if p[0] in LEDIGE and p[1] <= Eo - timedelta(days=40)]
        if not cand:
            return False
        p = rng.choice(cand)
        hi = min(p[2] or Eo, Eo)
        if hi - p[1] < timedelta(days=40):
            return False
        D = month_end(p[1] + timedelta(days=rng.randint(0, (hi - p[1]).days)))
        if D > hi:
            return False
        ms = D - timedelta(days=rng.randint(0, 40))
        me = D + timedelta(days=rng.randint(0, 40))
        os_ = ms - timedelta(days=rng.randint(0, 30))
        oe = me + timedelta(days=rng.randint(0, 30))
        if rng.random() < 0.2:
            oe = Eo + timedelta(days=rng.randint(1, MAX_AHEAD))  # planned
        if not free(o_akt[k], os_, oe) or os_ > Eo:
            return False
        n_tilbud += 1
        til.rows.append([hyphen(k), f"T-9{n_tilbud:06d}", "Mentorstøtte", fdmy(ms), fdmy(me),
                         rng.choice(["4", "5", "6"]), "", ""])
        oakt.rows.append([k, rng.choice(["VP", "LTP", "LTO", "NYT", "VO"]), fiso(os_), fiso(opera_end(oe)), "37"])
        o_akt[k].append((os_, oe))
        return True

    def sc_akt_gap(k, P):
        # an Opera activation in a ledige period on days no Momentum tilbud covers
        cand = [p for p in P if p[0] in LEDIGE and p[1] <= Eo]
        if not cand:
            return False
        p = rng.choice(cand)
        hi = min(p[2] or Eo, Eo)
        s = p[1] + timedelta(days=rng.randint(0, max((hi - p[1]).days, 0)))
        e = s + timedelta(days=rng.randint(0, 120))
        if any(_overlap(s, e, a, b) for _, a, b in m_til[k]) and rng.random() < 0.5:
            return False
        if not free(o_akt[k], s, e):
            return False
        oakt.rows.append([k, rng.choice(["VP", "LTP", "LTO", "NYT", "VO"]), fiso(s), fiso(opera_end(e)), "30"])
        o_akt[k].append((s, e))
        return True

    def opera_address_row(k, s, e):
        st, nr, pc = rng.choice(entrances)
        return [k, st.upper(), nr.upper(), rng.choice(["", "ST", "1", "2"]), rng.choice(["", "TV", "TH"]),
                pc, fiso(s), fiso(e)]

    def sc_adr_gap(k, P):
        rows = sorted(m_adr[k], key=lambda x: x[0])
        cand = [x for x in rows if (x[1] or E) - max(x[0], LO) > timedelta(days=90) and max(x[0], LO) < Eo]
        if not cand:
            return False
        s0, e0, row = rng.choice(cand)
        lo = max(s0, LO) + timedelta(days=10)
        hi = min(e0 or E, Eo) - timedelta(days=10)
        if hi <= lo:
            return False
        x = lo + timedelta(days=rng.randint(0, (hi - lo).days))
        y = x + timedelta(days=rng.randint(0, 120))
        if rng.random() < 0.3:
            y = month_end(x)
        if y >= (e0 or FAR) - DAY:
            return False
        a = x - timedelta(days=rng.choice([0, 0, rng.randint(1, 60)]))
        b = y + timedelta(days=rng.choice([0, 0, rng.randint(1, 60)]))
        b = opera_end(b)
        if not free(o_adr[k], a, b):
            return False
        # cut the gap [x, y] out of the Momentum address period
        row2 = list(row)
        row[adr.col["Gyldig til"]] = fdmy(x - DAY)
        row2[adr.col["Gyldig fra"]] = fdmy(y + DAY)
        adr.rows.append(row2)
        m_adr[k] = [t for t in m_adr[k] if t[2] is not row] + [(s0, x - DAY, row), (y + DAY, e0, row2)]
        oadr.rows.append(opera_address_row(k, a, b))
        o_adr[k].append((a, b))
        return True

    def sc_adr_inside(k, P):
        # a short Momentum address (elsewhere) between two gaps cut out of a long Momentum
        # address period; one Opera afdeling address covers both gaps and the short period
        rows = sorted(m_adr[k], key=lambda x: x[0])
        cand = [x for x in rows if (min(x[1] or E, Eo) - max(x[0], LO)).days > 200]
        if not cand:
            return False
        s0, e0, row = rng.choice(cand)
        lo = max(s0, LO) + timedelta(days=10)
        hi = min(e0 or E, Eo) - timedelta(days=150)
        if hi <= lo:
            return False
        g1 = lo + timedelta(days=rng.randint(0, (hi - lo).days))
        m0 = g1 + timedelta(days=rng.randint(1, 40))  # Momentum's short period m0..m1
        m1 = m0 + timedelta(days=rng.choice([0, rng.randint(1, 60)]))
        g2 = m1 + timedelta(days=rng.randint(1, 40))  # second gap m1+1..g2
        if g2 >= min(e0 or FAR, Eo) - DAY:
            return False
        a, b = g1 - timedelta(days=rng.randint(0, 30)), g2 + timedelta(days=rng.randint(0, 30))
        if not free(o_adr[k], a, b):
            return False
        mid, tail = list(row), list(row)
        row[adr.col["Gyldig til"]] = fdmy(g1 - DAY)
        mid[adr.col["Vejnavn"]], mid[adr.col["Husnummer"]] = "Perlegade", str(rng.randint(1, 60))
        mid[adr.col["Postnummer"]], mid[adr.col["Gyldig fra"]], mid[adr.col["Gyldig til"]] = "6400", fdmy(m0), fdmy(m1)
        tail[adr.col["Gyldig fra"]] = fdmy(g2 + DAY)
        adr.rows += [mid, tail]
        m_adr[k] = [t for t in m_adr[k] if t[2] is not row] + [(s0, g1 - DAY, row), (m0, m1, mid), (g2 + DAY, e0, tail)]
        oadr.rows.append(opera_address_row(k, a, b))
        o_adr[k].append((a, b))
        return True

    def sc_adr_after(k, P):
        rows = sorted(m_adr[k], key=lambda x: x[0])
        if not rows or rows[-1][1] is not None:
            return False
        s0, _, row = rows[-1]
        lo = max(s0, LO) + DAY
        if lo >= Eo:
            return False
        x = lo + timedelta(days=rng.randint(0, (Eo - lo).days))
        s = x + DAY + timedelta(days=rng.choice([0, 0, rng.randint(1, 30)]))
        if s > Eo:
            return False
        u = rng.random()
        e = None if u < 0.4 else Eo if u < 0.6 else opera_end(Eo + timedelta(days=rng.randint(1, MAX_AHEAD)))
        if not free(o_adr[k], s, e) or (e is None and any(b is None for _, b in o_adr[k])):
            return False
        row[adr.col["Gyldig til"]] = fdmy(x)
        m_adr[k] = [t for t in m_adr[k] if t[2] is not row] + [(s0, x, row)]
        oadr.rows.append(opera_address_row(k, s, e))
        o_adr[k].append((s, e))
        return True

    scenarios = [sc_gap, sc_inside, sc_after, sc_61, sc_one_day, sc_mentor, sc_akt_gap,
                 sc_adr_gap, sc_adr_inside, sc_adr_after]
    for k in sorted(m_mg) if overlaps else []:
        if rng.random() >= fraction:
            continue
        P = sorted(((c, s, e) for c, s, e, _ in m_mg[k]), key=lambda x: x[1])
        stats["persons messed"] += 1
        for sc in rng.sample(scenarios, rng.randint(2, 5)):
            if sc(k, P):
                stats[sc.__name__[3:]] += 1

    # --- planned ends --------------------------------------------------------------------------
    # (without `planned`, the open periods the generator writes stay open)
    if planned:
        ci = mg.col["Slutdato"]
        for k in sorted(m_mg):
            for c, s, e, row in m_mg[k]:
                if e is None and rng_plan.random() < 0.3:
                    row[ci] = fdmy(E + timedelta(days=rng_plan.randint(1, MAX_AHEAD)))
                    stats["planned Slutdato"] += 1
        ci = adr.col["Gyldig til"]
        for r in adr.rows:
            if not r[ci].strip() and rng_plan.random() < 0.2:
                r[ci] = fdmy(E + timedelta(days=rng_plan.randint(1, MAX_AHEAD)))
                stats["planned Gyldig til"] += 1
        for t in (omg, oadr, oakt):
            ci = t.col["TIL_DATO"]
            for r in t.rows:
                if not r[ci].strip() and rng_plan.random() < 0.4:
                    r[ci] = fiso(Eo + timedelta(days=rng_plan.randint(1, MAX_AHEAD)))
                    stats["planned TIL_DATO"] += 1

    # --- white space in addresses --------------------------------------------------------------
    def spaced(row, si, ni, chars):
        street, num = row[si], row[ni]
        ws = rng_ws.choice(chars)
        ops = []
        if " " in street.strip():
            ops.append("street_inner")
        ops += ["street_after", "street_before", "number_before"]
        if any(ch.isalpha() for ch in num) and any(ch.isdigit() for ch in num):
            ops.append("number_letter")
        op = "street_inner" if ops[0] == "street_inner" and rng_ws.random() < 0.5 else rng_ws.choice(ops)
        if op == "street_inner":
            core = street.strip()
            off = len(street) - len(street.lstrip())
            spaces = [off + i for i, ch in enumerate(core) if ch == " "]
            i = rng_ws.choice(spaces)
            row[si] = street[:i] + ws + street[i + 1:]
        elif op == "street_after":
            row[si] = street + ws
        elif op == "street_before":
            row[si] = ws + street
        elif op == "number_before":
            row[ni] = ws + num
        else:
            digits = num.rstrip().rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz ").strip()
            row[ni] = digits + ws + num.strip()[len(digits):].strip()
        return op

    for t, si, ni, chars in ((adr, adr.col["Vejnavn"], adr.col["Husnummer"], WS_MOMENTUM),
                             (oadr, oadr.col["VEJNAVN"], oadr.col["HUSNR"], WS_OPERA)):
        for r in t.rows:
            # addresses in the register's streets more often: there a fold decides a match
            in_reg = any(" ".join(r[si].lower().split()) == " ".join(e[0].lower().split()) for e in entrances)
            if rng_ws.random() < (0.3 if in_reg else 0.08) and whitespace:
                stats[f"white space {t.path.parent.parent.name} {spaced(r, si, ni, chars)}"] += 1

    # --- write, control files, self-check ------------------------------------------------------
    for t in (mg, adr, til, omg, oakt, oadr, reg):
        t.write()
    _rewrite_control(mdir / "_kontrol.csv", U8)
    _rewrite_control(odir / "_KONTROL.csv", CP)
    problems = check_inbox(inbox)
    if problems:
        raise SystemExit("mess broke a contract:\n" + "\n".join(problems[:20]))
    return dict(stats)


def _rewrite_control(path: Path, encoding: str):
    t = Table(path, encoding)
    for r in t.rows:
        f = path.parent / r[0]
        r[1] = str(len(Table(f, "utf-8-sig" if encoding != "cp1252" else "cp1252").rows))
    t.write()


def check_inbox(inbox: Path) -> list[str]:
    """The rules mess must keep (no CPR in the messages)."""
    out = []
    mdir = _newest(inbox / "momentum", "_kontrol.csv")
    odir = _newest(inbox / "opera", "_KONTROL.csv")
    E, Eo = _fd(mdir), _fd(odir)
    specs = [(mdir / "maalgruppe.csv", "utf-8-sig", 3, 4, dmy, E, True, True),
             (mdir / "borger_adresse.csv", "utf-8-sig", 8, 9, dmy, E, True, True),
             (mdir / "tilbud.csv", "utf-8-sig", 3, 4, dmy, E, False, False),
             (odir / "MATCHPERIODER.csv", "cp1252", 2, 3, iso, Eo, True, True),
             (odir / "ADRESSER.csv", "cp1252", 6, 7, iso, Eo, True, True),
             (odir / "AKTIVERING.csv", "cp1252", 2, 3, iso, Eo, False, False)]
    for path, enc, si, ei, parse, ext, no_overlap, one_open in specs:
        t = Table(path, enc)
        per = defaultdict(list)
        for n, r in enumerate(t.rows, start=2):
            s, e = parse(r[si]), parse(r[ei])
            if s > ext:
                out.append(f"{path.name}:{n}: start after the extract date")
            if (e or s) > ext + timedelta(days=365):
                out.append(f"{path.name}:{n}: date more than a year after the extract date")
            if e is not None and e < s:
                out.append(f"{path.name}:{n}: end before start")
            per[key(r[0])].append((s, e, n))
        for k, ps in per.items():
            # Two periods of one person may start the same day, one of them open (end None):
            # an open end sorts last (a tuple sort would compare None with a date).
            ps.sort(key=lambda p: (p[0], p[1] is None, p[1] or p[0], p[2]))
            if no_overlap:
                for (a0, a1, n0), (b0, b1, n1) in zip(ps, ps[1:]):
                    if a1 is None or a1 >= b0:
                        out.append(f"{path.name}:{n1}: overlaps line {n0}")
            if one_open and sum(e is None for _, e, _ in ps) > 1:
                out.append(f"{path.name}: a person with more than one open period")
    for ctl, enc in ((mdir / "_kontrol.csv", "utf-8-sig"), (odir / "_KONTROL.csv", "cp1252")):
        for r in Table(ctl, enc).rows:
            n = len(Table(ctl.parent / r[0], enc).rows)
            if int(r[1]) != n:
                out.append(f"{ctl.name}: {r[0]} says {r[1]}, has {n}")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inbox", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fraction", type=float, default=0.25)
    ap.add_argument("--no-overlaps", action="store_true")
    ap.add_argument("--no-planned", action="store_true")
    ap.add_argument("--no-whitespace", action="store_true")
    a = ap.parse_args(argv)
    stats = mess_inbox(a.inbox, a.seed, a.fraction, overlaps=not a.no_overlaps,
                       planned=not a.no_planned, whitespace=not a.no_whitespace)
    for k, v in sorted(stats.items()):
        print(f"{k}: {v}")


if __name__ == "__main__":
    sys.exit(main())
