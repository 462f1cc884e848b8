"""End to end: a generated inbox through the whole pipeline, compared with counts derived
here, independently, from the generated files with nothing but the csv module."""
import csv
import re
from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from tests.conftest import query

pytestmark = pytest.mark.slow  # every test here needs a pipeline run

SUPPRESS_MAX = 4


def rows(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def day(s):
    return datetime.strptime(s.strip(), "%d-%m-%Y").date() if s and s.strip() else None


def cpr(s):
    return re.sub(r"[\s-]", "", s)


def address(street, number, postcode):
    return (" ".join(street.split()).lower(), number.replace(" ", "").upper().lstrip("0") or "0", postcode.strip())


LAB2_TO_LAB6 = {"2.1": "6.1", "2.2": "6.2", "2.3": "6.3", "2.12": "6.4", "2.13": "6.5"}
FAR = date(9999, 12, 31)


def opera_rows(path):
    with open(path, encoding="cp1252", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def iso(s):
    return date.fromisoformat(s.strip()) if s and s.strip() else None


def not_covered(start, end, momentum, opera_date):
    """docs/sources.md: where both cover the same days, Momentum wins. The pieces of an Opera
    period (to its extract date at the latest) that none of the person's Momentum periods
    `momentum` [(start, end)] of the same kind covers: each Momentum period cut out in turn."""
    pieces = [(start, min(end or FAR, opera_date))]
    for a, b in momentum:
        left = []
        for s, e in pieces:
            if b < s or a > e:
                left.append((s, e))
                continue
            if s < a:
                left.append((s, a - timedelta(days=1)))
            if b < e:
                left.append((b + timedelta(days=1), e))
        pieces = left
    return [(s, e) for s, e in pieces if s <= e]


def expected_counts(inbox, as_of):
    extract = sorted((inbox / "momentum").iterdir())[-1]
    opera = sorted((inbox / "opera").iterdir())[-1]
    opera_date = datetime.strptime(opera.name, "%Y%m%d").date()
    register = {address(r["Vejnavn"], r["Husnummer"], r["Postnummer"]): (r["Afdelingsnummer"], r["Boligområde"])
                for r in rows(inbox / "omraader" / "adresser.csv")}
    kommune = Counter(r["Kommunekode"] for r in rows(extract / "borger_adresse.csv")).most_common(1)[0][0]

    addresses = {}  # person -> [(start, end, address)]
    for r in rows(extract / "borger_adresse.csv"):
        addresses.setdefault(cpr(r["CPR-nummer"]), []).append(
            (day(r["Gyldig fra"]), day(r["Gyldig til"]) or FAR, address(r["Vejnavn"], r["Husnummer"], r["Postnummer"])))
    momentum_addresses = {p: [(a, b) for a, b, _ in v] for p, v in addresses.items()}
    for r in opera_rows(opera / "ADRESSER.csv"):
        p = cpr(r["CPRNR"])
        for piece in not_covered(iso(r["FRA_DATO"]), iso(r["TIL_DATO"]), momentum_addresses.get(p, []), opera_date):
            addresses.setdefault(p, []).append((*piece, address(r["VEJNAVN"], r["HUSNR"], r["POSTNR"])))
    where = {}
    for person, periods in addresses.items():
        for a, b, adr in periods:
            if a <= as_of <= b:
                where[person] = register.get(adr)

    periods = {}
    for r in rows(extract / "maalgruppe.csv"):
        periods.setdefault(cpr(r["CPR-nummer"]), []).append((day(r["Startdato"]), day(r["Slutdato"]) or FAR, r["Målgruppekode"]))
    momentum_periods = {p: [(a, b) for a, b, _ in v] for p, v in periods.items()}
    for r in opera_rows(opera / "MATCHPERIODER.csv"):
        p, code = cpr(r["CPRNR"]), LAB2_TO_LAB6.get(r["LAB_GRP"].strip())
        if code:
            for piece in not_covered(iso(r["FRA_DATO"]), iso(r["TIL_DATO"]), momentum_periods.get(p, []), opera_date):
                periods.setdefault(p, []).append((*piece, code))

    counts = Counter()
    for person, ps in periods.items():
        ps.sort()
        now = [i for i, (a, b, _) in enumerate(ps) if a <= as_of <= b]
        if not now:
            continue
        i = now[0]
        code, start = ps[i][2], ps[i][0]
        while i > 0 and ps[i - 1][2] == code and ps[i - 1][1] + timedelta(days=1) >= ps[i][0]:
            i -= 1
            start = ps[i][0]
        if code == "6.1" and (as_of - start).days + 1 < 182:
            continue
        counts[("kommune", kommune, code)] += 1
        if where.get(person):
            afd, omr = where[person]
            counts[("afdeling", afd, code)] += 1
            counts[("boligomraade", omr, code)] += 1
    return counts


def test_published_maalgruppe_status_equals_independent_counts(generated_run):
    inbox, home = generated_run
    month_ends = [d for (d,) in query(home / "publication.duckdb",
                                      "SELECT DISTINCT as_of_date FROM published.maalgruppe_status ORDER BY 1")]
    assert month_ends[-1] == date(2021, 2, 28)
    by_source = dict(query(home / "warehouse.duckdb", "SELECT source, count(*) FROM "
                           "intermediate.int_combine_maalgruppe_periods GROUP BY 1"))
    assert by_source["opera"] > 100 and by_source["momentum"] > 1000  # both sources are in play
    # The last month end, a year before, and one in the middle (2016: Opera's years).
    for as_of in (month_ends[-1], month_ends[-13], month_ends[len(month_ends) // 2]):
        expected = expected_counts(inbox, as_of)
        assert sum(n for (lvl, _, _), n in expected.items() if lvl == "afdeling") > 50  # a meaningful case
        internal = {(lvl, a, c): n for lvl, a, c, n in query(
            home / "warehouse.duckdb",
            "SELECT area_level, area_id, maalgruppe_code, persons FROM marts.maalgruppe_antal "
            "WHERE as_of_date = ? AND area_level <> 'helhedsplan'", [as_of])}
        assert {k: v for k, v in internal.items() if v} == dict(expected), as_of
        published = {(lvl, a, c): (n, s) for lvl, a, c, n, s in query(
            home / "publication.duckdb",
            "SELECT area_level, area_id, maalgruppe_code, persons, suppressed FROM published.maalgruppe_status "
            "WHERE as_of_date = ? AND area_level <> 'helhedsplan'", [as_of])}
        for key, (persons, suppressed) in published.items():
            n = expected.get(key, 0)
            if 1 <= n <= SUPPRESS_MAX:
                assert (persons, suppressed) == (None, True), key  # primary
            elif suppressed:
                assert persons is None and n > 0, key  # secondary: never a zero
            else:
                assert persons == n, key


def test_helhedsplan_is_the_sum_of_its_boligomraader(generated_run):
    _, home = generated_run
    diff = query(home / "warehouse.duckdb", """
        SELECT h.as_of_date, h.maalgruppe_code, h.persons, sum(b.persons)
        FROM marts.maalgruppe_antal h
        JOIN marts.maalgruppe_antal b USING (as_of_date, maalgruppe_code)
        WHERE h.area_level = 'helhedsplan' AND b.area_level = 'boligomraade'
          AND b.area_id IN (SELECT boligomraade FROM staging.stg_plans__plan_omraader WHERE plan_id = h.area_id)
        GROUP BY ALL HAVING h.persons <> sum(b.persons)""")
    assert diff == []


def test_publication_log_records_the_run(generated_run):
    _, home = generated_run
    (status, extract, passed, failed, counts), = query(
        home / "publication.duckdb",
        "SELECT status, momentum_extract_date, checks_passed, checks_failed, row_counts FROM published.publication_log")
    # The only checks that may not pass: a source's freshness (WARN), e.g. the synthetic
    # Momentum extract of 1 March 2021 is years old now.
    from warehouse import inbox_state
    from warehouse.config import PLANS_DIR

    stale = inbox_state.stale(inbox_state.freshness(generated_run[0], PLANS_DIR))
    assert (status, extract, failed) == ("published", date(2021, 3, 1), len(stale))
    assert passed >= 50  # dbt tests and control-count checks
    assert '"maalgruppe_status"' in counts


def test_demo_table_has_the_shape_of_the_004_table(generated_run, capsys):
    from cli.main import print_maalgruppe_table
    from warehouse.config import Settings

    inbox, home = generated_run
    print_maalgruppe_table(Settings(home, inbox))
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("Målgrupper 28.02.2021")
    header = out[2].split()
    assert header[:5] == ["Målgruppe", "22", "24", "30", "31"] and header[-1] == "Hovedtotal"
    codes = [line.split(" - ")[0] for line in out[3:14]]
    assert codes == ["6.1", "6.2", "6.3", "6.4", "6.5", "6.6", "6.7", "6.8", "6.9", "6.10", "INT-SHP"]


def test_no_suppressed_cell_is_recovered_by_subtraction(generated_run):
    """Try what a BI user could: a boligområde minus its published afdelinger, a
    helhedsplan minus its published boligområder, ledige_omfattet minus its published
    målgrupper. Where exactly one part is withheld, that part would be recovered."""
    _, home = generated_run
    pub = home / "publication.duckdb"
    wh = home / "warehouse.duckdb"
    grid = query(wh, "SELECT area_level, area_id, boligomraade, plan_id FROM intermediate.int_derive_area_grid")
    omraade_of_afd = {a: b for lvl, a, b, _ in grid if lvl == "afdeling"}
    plan_of_omraade = {b: p for lvl, _, b, p in grid if lvl == "helhedsplan"}
    rows = query(pub, "SELECT as_of_date, area_level, area_id, maalgruppe_code, suppressed FROM published.maalgruppe_status")
    cells = {(d, lvl, a, c): s for d, lvl, a, c, s in rows}
    groups = {}
    for (d, lvl, a, c), s in cells.items():
        if lvl == "afdeling":
            groups.setdefault((d, "boligomraade", omraade_of_afd[a], c), []).append(s)
        elif lvl == "boligomraade" and a in plan_of_omraade:
            groups.setdefault((d, "helhedsplan", plan_of_omraade[a], c), []).append(s)
    checked = 0
    for parent, parts in groups.items():
        if not cells[parent] and len(parts) > 1:
            checked += 1
            assert sum(parts) != 1, parent
    ledige = {(d, lvl, a): s for d, _, lvl, a, _, s in query(
        pub, "SELECT period_end, indicator_id, area_level, area_id, variant, suppressed FROM published.indicator_values "
             "WHERE indicator_id = 'ledige_omfattet'")}
    codes = ["6.2", "6.3", "6.4", "6.5", "6.8", "INT-SHP"]
    for (d, lvl, a), s in ledige.items():
        if not s:
            checked += 1
            assert sum(cells[(d, lvl, a, c)] for c in codes) != 1, (d, lvl, a)
    assert checked > 100
    assert sum(cells.values()) > 0  # there is something withheld to protect


def test_lbf_baselines_reproduce_the_delaftale(generated_run):
    """The generated LBF 2018 file carries the 004 figures: the computed values for the
    helhedsplan and the kommune must equal the plan's stated baselines."""
    _, home = generated_run
    rows = query(home / "publication.duckdb", """
        SELECT variant, value, comparison_value, baseline_value, numerator, denominator
        FROM published.indicator_values
        WHERE plan_id = 'soenderborg-beskaeftigelse-2021' AND indicator_id = 'andel_offentligt_forsoergede'
          AND period_end = DATE '2018-12-31' ORDER BY variant""")
    assert [(v, val, cmp, base) for v, val, cmp, base, _, _ in rows] == [
        ("18-29", 19.14, 12.32, 19.14), ("30-64", 50.65, 17.72, 50.65)]
    assert all(n is not None and d > n for *_, n, d in rows)


def test_demo_prints_the_delaftale_indicator_table(generated_run, capsys):
    from cli.main import print_plan_table
    from warehouse.config import Settings

    inbox, home = generated_run
    print_plan_table(Settings(home, inbox))
    out = capsys.readouterr().out.splitlines()
    body = [line for line in out[3:] if line.strip()]
    assert [line.split()[-1] for line in body] == ["–"] * 8  # no figure after a baseline date yet
    assert "233 (2021-02)" in body[2] and "20,00 % (2021-02)" in body[3] and "85,00 %" in body[3]
    assert "19,14 % (2018)" in body[0] and "50,65 % (2018)" in body[1]
    # The project indicators (deltagere, selvforsoergende_efter per activity): no baseline,
    # no kommune comparison, no target.
    assert all("(None)" not in line and line.split()[-2:] == ["–", "–"] for line in body[4:]), body[4:]


def test_demo_command_from_an_empty_home(tmp_path, capsys, monkeypatch):
    """`helhedsdata demo` itself (generate → run → both tables), as `make demo` calls it."""
    from cli.main import main

    # As from a fresh shell: an earlier run in this worker exported its settings (inbox, plans,
    # warehouse, Dagster home), and `demo` would take that inbox for its own.
    for var in ("HELHEDSDATA_HOME", "HELHEDSDATA_INBOX", "HELHEDSDATA_PLANS", "HELHEDSDATA_WAREHOUSE",
                "HELHEDSDATA_PUBLISH_URL", "DAGSTER_HOME"):
        monkeypatch.delenv(var, raising=False)

    assert main(["demo", "--home", str(tmp_path / "home"), "--persons", "300", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "Målgrupper" in out and "published.indicator_values" in out and "dagster dev" in out
