"""An independent per-day reference for the jobcenter indicators (issue 12).

Reads the CSV files of an inbox directly (Python's csv module, no pipeline code) and computes,
per day and per person, the combined målgruppe, residence and activation state; the indicators
are then sums over those days. CPR numbers are keys in memory only: nothing here prints one.

Rules (spec/sources.md, spec/indicators.md; readings where the spec is silent: README.md):

* Momentum wins over Opera per person, per kind (målgruppe, address, tilbud) and per day; an
  Opera day no Momentum period of that person and kind covers is kept, up to Opera's extract
  date at the latest. An Opera målgruppe piece that ends before its TIL_DATO (cut by Momentum or
  by the extract date) has no Afslutningsårsag.
* A spell (forløb) is a run of consecutive days in the same målgruppe, whichever source each
  day comes from.
* An end date after the extract date means the period continues past it.
* Addresses match the register after folding case and every Unicode white-space character,
  with the house number's spaces removed and leading zeros dropped (as sources/address.py).

Usage: python bench/reference/reference.py INBOX [--json OUT]
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import numpy as np

# --- code lists, written out from docs/sources.md (not read from the pipeline) ----------------------
GROUPS = ["6.1", "6.2", "6.3", "6.4", "6.5", "6.6", "6.7", "6.8", "6.9", "6.10", "INT-SHP"]
GI = {g: i for i, g in enumerate(GROUPS)}
LAB2 = {"2.1": "6.1", "2.2": "6.2", "2.3": "6.3", "2.12": "6.4", "2.13": "6.5"}
LEDIGE = ["6.2", "6.3", "6.4", "6.5", "6.8", "INT-SHP"]
LANGTID = ["6.1", "6.2"]
REASONS = ["Ordinær beskæftigelse", "Ordinær uddannelse", "Målgruppeskift", "Fleksjob",
           "Førtidspension", "Ressourceforløb", "Revalidering", "Fraflytning", "Selvforsørgende",
           "Andet"]
RI = {r: i for i, r in enumerate(REASONS)}
AFGANG_KODE = {"01": 0, "02": 1, "03": 2, "04": 3, "05": 4, "06": 5, "07": 6, "08": 7, "09": 8,
               "99": 9}
ACTIVATION_TYPES = {"Virksomhedspraktik", "Løntilskud privat", "Løntilskud offentlig",
                    "Nytteindsats", "Vejledning og opkvalificering"}
OPERA_TILBUD = {"VP", "LTP", "LTO", "NYT", "VO"}  # all activation
MIN_61_DAYS = 182
LL_WINDOW, LL_MIN = 365, 292


# --- reading -------------------------------------------------------------------------------------
def _rows(path: Path, encoding: str):
    with open(path, encoding=encoding, newline="") as f:
        r = csv.reader(f, delimiter=";", quotechar='"')
        header = next(r)
        for row in r:
            yield dict(zip(header, row))


def _cpr(s: str) -> str:
    return s.strip().replace("-", "")


def _dmy(s: str) -> date | None:
    s = s.strip()
    if not s:
        return None
    d, m, y = s.split("-")
    return date(int(y), int(m), int(d))


def _iso(s: str) -> date | None:
    s = s.strip()
    return date.fromisoformat(s) if s else None


def norm_street(s: str) -> str:
    return " ".join(s.lower().split())  # str.split() splits on every Unicode white space


def norm_number(s: str) -> str:
    n = "".join(s.upper().split())  # every Unicode white space removed
    i = 0
    while i < len(n) - 1 and n[i] == "0" and n[i + 1].isdigit():
        i += 1
    return n[i:]


def norm_postcode(s: str) -> str:
    return "".join(s.split())


def _addr_key(street: str, number: str, post: str, fold: str = "unicode") -> tuple:
    if fold == "ascii":  # emulates `\s` in RE2 (ASCII white space only), for validation
        street = " ".join(re.split(r"[\t\n\f\r ]+", street.lower())).strip()
        number = re.sub(r"^0+([0-9])", r"\1", re.sub(r"[\t\n\f\r ]+", "", number.upper()))
        return (street, number, post.strip())
    return (norm_street(street), norm_number(number), norm_postcode(post))


def _newest(folder: Path, control: str) -> Path | None:
    if not folder.is_dir():
        return None
    done = sorted(p for p in folder.iterdir() if p.is_dir() and (p / control).exists())
    return done[-1] if done else None


def _folder_date(p: Path) -> date:
    n = p.name
    return date(int(n[:4]), int(n[4:6]), int(n[6:8]))


class Inbox:
    """The periods of an inbox, per person (CPR without hyphen, in memory only)."""

    def __init__(self, inbox: Path, fold: str = "unicode"):
        inbox = Path(inbox)

        def addr_key(street, number, post):
            return _addr_key(street, number, post, fold)
        m = _newest(inbox / "momentum", "_kontrol.csv")
        o = _newest(inbox / "opera", "_KONTROL.csv")
        if m is None:
            raise SystemExit("no complete Momentum extract in the inbox")
        self.E = _folder_date(m)
        self.Eo = _folder_date(o) if o else None
        u8 = "utf-8-sig"
        # register
        self.register = {}  # addr key -> (afdelingsnummer, boligområde)
        for r in _rows(inbox / "omraader" / "adresser.csv", u8):
            self.register[addr_key(r["Vejnavn"], r["Husnummer"], r["Postnummer"])] = (
                r["Afdelingsnummer"].strip(), r["Boligområde"].strip())
        # målgruppe: (cpr, group index, start, end|None, reason index|-1)
        self.mg_m = [(_cpr(r["CPR-nummer"]), GI[r["Målgruppekode"].strip()], _dmy(r["Startdato"]),
                      _dmy(r["Slutdato"]), RI.get(r["Afslutningsårsag"].strip(), -1))
                     for r in _rows(m / "maalgruppe.csv", u8)]
        self.adr_m = [(_cpr(r["CPR-nummer"]), addr_key(r["Vejnavn"], r["Husnummer"], r["Postnummer"]),
                       _dmy(r["Gyldig fra"]), _dmy(r["Gyldig til"]))
                      for r in _rows(m / "borger_adresse.csv", u8)]
        self.kommune = Counter(r["Kommunekode"].strip() for r in _rows(m / "borger_adresse.csv", u8)
                               ).most_common(1)[0][0]
        self.til_m = [(_cpr(r["CPR-nummer"]), r["Tilbudstype"].strip() in ACTIVATION_TYPES,
                       _dmy(r["Startdato"]), _dmy(r["Slutdato"]))
                      for r in _rows(m / "tilbud.csv", u8)]
        self.mg_o, self.adr_o, self.akt_o = [], [], []
        if o is not None:
            cp = "cp1252"
            for r in _rows(o / "MATCHPERIODER.csv", cp):
                code = LAB2.get(r["LAB_GRP"].strip())
                if code is None:
                    continue  # a LAB § 2 group with no current målgruppe
                self.mg_o.append((_cpr(r["CPRNR"]), GI[code], _iso(r["FRA_DATO"]), _iso(r["TIL_DATO"]),
                                  AFGANG_KODE.get(r["AFGANG_KODE"].strip(), -1)))
            self.adr_o = [(_cpr(r["CPRNR"]), addr_key(r["VEJNAVN"], r["HUSNR"], r["POSTNR"]),
                           _iso(r["FRA_DATO"]), _iso(r["TIL_DATO"]))
                          for r in _rows(o / "ADRESSER.csv", cp)]
            self.akt_o = [(_cpr(r["CPRNR"]), r["TILBUD_ART"].strip() in OPERA_TILBUD,
                           _iso(r["FRA_DATO"]), _iso(r["TIL_DATO"]))
                          for r in _rows(o / "AKTIVERING.csv", cp)]


# --- calendar ------------------------------------------------------------------------------------
def _month_start(d: date) -> date:
    return d.replace(day=1)


def _add_months(d: date, k: int) -> date:
    y, m = divmod(d.month - 1 + k, 12)
    return date(d.year + y, m + 1, 1)


def _last_day(d: date) -> date:
    return _add_months(d, 1) - timedelta(days=1)


def calendar(first_start: date, E: date, history_years: int = 10):
    """Month ends and complete months, quarters and years, as the indicators are reported:
    from the first målgruppe day (at most `history_years` back) up to the extract date; and
    per kind the period still running, from its first day up to the last month end on or
    before the extract date (docs/published.md, "Running periods"), when that is in it: its
    end is that month end, so its days are the days elapsed."""
    try:
        back = E.replace(year=E.year - history_years)
    except ValueError:  # 29 February
        back = E.replace(year=E.year - history_years, day=28)
    first = max(first_start, back)
    month_ends = []
    m = _month_start(first)
    while _last_day(m) <= E:
        month_ends.append(_last_day(m))
        m = _add_months(m, 1)
    periods = []  # (type, start, end)
    fm = _month_start(month_ends[0]) if month_ends else _month_start(first)
    for kind, step in (("month", 1), ("quarter", 3), ("year", 12)):
        if kind == "month":
            s = fm
        elif kind == "quarter":
            s = date(fm.year, 3 * ((fm.month - 1) // 3) + 1, 1)
        else:
            s = date(fm.year, 1, 1)
        while True:
            e = _add_months(s, step) - timedelta(days=1)
            if e > E:
                break
            periods.append((kind, s, e))
            s = _add_months(s, step)
        # the running one: data through the newest month end, if that lies in it
        if month_ends and s <= month_ends[-1]:
            periods.append((kind, s, month_ends[-1]))
    return month_ends, periods


# --- per-day state -------------------------------------------------------------------------------
class Days:
    """Per person and day from L to E + 1 (the extra day says whether a period continues past
    the extract date): målgruppe index (-1 none), afdeling index (-1 none), activation."""

    def __init__(self, ib: Inbox, precedence: str = "per-day"):
        self.ib = ib
        assert precedence in ("per-day", "before-first")
        E, Eo = ib.E, ib.Eo
        starts = [p[2] for p in ib.mg_m] + [p[2] for p in ib.mg_o if Eo is None or p[2] <= Eo]
        self.first_start = min(starts)
        # enough days before the first målgruppe day for the 365-day window of langtidsledige
        self.L = min(self.first_start, E.replace(year=E.year - 10, day=min(E.day, 28))) - timedelta(days=LL_WINDOW + 2)
        self.T = (E - self.L).days + 2  # days L .. E+1
        persons = sorted({p[0] for p in ib.mg_m} | {p[0] for p in ib.mg_o})
        self.pidx = {c: i for i, c in enumerate(persons)}
        self.N = len(persons)
        N, T = self.N, self.T

        def span(s: date, e: date | None, cap: date | None):
            """Index range [a, b) of days s..e (open/planned: through E+1), capped at `cap`."""
            last = E + timedelta(days=1) if e is None or e > E else e
            if cap is not None and last > cap:
                last = cap
            a = max((s - self.L).days, 0)
            b = (last - self.L).days + 1
            return a, min(b, T)

        # målgruppe
        gm = np.full((N, T), -1, np.int8)
        end_m = np.full((N, T), -1, np.int8)  # reason index + 10 at a Momentum period's last day
        for c, g, s, e, r in ib.mg_m:
            p = self.pidx[c]
            a, b = span(s, e, None)
            if a < b:
                assert (gm[p, a:b] < 0).all(), "overlapping Momentum målgruppe periods"
                gm[p, a:b] = g
                if e is not None and e <= E:
                    end_m[p, b - 1] = r
        # "before-first" (the rule before issue 12, to validate the rest on tidy inboxes):
        # Opera only before the person's first Momentum period of the kind (for activation:
        # the first Momentum målgruppe period).
        first_mg = {}
        for c, g, s, e, r in ib.mg_m:
            first_mg[c] = min(first_mg.get(c, s), s)
        first_adr = {}
        for c, k, s, e in ib.adr_m:
            first_adr[c] = min(first_adr.get(c, s), s)

        def cap_o(c, first):
            if precedence == "per-day" or c not in first:
                return Eo
            return min(Eo, first[c] - timedelta(days=1))

        go = np.full((N, T), -1, np.int8)
        end_o = np.full((N, T), -1, np.int8)
        if Eo is not None:
            for c, g, s, e, r in ib.mg_o:
                p = self.pidx[c]
                cap = cap_o(c, first_mg)
                a, b = span(s, e, cap)
                if a < b:
                    assert (go[p, a:b] < 0).all(), "overlapping Opera målgruppe periods"
                    go[p, a:b] = g
                    if e is not None and e <= cap:  # really ended there: its reason applies
                        end_o[p, b - 1] = r
        mom = gm >= 0
        self.G = np.where(mom, gm, go)
        # the first målgruppe day of anyone, after precedence (the reports start there)
        self.first_start = self.L + timedelta(days=int(np.argmax((self.G >= 0).any(axis=0))))
        # Afslutningsårsag of the piece ending on a day (-1: none, or the piece was cut)
        self.reason = np.where(mom, end_m, end_o)
        # An Opera piece ending because Momentum takes over the next day was cut: no reason.
        # (end_o is only set on Opera's own end day; a piece cut before it never reaches it.)

        # residence
        ai = {}
        afd = sorted({v for v in ib.register.values()}, key=lambda x: (int(x[0]) if x[0].isdigit() else 0, x))
        self.afdelinger = afd  # (afdelingsnummer, boligområde)
        aidx = {v: i for i, v in enumerate(afd)}
        rm = np.full((N, T), -2, np.int16)  # -2: no Momentum address, -1: elsewhere
        for c, k, s, e in ib.adr_m:
            p = self.pidx.get(c)
            if p is None:
                continue
            a, b = span(s, e, None)
            if a < b:
                rm[p, a:b] = aidx.get(ib.register.get(k), -1)
        ro = np.full((N, T), -2, np.int16)
        if Eo is not None:
            for c, k, s, e in ib.adr_o:
                p = self.pidx.get(c)
                if p is None:
                    continue
                a, b = span(s, e, cap_o(c, first_adr))
                if a < b:
                    ro[p, a:b] = aidx.get(ib.register.get(k), -1)
        self.R = np.where(rm > -2, rm, np.where(ro > -2, ro, -1)).astype(np.int16)

        # activation
        mcov = np.zeros((N, T), bool)
        mact = np.zeros((N, T), bool)
        for c, act, s, e in ib.til_m:
            p = self.pidx.get(c)
            if p is None:
                continue
            a, b = span(s, e, None)
            mcov[p, a:b] = True
            if act:
                mact[p, a:b] = True
        oact = np.zeros((N, T), bool)
        if Eo is not None:
            for c, act, s, e in ib.akt_o:
                p = self.pidx.get(c)
                if p is None or not act:
                    continue
                a, b = span(s, e, cap_o(c, first_mg))
                oact[p, a:b] = True
        self.A = mact | (~mcov & oact) if precedence == "per-day" else mact | oact

    def idx(self, d: date) -> int:
        return (d - self.L).days


# --- indicators ----------------------------------------------------------------------------------
def compute(inbox: Path, precedence: str = "per-day", fold: str = "unicode") -> dict:
    """{(indicator_id, variant, area_level, area_id, period_type, period_start iso): value}

    precedence="before-first" and fold="ascii" emulate the rules before issue 12 (Opera only
    before the person's first Momentum period; white space folded as RE2's `\\s`): they exist
    to validate this reference against the unfixed pipeline, not as readings of the spec."""
    ib = Inbox(inbox, fold)
    D = Days(ib, precedence)
    E = ib.E
    G, R, A = D.G, D.R, D.A
    N, T = G.shape
    month_ends, periods = calendar(D.first_start, E)

    # spells: runs of the same målgruppe
    prev = np.concatenate([np.full((N, 1), -1, np.int8), G[:, :-1]], axis=1)
    nxt = np.concatenate([G[:, 1:], np.full((N, 1), -1, np.int8)], axis=1)
    run_start = (G >= 0) & (G != prev)
    run_end = (G >= 0) & (G != nxt)
    run_end[:, -1] = False  # day E+1: the spell goes on past the extract
    tt = np.arange(T)
    spell_from = np.maximum.accumulate(np.where(run_start, tt[None, :], 0), axis=1)
    spell_days = tt[None, :] - spell_from + 1

    # langtidsledige per day
    ll = np.isin(G, [GI[g] for g in LANGTID])
    cs = np.concatenate([np.zeros((N, 1), np.int32), np.cumsum(ll, axis=1, dtype=np.int32)], axis=1)
    win = cs[:, 1:] - cs[:, np.maximum(tt + 1 - LL_WINDOW, 0)]
    LLD = ll & (win >= LL_MIN)

    # areas: (level, id, mask over R of the area)
    areas = []
    afd_nrs = {}
    for i, (nr, bo) in enumerate(D.afdelinger):
        afd_nrs.setdefault(nr, []).append(i)
    for nr, ii in afd_nrs.items():
        areas.append(("afdeling", nr, ii))
    bos = defaultdict(list)
    for i, (nr, bo) in enumerate(D.afdelinger):
        bos[bo].append(i)
    for bo, ii in bos.items():
        areas.append(("boligomraade", bo, ii))
    areas.append(("kommune", ib.kommune, None))

    def in_area(ii, Rsub):
        if ii is None:
            return np.ones(Rsub.shape, bool)
        return np.isin(Rsub, ii)

    out = {}
    me_idx = np.array([D.idx(d) for d in month_ends])
    Gm, Rm, Am, SDm, LLm = G[:, me_idx], R[:, me_idx], A[:, me_idx], spell_days[:, me_idx], LLD[:, me_idx]
    ledige_mask_m = np.isin(Gm, [GI[g] for g in LEDIGE])
    for lvl, aid, ii in areas:
        live = in_area(ii, Rm)
        for gi, g in enumerate(GROUPS):
            m = live & (Gm == gi)
            if g == "6.1":
                m &= SDm >= MIN_61_DAYS
            cnt = m.sum(axis=0)
            for j, d in enumerate(month_ends):
                out[("maalgruppe_antal", g, lvl, aid, "day", d.isoformat())] = float(cnt[j])
        pop = live & ledige_mask_m
        npop = pop.sum(axis=0)
        nact = (pop & Am).sum(axis=0)
        nll = (live & LLm).sum(axis=0)
        for j, d in enumerate(month_ends):
            k = d.isoformat()
            out[("ledige_omfattet", "", lvl, aid, "day", k)] = float(npop[j])
            out[("aktiveringsgrad", "ultimo", lvl, aid, "day", k)] = (
                100.0 * nact[j] / npop[j] if npop[j] else None)
            out[("langtidsledige", "", lvl, aid, "day", k)] = float(nll[j])

    # period sums via cumulative sums over days
    def period_sum(mask_per_day_count):
        c = np.concatenate([[0], np.cumsum(mask_per_day_count)])
        return lambda s, e: int(c[D.idx(e) + 1] - c[D.idx(s)])

    ledige_all = np.isin(G, [GI[g] for g in LEDIGE])
    for lvl, aid, ii in areas:
        live = in_area(ii, R)
        sums = {g: period_sum(((G == gi) & live).sum(axis=0)) for gi, g in enumerate(GROUPS)}
        popd = period_sum((ledige_all & live).sum(axis=0))
        actd = period_sum((ledige_all & live & A).sum(axis=0))
        llsum = period_sum((LLD & live).sum(axis=0))
        for kind, s, e in periods:
            n_days = (e - s).days + 1
            k = s.isoformat()
            for g in GROUPS:
                out[("fuldtidspersoner", g, lvl, aid, kind, k)] = sums[g](s, e) / n_days
            if kind in ("month", "quarter"):
                pdays, adays = popd(s, e), actd(s, e)
                out[("aktiveringsgrad", "fuldtid", lvl, aid, kind, k)] = (
                    100.0 * adays / pdays if pdays else None)
            if kind == "year":
                out[("langtidsledige", "", lvl, aid, kind, k)] = llsum(s, e) / n_days

    # flows per complete year
    years = [(s, e) for kind, s, e in periods if kind == "year"]
    for lvl, aid, ii in areas:
        for s, e in years:
            k = s.isoformat()
            for g in GROUPS:
                out[("tilgang", g, lvl, aid, "year", k)] = 0.0
                out[("afgang", g, lvl, aid, "year", k)] = 0.0
                for r in REASONS:
                    out[("afgang", f"{g}|{r}", lvl, aid, "year", k)] = 0.0
    if years:
        y0, y1 = D.idx(years[0][0]), D.idx(years[-1][1])
        year_of = {}
        for s, e in years:
            for t in range(D.idx(s), D.idx(e) + 1):
                year_of[t] = s.isoformat()
        for flow, mask in (("tilgang", run_start), ("afgang", run_end)):
            ps, ts = np.nonzero(mask[:, y0:y1 + 1])
            ts = ts + y0
            for p, t in zip(ps, ts):
                g = GROUPS[G[p, t]]
                k = year_of[int(t)]
                where = int(R[p, t])
                for lvl, aid, ii in areas:
                    if ii is not None and where not in ii:
                        continue
                    out[(flow, g, lvl, aid, "year", k)] += 1
                    if flow == "afgang":
                        r = int(D.reason[p, t])
                        rname = REASONS[r] if r >= 0 else "Andet"
                        out[(flow, f"{g}|{rname}", lvl, aid, "year", k)] += 1
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inbox", type=Path)
    ap.add_argument("--precedence", choices=["per-day", "before-first"], default="per-day")
    ap.add_argument("--fold", choices=["unicode", "ascii"], default="unicode")
    ap.add_argument("--json", type=Path, help="write the cells here (no CPR numbers: aggregates only)")
    a = ap.parse_args(argv)
    res = compute(a.inbox, a.precedence, a.fold)
    fam = Counter(k[0] for k in res)
    for f, n in sorted(fam.items()):
        print(f"{f}: {n} cells")
    if a.json:
        a.json.write_text(json.dumps([[*k, v] for k, v in sorted(res.items(), key=lambda kv: str(kv[0]))]))


if __name__ == "__main__":
    sys.exit(main())
