"""Tests of the synthetic inbox generator (synth.generator) against docs/sources.md."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from synth.generator import generate_inbox

EXTRACT = date(2021, 3, 1)
PERSONS = 3000

H_ADR = ("CPR-nummer;Vejnavn;Husnummer;Etage;Side/dør;Postnummer;By;Kommunekode;Gyldig fra;"
         "Gyldig til")
H_MG = "CPR-nummer;Målgruppekode;Målgruppe;Startdato;Slutdato;Afslutningsårsag"
H_TILBUD = ("CPR-nummer;Tilbudsid;Tilbudstype;Startdato;Slutdato;Timer pr. uge;CVR-nummer;"
            "Arbejdssted")
H_SAMTALE = "CPR-nummer;Samtaleid;Samtaletype;Frist;Afholdt dato;Status"
H_LBF = ("Niveau;Kommunekode;Boligorganisation;Afdelingsnummer;Afdelingsnavn;År;Aldersgruppe;"
         "Antal beboere;Offentligt forsørgede fuldtidspersoner;Andel offentligt forsørgede (%)")
H_ROSTER = "CPR;Navn;Startdato;Slutdato;Status ved afslutning;Timer pr. uge;Bemærkning"
H_REGISTER = "Boligområde;Afdelingsnummer;Afdelingsnavn;Vejnavn;Husnummer;Postnummer"

UTF8_FILES = {
    "momentum/20210301/borger_adresse.csv": H_ADR,
    "momentum/20210301/maalgruppe.csv": H_MG,
    "momentum/20210301/tilbud.csv": H_TILBUD,
    "momentum/20210301/samtale.csv": H_SAMTALE,
    "momentum/20210301/_kontrol.csv": "Fil;Antal rækker",
    "lbf/beboerdata_2018.csv": H_LBF,
    "lbf/beboerdata_2019.csv": H_LBF,
    "lbf/beboerdata_2020.csv": H_LBF,
    "roster/praktikpladser-til-udsatte-ledige.csv": H_ROSTER,
    "omraader/adresser.csv": H_REGISTER,
}
OPERA_FILES = {
    "opera/20191231/MATCHPERIODER.csv": "CPRNR;LAB_GRP;FRA_DATO;TIL_DATO;AFGANG_KODE",
    "opera/20191231/AKTIVERING.csv": "CPRNR;TILBUD_ART;FRA_DATO;TIL_DATO;TIMER",
    "opera/20191231/ADRESSER.csv": "CPRNR;VEJNAVN;HUSNR;ETAGE;DOER;POSTNR;FRA_DATO;TIL_DATO",
    "opera/20191231/_KONTROL.csv": "FIL;ANTAL",
}
XLSX = "roster/beskaeftigelsesfremmende-forloeb.xlsx"

GROUPS = {
    "6.1": "Dagpengemodtager",
    "6.2": "Jobparat kontanthjælps- og overgangsydelsesmodtager",
    "6.3": "Aktivitetsparat kontanthjælps- og overgangsydelsesmodtager",
    "6.4": "Uddannelsesparat uddannelseshjælps- og overgangsydelsesmodtager",
    "6.5": "Aktivitetsparat uddannelseshjælps- og overgangsydelsesmodtager",
    "6.6": "Sygedagpengemodtager",
    "6.7": "Jobafklaringsforløb",
    "6.8": "Ressourceforløb",
    "6.9": "Visiteret til fleksjob (ledighedsydelsesmodtager)",
    "6.10": "Revalidend",
    "INT-SHP": "Selvforsørgelses- og hjemrejseydelsesmodtager i program",
}
REASONS = {"Ordinær beskæftigelse", "Ordinær uddannelse", "Målgruppeskift", "Fleksjob",
           "Førtidspension", "Ressourceforløb", "Revalidering", "Fraflytning", "Selvforsørgende",
           "Andet"}
TILBUD = {"Virksomhedspraktik", "Løntilskud privat", "Løntilskud offentlig", "Nytteindsats",
          "Vejledning og opkvalificering", "Mentorstøtte"}
ROSTER_STATUS = {"Beskæftigelse over 18,5 timer", "Ordinære timer under 18,5", "Uddannelse",
                 "Virksomhedsforløb", "Fortsat ledig", "Andet"}
AFGANG = {"01", "02", "03", "04", "05", "06", "07", "08", "09", "99"}


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("inbox")
    summary = generate_inbox(out, persons=PERSONS, seed=7, extract_date=EXTRACT)
    assert set(summary["files"]) == set(UTF8_FILES) | set(OPERA_FILES) | {XLSX}
    return out


def read(inbox: Path, rel: str, encoding: str = "utf-8-sig") -> pd.DataFrame:
    return pd.read_csv(inbox / rel, sep=";", dtype=str, keep_default_na=False,
                       encoding=encoding)


def dmy(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.where(s != ""), format="%d-%m-%Y")


def iso(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.where(s != ""), format="%Y-%m-%d")


def norm_cpr(s: pd.Series) -> pd.Series:
    return s.str.strip().str.replace("-", "", regex=False)


def test_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    generate_inbox(a, persons=1500, seed=3, extract_date=EXTRACT)
    generate_inbox(b, persons=1500, seed=3, extract_date=EXTRACT)
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) == 15
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    c = tmp_path / "c"  # another seed gives another inbox
    generate_inbox(c, persons=1500, seed=4, extract_date=EXTRACT)
    assert (c / "momentum/20210301/maalgruppe.csv").read_bytes() != \
        (a / "momentum/20210301/maalgruppe.csv").read_bytes()


def test_utf8_files_header_bom_crlf(inbox):
    for rel, header in UTF8_FILES.items():
        raw = (inbox / rel).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), rel
        text = raw[3:].decode("utf-8")
        assert text.split("\r\n", 1)[0] == header, rel
        assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", ""), rel
        assert '"' not in text  # nothing here needs quoting


def test_opera_cp1252_upper_headers(inbox):
    blob = b""
    for rel, header in OPERA_FILES.items():
        raw = (inbox / rel).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf"), rel
        text = raw.decode("cp1252")
        if re.search(rb"[\x80-\xff]", raw):  # non-ASCII text is Windows-1252, not UTF-8
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
        assert text.split("\r\n", 1)[0] == header, rel
        assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", ""), rel
        blob += raw
    assert b"\xd8" in blob  # Ø as Windows-1252
    adr = read(inbox, "opera/20191231/ADRESSER.csv", "cp1252")
    assert (adr.VEJNAVN == adr.VEJNAVN.str.upper()).all()
    assert "SØSTJERNEVEJ" in set(adr.VEJNAVN) or "NØRAGER" in set(adr.VEJNAVN)


def test_control_files_match(inbox):
    mdir = inbox / "momentum/20210301"
    ctrl = read(inbox, "momentum/20210301/_kontrol.csv")
    assert list(ctrl.Fil) == ["borger_adresse.csv", "maalgruppe.csv", "tilbud.csv", "samtale.csv"]
    for f, cnt in zip(ctrl.Fil, ctrl["Antal rækker"]):
        lines = (mdir / f).read_bytes().count(b"\r\n") - 1
        assert lines == int(cnt) > 0, f
    odir = inbox / "opera/20191231"
    octrl = read(inbox, "opera/20191231/_KONTROL.csv", "cp1252")
    assert list(octrl.FIL) == ["MATCHPERIODER.csv", "AKTIVERING.csv", "ADRESSER.csv"]
    for f, cnt in zip(octrl.FIL, octrl.ANTAL):
        assert (odir / f).read_bytes().count(b"\r\n") - 1 == int(cnt) > 0, f


def test_cpr_numbers(inbox):
    adr = read(inbox, "momentum/20210301/borger_adresse.csv")
    cpr = adr["CPR-nummer"]
    assert cpr.str.fullmatch(r"\d{6}-?\d{4}").all()
    assert cpr.str.contains("-").mean() > 0.8 and (~cpr.str.contains("-")).any()
    people = norm_cpr(cpr).drop_duplicates()
    assert len(people) == PERSONS
    born = pd.to_datetime(people.str[:6], format="%d%m%y")  # valid day and month
    century = people.str[6].astype(int)
    year = born.dt.year % 100 + (1900 + 100 * ((century >= 4) & (born.dt.year % 100 <= 36)))
    age = (pd.Timestamp(EXTRACT) - pd.to_datetime(
        dict(year=year, month=born.dt.month, day=born.dt.day))).dt.days / 365.25
    assert age.between(16, 67).all()
    # every CPR elsewhere belongs to a person of the address file
    for rel in ("maalgruppe.csv", "tilbud.csv", "samtale.csv"):
        other = norm_cpr(read(inbox, f"momentum/20210301/{rel}")["CPR-nummer"])
        assert other.isin(set(people)).all(), rel


def _no_overlap(df: pd.DataFrame, who: str, start: str, end: str) -> None:
    df = df.sort_values([who, start])
    prev_end = df.groupby(who)[end].shift()
    same = df[who].eq(df[who].shift())
    assert not (same & (prev_end.isna() | (df[start] <= prev_end))).any()


def test_maalgruppe_periods(inbox):
    mg = read(inbox, "momentum/20210301/maalgruppe.csv")
    assert set(mg["Målgruppekode"]) <= set(GROUPS) and len(set(mg["Målgruppekode"])) == len(GROUPS)
    assert (mg["Målgruppekode"].map(GROUPS) == mg["Målgruppe"]).all()
    mg["p"] = norm_cpr(mg["CPR-nummer"])
    mg["s"], mg["e"] = dmy(mg.Startdato), dmy(mg.Slutdato)
    assert (mg.e.isna() | (mg.e >= mg.s)).all()
    is_open = mg.Slutdato == ""
    assert (is_open == (mg["Afslutningsårsag"] == "")).all()
    assert set(mg.loc[~is_open, "Afslutningsårsag"]) <= REASONS
    assert is_open.groupby(mg.p).sum().max() == 1
    _no_overlap(mg, "p", "s", "e")
    # a change of group opens the next period on the following day
    mg = mg.sort_values(["p", "s"])
    nxt_s = mg.groupby("p").s.shift(-1)
    shift = mg["Afslutningsårsag"] == "Målgruppeskift"
    assert shift.any() and (nxt_s[shift] == mg.e[shift] + pd.Timedelta(days=1)).all()
    # two contiguous 6.1 periods make one spell for some persons
    nxt_c = mg.groupby("p")["Målgruppekode"].shift(-1)
    assert ((mg["Målgruppekode"] == "6.1") & (nxt_c == "6.1")
            & (nxt_s == mg.e + pd.Timedelta(days=1))).any()
    assert mg.s.min() >= pd.Timestamp("2016-01-01") and mg.e.max() <= pd.Timestamp(EXTRACT)


def test_opera_periods(inbox):
    m = read(inbox, "opera/20191231/MATCHPERIODER.csv", "cp1252")
    assert {"2.1", "2.2", "2.3", "2.12", "2.13"} <= set(m.LAB_GRP)
    assert set(m.LAB_GRP) - {"2.1", "2.2", "2.3", "2.12", "2.13"}  # unmapped codes occur
    assert set(m.AFGANG_KODE) - {""} <= AFGANG
    assert ((m.TIL_DATO == "") == (m.AFGANG_KODE == "")).all()
    assert m.CPRNR.str.fullmatch(r"\d{10}").all()
    m["s"], m["e"] = iso(m.FRA_DATO), iso(m.TIL_DATO)
    assert (m.e.isna() | (m.e >= m.s)).all()
    assert m.s.max() < pd.Timestamp("2020-01-01") and m.e.max() < pd.Timestamp("2020-01-01")
    _no_overlap(m, "CPRNR", "s", "e")
    a = read(inbox, "opera/20191231/AKTIVERING.csv", "cp1252")
    assert set(a.TILBUD_ART) <= {"VP", "LTP", "LTO", "NYT", "VO"}
    a["s"], a["e"] = iso(a.FRA_DATO), iso(a.TIL_DATO)
    assert (a.e.isna() | (a.e >= a.s)).all() and a.s.max() < pd.Timestamp("2020-01-01")
    # Opera and Momentum overlap for some persons (Momentum wins there)
    mg = read(inbox, "momentum/20210301/maalgruppe.csv")
    mg["p"], mg["s"] = norm_cpr(mg["CPR-nummer"]), dmy(mg.Startdato)
    first_mom = mg.groupby("p").s.min()
    last_op = m.assign(e=m.e.fillna(pd.Timestamp("2019-12-31"))).groupby("CPRNR").e.max()
    both = first_mom.index.intersection(last_op.index)
    assert (last_op[both] >= first_mom[both]).any()


def test_addresses(inbox):
    adr = read(inbox, "momentum/20210301/borger_adresse.csv")
    adr["p"] = norm_cpr(adr["CPR-nummer"])
    adr["s"], adr["e"] = dmy(adr["Gyldig fra"]), dmy(adr["Gyldig til"])
    assert (adr.e.isna() | (adr.e >= adr.s)).all()
    assert adr.s.min() >= pd.Timestamp("1990-01-01") and adr.s.max() <= pd.Timestamp(EXTRACT)
    assert (adr.e.isna().groupby(adr.p).sum() == 1).all()  # one current address each
    _no_overlap(adr, "p", "s", "e")
    assert adr.Kommunekode.value_counts(normalize=True)["540"] > 0.95
    assert (adr.Kommunekode != "540").any()
    v = adr.Vejnavn
    assert (v != v.str.strip()).any() and v.str.islower().any() and v.str.isupper().any()
    assert adr.Husnummer.str.fullmatch(r"\d+ ?[A-Za-z]").any()
    assert (adr.Etage != "").any() and (adr["Side/dør"] != "").any()
    # about 10-15 % of the persons live in an afdeling at some time
    reg = read(inbox, "omraader/adresser.csv")
    key = lambda d: (d.Vejnavn.str.lower().str.replace(r"\s+", "", regex=True) + "|"
                     + d.Husnummer.str.lower().str.replace(r"\s+", "", regex=True) + "|"
                     + d.Postnummer)
    ever = adr.loc[key(adr).isin(set(key(reg))), "p"].nunique() / adr.p.nunique()
    assert 0.07 < ever < 0.18


def test_tilbud_and_samtale(inbox):
    t = read(inbox, "momentum/20210301/tilbud.csv")
    assert set(t.Tilbudstype) == TILBUD
    assert t.Tilbudsid.is_unique and t.Tilbudsid.str.fullmatch(r"T-\d{6,}").all()
    assert t["Timer pr. uge"].str.fullmatch(r"\d+(,\d)?").all()
    assert t["Timer pr. uge"].str.contains(",").any()
    assert t["CVR-nummer"].str.fullmatch(r"(\d{8})?").all()
    s, e = dmy(t.Startdato), dmy(t.Slutdato)
    assert (e.isna() | (e >= s)).all() and e.isna().any()
    assert s.max() <= pd.Timestamp(EXTRACT) and e.max() <= pd.Timestamp(EXTRACT)
    sa = read(inbox, "momentum/20210301/samtale.csv")
    assert sa.Samtaleid.is_unique
    assert set(sa.Status) <= {"Afholdt", "Aflyst", "Udeblevet", ""}
    f, h = dmy(sa.Frist), dmy(sa["Afholdt dato"])
    assert ((sa.Status == "Afholdt") == h.notna()).all()
    assert h.max() <= pd.Timestamp(EXTRACT) and f.min() >= pd.Timestamp("1990-01-01")
    future = f > pd.Timestamp(EXTRACT)
    assert future.any() and f.max() <= pd.Timestamp(EXTRACT) + pd.Timedelta(days=60)
    assert (h > f).any() and (h <= f).mean() > 0.5  # mostly on time, some late


def test_register_and_lbf(inbox):
    reg = read(inbox, "omraader/adresser.csv")
    counts = reg.Afdelingsnummer.value_counts()
    assert {"22", "24", "30", "35"} <= set(counts.index) and counts.between(5, 15).all()
    assert (reg.Postnummer == "6400").all() and reg.Husnummer.str.contains("[A-Z]").any()
    assert set(reg.loc[reg.Afdelingsnummer.isin(["22", "35"]), "Boligområde"]) == \
        {"Nørager og Søstjernevej m.fl."}
    lbf = read(inbox, "lbf/beboerdata_2018.csv")
    assert set(lbf.Niveau) == {"Afdeling", "Boligområde", "Kommune"}
    assert set(lbf.loc[lbf.Niveau == "Afdeling", "Afdelingsnummer"]) == {"22", "24", "30", "35"}
    share = lambda niveau, ag: lbf.loc[(lbf.Niveau == niveau) & (lbf.Aldersgruppe == ag),
                                       "Andel offentligt forsørgede (%)"].item()
    assert (share("Boligområde", "18-29"), share("Boligområde", "30-64")) == ("19,14", "50,65")
    assert (share("Kommune", "18-29"), share("Kommune", "30-64")) == ("12,32", "17,72")
    for year in (2018, 2019, 2020):
        d = read(inbox, f"lbf/beboerdata_{year}.csv")
        ok = (d["Antal beboere"] != "x") & (d["Offentligt forsørgede fuldtidspersoner"] != "x")
        num = lambda c: d.loc[ok, c].str.replace(".", "", regex=False).astype(int)
        calc = (100 * num("Offentligt forsørgede fuldtidspersoner") / num("Antal beboere")).round(2)
        stated = d.loc[ok, "Andel offentligt forsørgede (%)"].str.replace(",", ".").astype(float)
        assert ((calc - stated).abs() < 0.006).all()
        assert (d == "x").any().any()  # LBF's own suppression
        assert d["Antal beboere"].str.contains(r"\d\.\d{3}").any()


def test_roster_xlsx(inbox):
    wb = openpyxl.load_workbook(inbox / XLSX)
    assert wb.sheetnames == ["Deltagere"]
    rows = [tuple(c.value for c in r) for r in wb["Deltagere"].iter_rows()]
    assert ";".join(rows[0]) == H_ROSTER
    body = rows[1:]
    assert body[-1][0] == "Total"
    blank = [r for r in body if all(v is None for v in r)]
    assert 1 <= len(blank) <= 2
    data = [r for r in body[:-1] if any(v is not None for v in r)]
    assert len(data) != len(set(data))  # one person entered twice
    starts = [r[2] for r in data]
    assert any(isinstance(v, datetime) for v in starts)
    text_date = re.compile(r"\d{1,2}[-.]\d{1,2}[-.]\d{4}")
    assert any(isinstance(v, str) and text_date.fullmatch(v) for v in starts)
    assert any(isinstance(v, str) and v != v.strip() for r in data for v in r[:2])
    assert {r[4].strip() for r in data if r[4]} <= ROSTER_STATUS
    assert any(r[3] is None and r[4] is None for r in data)  # still enrolled
    assert body[-1][1] == len({r[0].strip().replace("-", "") for r in data})


def test_roster_csv(inbox):
    raw = (inbox / "roster/praktikpladser-til-udsatte-ledige.csv").read_bytes()
    df = pd.read_csv(io.BytesIO(raw), sep=";", dtype=str, keep_default_na=False,
                     encoding="utf-8-sig")
    assert df.iloc[-1, 0] == "Total"
    assert (df == "").all(axis=1).any()  # blank row
    data = df[(df != "").any(axis=1) & (df.CPR != "Total")]
    assert data.duplicated().any()
    assert data.CPR.str.strip().str.fullmatch(r"\d{6}-?\d{4}").all()
    assert (data.CPR != data.CPR.str.strip()).any()
    assert set(data["Status ved afslutning"].str.strip()) - {""} <= ROSTER_STATUS
    assert data["Timer pr. uge"].str.fullmatch(r"(\d+(,\d)?)?").all()


def test_roster_participants_join_and_names_stay_in_rosters(inbox):
    wb = openpyxl.load_workbook(inbox / XLSX)
    xrows = [r for r in wb["Deltagere"].iter_rows(min_row=2, values_only=True)
             if r[0] and r[0] != "Total"]
    csv = read(inbox, "roster/praktikpladser-til-udsatte-ledige.csv")
    csv = csv[(csv.CPR != "") & (csv.CPR != "Total")]
    names = {r[1].strip() for r in xrows} | set(csv.Navn.str.strip())
    cprs = {r[0].strip().replace("-", "") for r in xrows} | set(norm_cpr(csv.CPR))
    assert len(names) > 5 and all(re.fullmatch(r"\S+ \S+", n) for n in names)
    mg = read(inbox, "momentum/20210301/maalgruppe.csv")
    assert cprs <= set(norm_cpr(mg["CPR-nummer"]))
    # names never leave the rosters
    for p in inbox.rglob("*"):
        if p.is_file() and p.parent.name != "roster":
            text = p.read_bytes().decode("cp1252" if "opera" in p.parts else "utf-8-sig")
            assert not any(n in text for n in names), p
            assert not any(n.upper() in text for n in names), p


def test_realistic_proportions(tmp_path):
    """At 20 000 persons the 004 table comes out in the right order of magnitude."""
    inbox = tmp_path / "inbox"
    generate_inbox(inbox, persons=20_000, seed=1, extract_date=EXTRACT)
    D = pd.Timestamp("2021-02-28")
    adr = read(inbox, "momentum/20210301/borger_adresse.csv")
    reg = read(inbox, "omraader/adresser.csv")
    key = lambda d: (d.Vejnavn.str.lower().str.replace(r"\s+", "", regex=True) + "|"
                     + d.Husnummer.str.lower().str.replace(r"\s+", "", regex=True) + "|"
                     + d.Postnummer)
    adr["afd"] = key(adr).map(dict(zip(key(reg), reg.Afdelingsnummer)))
    adr["p"] = norm_cpr(adr["CPR-nummer"])
    s, e = dmy(adr["Gyldig fra"]), dmy(adr["Gyldig til"])
    where = adr[(s <= D) & (e.isna() | (e >= D))].set_index("p")
    mg = read(inbox, "momentum/20210301/maalgruppe.csv")
    mg["p"] = norm_cpr(mg["CPR-nummer"])
    ms, me = dmy(mg.Startdato), dmy(mg.Slutdato)
    on = mg[(ms <= D) & (me.isna() | (me >= D))].copy()
    on["afd"] = on.p.map(where.afd)
    on["kom"] = on.p.map(where.Kommunekode)
    ledige = ["6.2", "6.3", "6.4", "6.5", "6.8", "INT-SHP"]
    led = on[on["Målgruppekode"].isin(ledige)]
    assert 1500 <= (led.kom == "540").sum() <= 2500
    per_afd = led.afd.value_counts()
    for afd in ("22", "24", "30", "35"):
        assert 30 <= per_afd.get(afd, 0) <= 90, afd
        assert set(led.loc[led.afd == afd, "Målgruppekode"]) >= {"6.2", "6.3", "INT-SHP"}
    # activation at the month end among the ledige: roughly 20-40 %
    t = read(inbox, "momentum/20210301/tilbud.csv")
    ts, te = dmy(t.Startdato), dmy(t.Slutdato)
    act = set(norm_cpr(t.loc[(t.Tilbudstype != "Mentorstøtte") & (ts <= D)
                             & (te.isna() | (te >= D)), "CPR-nummer"]))
    rate = led.p.isin(act).mean()
    assert 0.15 <= rate <= 0.45


def test_cli_generate_takes_the_extract_date(tmp_path):
    """`helhedsdata generate --extract-date` dates the Momentum extract (a mid-month date
    exercises the running periods; bench/reference/compare.py passes it on)."""
    from cli.main import main
    from sources import momentum

    assert main(["generate", "--out", str(tmp_path / "inbox"), "--persons", "100", "--seed", "2",
                 "--extract-date", "2021-03-19"]) == 0
    folders = momentum.find_extracts(tmp_path / "inbox")
    assert [momentum.extract_date_of(f) for f in folders][-1] == date(2021, 3, 19)
    with pytest.raises(SystemExit):  # not a date: argparse's usage error, nothing written
        main(["generate", "--out", str(tmp_path / "other"), "--extract-date", "19.03.2021"])
    assert not (tmp_path / "other").exists()
