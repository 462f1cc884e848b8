"""Hand-computed cases for the flow indicators (docs/indicators.md): tilgang, afgang,
andel_i_aktivering_ved_start and rettidighed_samtaler.

One small inbox holds every case as its own person; the pipeline runs once. The extract
is dated 2021-03-01, and the first målgruppe period starts 2018-01-01, so the complete
years are 2018, 2019 and 2020 and the complete quarters 2018 Q1 .. 2020 Q4; 2021 and its
first quarter run, computed up to 2021-02-28 (the last month end before the extract)."""
from datetime import date

import pytest

from tests.conftest import query, run_pipeline
from tests.inbox_builder import d, write_momentum, write_register

pytestmark = pytest.mark.slow  # every test here needs a pipeline run

KOMMUNE = ("kommune", "540")
AFD22, AFD24, AFD30, AFD35 = ("afdeling", "22"), ("afdeling", "24"), ("afdeling", "30"), ("afdeling", "35")
NOERAGER_SOES = ("boligomraade", "Nørager og Søstjernevej m.fl.")  # afdeling 22 and 35
PLAN = ("helhedsplan", "soenderborg-beskaeftigelse-2021")  # all four afdelinger
Y2018, Y2019, Y2020, Y2021 = "2018-01-01", "2019-01-01", "2020-01-01", "2021-01-01"
Q2_2020, Q3_2020 = "2020-04-01", "2020-07-01"

SOES = ("Søstjernevej", "12A", "6400")  # afdeling 22
NOER = ("Nørager", "7", "6400")  # afdeling 35
STEN = ("Stenbjergparken", "3", "6400")  # afdeling 24
HVEDE = ("Hvedemarken", "41", "6400")  # afdeling 30
ELSEWHERE = ("Perlegade", "50", "6400")  # in the kommune, in no afdeling

# name -> (cpr, addresses [(street, number, postcode, from, to)],
#          målgruppe periods [(code, from, to, Afslutningsårsag)],
#          tilbud [(type, from, to)], samtaler [(id, Frist, Afholdt dato, Status)])
PERSONS = {
    # The history starts 2018-01-01 (left-censored: tilgang 6.1 in 2018).
    "history_start": ("010290-2001", [(*ELSEWHERE, "2015-01-01", None)], [("6.1", "2018-01-01", None, None)], [], []),
    # Years are inclusive: a spell starting 1 January is a tilgang of that year, one
    # ending 31 December an afgang of that year (not the next).
    "starts_1_jan": ("020290-2002", [(*STEN, "2015-01-01", None)], [("6.3", "2020-01-01", None, None)], [], []),
    "ends_31_dec": ("030290-2003", [(*STEN, "2015-01-01", None)],
                    [("6.3", "2019-03-01", "2019-12-31", "Selvforsørgende")], [], []),
    # Contiguous 6.2 periods are one spell: one tilgang, one afgang with the last reason.
    "contiguous": ("040290-2004", [(*SOES, "2015-01-01", None)],
                   [("6.2", "2020-02-01", "2020-04-30", "Andet"),
                    ("6.2", "2020-05-01", "2020-08-31", "Ordinær uddannelse")], [], []),
    # A one-day gap makes two spells: two tilgange, two afgange (Andet, Ordinær beskæftigelse).
    "one_day_gap": ("050290-2005", [(*HVEDE, "2015-01-01", None)],
                    [("6.2", "2020-02-01", "2020-04-30", "Andet"),
                     ("6.2", "2020-05-02", "2020-08-31", "Ordinær beskæftigelse")], [], []),
    # 6.2 -> 6.3: an afgang of 6.2 (Målgruppeskift) and a tilgang of 6.3.
    "group_change": ("060290-2006", [(*NOER, "2015-01-01", None)],
                     [("6.2", "2020-03-01", "2020-06-30", "Målgruppeskift"), ("6.3", "2020-07-01", None, None)], [], []),
    # Moves into afdeling 24 on the spell's start day: tilgang (and afgang) in 24.
    "moves_in_on_start": ("070290-2007", [(*ELSEWHERE, "2015-01-01", "2020-04-09"), (*STEN, "2020-04-10", None)],
                          [("6.4", "2020-04-10", "2020-10-31", "Ordinær uddannelse")], [], []),
    # Moves out of afdeling 22 on the spell's start day: tilgang in the kommune only.
    "moves_out_on_start": ("080290-2008", [(*SOES, "2015-01-01", "2020-04-09"), (*ELSEWHERE, "2020-04-10", None)],
                           [("6.4", "2020-04-10", None, None)], [], []),
    # Closed without an Afslutningsårsag: afgang 6.5|Andet.
    "no_reason": ("090290-2009", [(*ELSEWHERE, "2015-01-01", None)], [("6.5", "2019-02-01", "2019-09-30", None)], [], []),
    # Activation starting on day 90 of the spell (2019-01-10 + 90 = 2019-04-10) counts ...
    "activated_day_90": ("100290-2010", [(*HVEDE, "2015-01-01", None)], [("6.2", "2019-01-10", None, None)],
                         [("Virksomhedspraktik", "2019-04-10", "2019-06-30")], []),
    # ... on day 91 it does not.
    "activated_day_91": ("110290-2011", [(*HVEDE, "2015-01-01", None)], [("6.2", "2019-01-10", None, None)],
                         [("Virksomhedspraktik", "2019-04-11", "2019-06-30")], []),
    # Mentorstøtte is no activation.
    "mentor_only": ("120290-2012", [(*ELSEWHERE, "2015-01-01", None)], [("6.3", "2019-02-01", None, None)],
                    [("Mentorstøtte", "2019-02-15", "2019-05-31")], []),
    # An activation tilbud that started before the spell did not start within its 13 weeks.
    "tilbud_before_start": ("130290-2013", [(*ELSEWHERE, "2015-01-01", None)], [("6.3", "2019-03-01", None, None)],
                            [("Løntilskud privat", "2019-02-01", "2019-05-31")], []),
    # Activation on day 0 counts.
    "activated_day_0": ("140290-2014", [(*ELSEWHERE, "2015-01-01", None)], [("6.5", "2019-05-01", None, None)],
                        [("Vejledning og opkvalificering", "2019-05-01", "2019-06-30")], []),
    # Starts 60 days before the extract date: not yet due, left out of 2020 (though activated).
    "not_yet_due": ("150290-2015", [(*ELSEWHERE, "2015-01-01", None)], [("6.4", "2020-12-31", None, None)],
                    [("Nytteindsats", "2021-01-05", None)], []),
    # Its 91st day is the extract date: due, and activated on day 90 (the extract date).
    "due_on_extract_date": ("160290-2016", [(*ELSEWHERE, "2015-01-01", None)], [("6.5", "2020-12-01", None, None)],
                            [("Virksomhedspraktik", "2021-03-01", None)], []),
    # The running year 2021, up to 2021-02-28: a 6.2 spell from 15 January ending on 28
    # February (a tilgang and an afgang so far), then 6.7 from 1 March (after data_through:
    # no tilgang yet, although before the extract date).
    "running_year": ("210290-2021", [(*ELSEWHERE, "2015-01-01", None)],
                     [("6.2", "2021-01-15", "2021-02-28", "Ordinær beskæftigelse"), ("6.7", "2021-03-01", None, None)],
                     [], []),
    # Meetings. meet_a (afdeling 22): held on the Frist; held on a quarter's last day
    # that is its Frist (Q2); Frist 1 July held early (Q3, on time).
    "meet_a": ("170290-2017", [(*SOES, "2015-01-01", None)], [], [],
               [("S-1", "2020-05-15", "2020-05-15", "Afholdt"), ("S-2", "2020-06-30", "2020-06-30", "Afholdt"),
                ("S-3", "2020-07-01", "2020-06-25", "Afholdt")]),
    # meet_b (afdeling 22): held the day after the Frist; cancelled.
    "meet_b": ("180290-2018", [(*SOES, "2015-01-01", None)], [], [],
               [("S-4", "2020-05-15", "2020-05-16", "Afholdt"), ("S-5", "2020-04-20", None, "Aflyst")]),
    # meet_c (elsewhere): held before the Frist; no status yet; not attended; a Frist
    # after the extract date (in no complete quarter).
    "meet_c": ("190290-2019", [(*ELSEWHERE, "2015-01-01", None)], [], [],
               [("S-6", "2020-06-10", "2020-06-01", "Afholdt"), ("S-7", "2020-06-20", None, None),
                ("S-9", "2020-05-05", None, "Udeblevet"), ("S-8", "2021-03-15", None, None)]),
    # meet_d moves into afdeling 24 on the Frist day: the meeting counts there.
    "meet_d": ("200290-2020", [(*ELSEWHERE, "2015-01-01", "2020-05-31"), (*STEN, "2020-06-01", None)], [], [],
               [("S-10", "2020-06-01", "2020-06-01", "Afholdt")]),
}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    root = tmp_path_factory.mktemp("flows")
    inbox, home = root / "inbox", root / "home"
    addr, mg, ti, sa = [], [], [], []
    for name, (cpr, addresses, periods, tilbud, samtaler) in PERSONS.items():
        for street, number, postcode, a, b in addresses:
            addr.append((cpr, street, number, "", "", postcode, "Sønderborg", "540", d(a), d(b)))
        for code, a, b, why in periods:
            mg.append((cpr, code, "", d(a), d(b), why))
        for i, (kind, a, b) in enumerate(tilbud):
            ti.append((cpr, f"T-{name}-{i}", kind, d(a), d(b), "15,0", "", ""))
        for sid, frist, held, status in samtaler:
            sa.append((cpr, sid, "Jobsamtale", d(frist), d(held), status))
    write_momentum(inbox, "20210301", {
        "borger_adresse.csv": addr, "maalgruppe.csv": mg, "tilbud.csv": ti, "samtale.csv": sa})
    write_register(inbox)
    assert run_pipeline(home, inbox, in_memory=True), (home / "logs" / "dbt-last-run.log")  # no test reads Dagster's storage
    return home


def figure(home, indicator, variant, area, period_start):
    """(value, numerator, denominator, persons_numerator, persons_denominator) of one cell."""
    rows = query(home / "warehouse.duckdb",
                 "SELECT value, numerator, denominator, persons_numerator, persons_denominator "
                 "FROM marts.indicator_results WHERE indicator_id = ? AND variant = ? AND area_level = ? "
                 "AND area_id = ? AND period_start = ?", [indicator, variant, *area, period_start])
    assert len(rows) == 1, (indicator, variant, area, period_start, rows)
    return rows[0]


def count(home, indicator, variant, area, year):
    value, numerator, denominator, persons, _ = figure(home, indicator, variant, area, year)
    assert numerator is None and denominator is None
    return value, persons


def test_complete_years_and_the_running_one(scenario):
    for indicator in ("tilgang", "afgang", "andel_i_aktivering_ved_start"):
        years = query(scenario / "warehouse.duckdb",
                      "SELECT DISTINCT period_type, period_start, period_end, period_complete, data_through "
                      "FROM marts.indicator_results WHERE indicator_id = ? ORDER BY 2", [indicator])
        assert [(t, str(a), str(b), c, str(x)) for t, a, b, c, x in years] == [
            ("year", "2018-01-01", "2018-12-31", True, "2018-12-31"),
            ("year", "2019-01-01", "2019-12-31", True, "2019-12-31"),
            ("year", "2020-01-01", "2020-12-31", True, "2020-12-31"),
            # 2021 is not complete on 2021-03-01: so far, up to the last month end
            ("year", "2021-01-01", "2021-12-31", False, "2021-02-28")], indicator


def test_running_year_counts_events_up_to_data_through(scenario):
    assert count(scenario, "tilgang", "6.2", KOMMUNE, Y2021) == (1, 1)
    assert count(scenario, "afgang", "6.2", KOMMUNE, Y2021) == (1, 1)  # ends on data_through
    assert count(scenario, "afgang", "6.2|Ordinær beskæftigelse", KOMMUNE, Y2021) == (1, 1)
    assert count(scenario, "tilgang", "6.7", KOMMUNE, Y2021) == (0, 0)  # starts after data_through


def test_tilgang_by_hand(scenario):
    # 2018: history_start's 6.1 spell (it starts on the history's first day: left-censored).
    assert count(scenario, "tilgang", "6.1", KOMMUNE, Y2018) == (1, 1)
    # 2020, 6.2: contiguous (1 spell), one_day_gap (2 spells), group_change (1): 4 spells, 3 persons.
    assert count(scenario, "tilgang", "6.2", KOMMUNE, Y2020) == (4, 3)
    assert count(scenario, "tilgang", "6.2", AFD22, Y2020) == (1, 1)  # contiguous: one spell
    assert count(scenario, "tilgang", "6.2", AFD30, Y2020) == (2, 1)  # one_day_gap: two spells
    assert count(scenario, "tilgang", "6.2", NOERAGER_SOES, Y2020) == (2, 2)  # contiguous + group_change
    assert count(scenario, "tilgang", "6.2", PLAN, Y2020) == (4, 3)
    # 6.3: starts_1_jan and group_change in 2020; ends_31_dec, mentor_only, tilbud_before_start in 2019.
    assert count(scenario, "tilgang", "6.3", KOMMUNE, Y2020) == (2, 2)
    assert count(scenario, "tilgang", "6.3", AFD24, Y2020) == (1, 1)  # starts_1_jan: 1 January is in 2020
    assert count(scenario, "tilgang", "6.3", AFD35, Y2020) == (1, 1)  # group_change's new 6.3 spell
    assert count(scenario, "tilgang", "6.3", KOMMUNE, Y2019) == (3, 3)
    # 6.4 in 2020: moves_in_on_start, moves_out_on_start, not_yet_due.
    assert count(scenario, "tilgang", "6.4", KOMMUNE, Y2020) == (3, 3)


def test_move_on_the_start_day_decides_the_area(scenario):
    assert count(scenario, "tilgang", "6.4", AFD24, Y2020) == (1, 1)  # moves_in_on_start
    assert count(scenario, "tilgang", "6.4", AFD22, Y2020) == (0, 0)  # moves_out_on_start lives elsewhere
    assert count(scenario, "tilgang", "6.4", NOERAGER_SOES, Y2020) == (0, 0)


def test_afgang_by_hand(scenario):
    # 2020, 6.2: contiguous (Ordinær uddannelse), one_day_gap (Andet, Ordinær beskæftigelse),
    # group_change (Målgruppeskift): 4 spells of 3 persons.
    assert count(scenario, "afgang", "6.2", KOMMUNE, Y2020) == (4, 3)
    parts = {r: count(scenario, "afgang", f"6.2|{r}", KOMMUNE, Y2020)[0]
             for r in ("Ordinær uddannelse", "Ordinær beskæftigelse", "Andet", "Målgruppeskift", "Fleksjob")}
    assert parts == {"Ordinær uddannelse": 1, "Ordinær beskæftigelse": 1, "Andet": 1, "Målgruppeskift": 1,
                     "Fleksjob": 0}
    # contiguous is one afgang, with its last period's reason (not the first period's Andet).
    assert count(scenario, "afgang", "6.2", AFD22, Y2020) == (1, 1)
    assert count(scenario, "afgang", "6.2|Ordinær uddannelse", AFD22, Y2020) == (1, 1)
    assert count(scenario, "afgang", "6.2|Andet", AFD22, Y2020) == (0, 0)
    # one_day_gap: two afgange of one person.
    assert count(scenario, "afgang", "6.2", AFD30, Y2020) == (2, 1)
    assert count(scenario, "afgang", "6.2|Andet", AFD30, Y2020) == (1, 1)
    assert count(scenario, "afgang", "6.2|Ordinær beskæftigelse", AFD30, Y2020) == (1, 1)
    # group_change: afgang of 6.2 for Målgruppeskift; its open 6.3 spell has not ended.
    assert count(scenario, "afgang", "6.2|Målgruppeskift", AFD35, Y2020) == (1, 1)
    assert count(scenario, "afgang", "6.3", AFD35, Y2020) == (0, 0)
    # moves_in_on_start ends 2020-10-31 living in 24.
    assert count(scenario, "afgang", "6.4|Ordinær uddannelse", AFD24, Y2020) == (1, 1)
    # Open spells (history_start's 6.1) are no afgang.
    assert count(scenario, "afgang", "6.1", KOMMUNE, Y2020) == (0, 0)


def test_afgang_on_31_december_belongs_to_that_year(scenario):
    assert count(scenario, "afgang", "6.3|Selvforsørgende", AFD24, Y2019) == (1, 1)
    assert count(scenario, "afgang", "6.3", KOMMUNE, Y2019) == (1, 1)
    assert count(scenario, "afgang", "6.3", KOMMUNE, Y2020) == (0, 0)


def test_afgang_without_reason_is_andet(scenario):
    assert count(scenario, "afgang", "6.5", KOMMUNE, Y2019) == (1, 1)  # no_reason
    assert count(scenario, "afgang", "6.5|Andet", KOMMUNE, Y2019) == (1, 1)


def test_afgang_total_is_the_sum_of_its_parts_and_every_reason_has_a_row(scenario):
    rows = query(scenario / "warehouse.duckdb",
                 "SELECT variant, area_level, area_id, period_start, value FROM marts.ind_afgang")
    reasons = [r for (r,) in query(scenario / "warehouse.duckdb",
                                   "SELECT afslutningsaarsag FROM seeds.afslutningsaarsager")]
    assert len(reasons) == 10
    totals, sums, n_parts = {}, {}, {}
    for variant, level, area, start, value in rows:
        code, _, reason = variant.partition("|")
        key = (code, level, area, start)
        if reason:
            sums[key] = sums.get(key, 0) + value
            n_parts[key] = n_parts.get(key, 0) + 1
        else:
            totals[key] = value
    assert totals.keys() == sums.keys() and set(n_parts.values()) == {10}
    assert all(totals[k] == sums[k] for k in totals)
    assert sum(totals.values()) > 0  # a meaningful check


def test_andel_i_aktivering_ved_start_by_hand(scenario):
    # 2019 spells of 6.2-6.5: ends_31_dec (6.3), no_reason (6.5), activated_day_90 (6.2, yes),
    # activated_day_91 (6.2), mentor_only (6.3), tilbud_before_start (6.3),
    # activated_day_0 (6.5, yes): 2 of 7.
    value, num, den, pnum, pden = figure(scenario, "andel_i_aktivering_ved_start", "", KOMMUNE, Y2019)
    assert (num, den, pnum, pden) == (2, 7, 2, 7) and value == pytest.approx(100 * 2 / 7)
    assert figure(scenario, "andel_i_aktivering_ved_start", "6.2", KOMMUNE, Y2019) == (50.0, 1, 2, 1, 2)
    assert figure(scenario, "andel_i_aktivering_ved_start", "6.3", KOMMUNE, Y2019) == (0.0, 0, 3, 0, 3)
    assert figure(scenario, "andel_i_aktivering_ved_start", "6.4", KOMMUNE, Y2019) == (None, 0, 0, 0, 0)
    assert figure(scenario, "andel_i_aktivering_ved_start", "6.5", KOMMUNE, Y2019) == (50.0, 1, 2, 1, 2)
    # Afdeling 30: activated_day_90 (day 90 counts) and activated_day_91 (day 91 does not).
    assert figure(scenario, "andel_i_aktivering_ved_start", "", AFD30, Y2019) == (50.0, 1, 2, 1, 2)
    # 2020 due spells: starts_1_jan (6.3), contiguous (6.2), one_day_gap (6.2, 6.2),
    # group_change (6.2, 6.3), moves_in_on_start (6.4), moves_out_on_start (6.4),
    # due_on_extract_date (6.5, activated on day 90): 1 of 9 spells, of 7 persons.
    # not_yet_due (6.4 from 2020-12-31) is left out although activated.
    value, num, den, pnum, pden = figure(scenario, "andel_i_aktivering_ved_start", "", KOMMUNE, Y2020)
    assert (num, den, pnum, pden) == (1, 9, 1, 7) and value == pytest.approx(100 / 9)
    assert figure(scenario, "andel_i_aktivering_ved_start", "6.2", KOMMUNE, Y2020) == (0.0, 0, 4, 0, 3)
    assert figure(scenario, "andel_i_aktivering_ved_start", "6.4", KOMMUNE, Y2020) == (0.0, 0, 2, 0, 2)
    assert figure(scenario, "andel_i_aktivering_ved_start", "6.5", KOMMUNE, Y2020) == (100.0, 1, 1, 1, 1)
    # Area: where the person lives on the start day (moves_in_on_start in 24, not moves_out in 22).
    assert figure(scenario, "andel_i_aktivering_ved_start", "6.4", AFD24, Y2020)[1:3] == (0, 1)
    assert figure(scenario, "andel_i_aktivering_ved_start", "6.4", AFD22, Y2020)[1:3] == (0, 0)


def test_rettidighed_samtaler_by_hand(scenario):
    # Q2 2020: S-1 (on the Frist), S-2 (Frist and held on 30 June), S-6 (early), S-10: on time;
    # S-4 (a day late), S-5 (Aflyst), S-7 (no status), S-9 (Udeblevet): not. 4 of 8 meetings;
    # persons on time meet_a, meet_c, meet_d (3) of meet_a..meet_d (4).
    assert figure(scenario, "rettidighed_samtaler", "", KOMMUNE, Q2_2020) == (50.0, 4, 8, 3, 4)
    # Afdeling 22: meet_a's S-1, S-2 of S-1, S-2, S-4, S-5.
    assert figure(scenario, "rettidighed_samtaler", "", AFD22, Q2_2020) == (50.0, 2, 4, 1, 2)
    # meet_d moved into 24 on the Frist day.
    assert figure(scenario, "rettidighed_samtaler", "", AFD24, Q2_2020) == (100.0, 1, 1, 1, 1)
    # Q3 2020: S-3 (Frist 1 July, held 25 June) only.
    assert figure(scenario, "rettidighed_samtaler", "", KOMMUNE, Q3_2020) == (100.0, 1, 1, 1, 1)
    # A quarter without meetings is a share of nobody: no value, zero counts.
    assert figure(scenario, "rettidighed_samtaler", "", KOMMUNE, "2020-01-01") == (None, 0, 0, 0, 0)
    # S-8 (Frist 2021-03-15) is after the running first quarter's data_through (2021-02-28)
    assert figure(scenario, "rettidighed_samtaler", "", KOMMUNE, "2021-01-01") == (None, 0, 0, 0, 0)
    assert query(scenario / "warehouse.duckdb",
                 "SELECT max(period_end), max(data_through) FROM marts.indicator_results "
                 "WHERE indicator_id = 'rettidighed_samtaler'")[0] == (date(2021, 3, 31), date(2021, 2, 28))


def test_small_flows_are_withheld_where_published(scenario):
    rows = query(scenario / "warehouse.duckdb",
                 "SELECT variant, suppressed FROM marts.indicator_results_disclosed WHERE indicator_id = 'afgang' "
                 "AND area_level = 'kommune' AND period_start = ? AND variant LIKE '6.2%'", [Y2020])
    flags = dict(rows)
    assert flags["6.2"] and flags["6.2|Andet"]  # 3 and 1 persons
    assert not flags["6.2|Fleksjob"]  # a zero is published


def test_no_withheld_part_is_recovered_from_its_total(generated_run):
    """On the generated inbox: in every equation total = Σ parts of afgang (`<code>|<årsag>`)
    and of andel_i_aktivering_ved_start ('' = its four målgrupper, numerator and
    denominator), never exactly one member is withheld."""
    _, home = generated_run
    rows = query(home / "warehouse.duckdb",
                 "SELECT indicator_id, variant, area_level, area_id, period_start, suppressed "
                 "FROM marts.indicator_results_disclosed "
                 "WHERE indicator_id IN ('afgang', 'andel_i_aktivering_ved_start')")
    groups = {}
    codes = {r[0] for r in query(home / "warehouse.duckdb", "SELECT maalgruppe_code FROM seeds.maalgruppe_koder")}
    for indicator, variant, level, area, start, suppressed in rows:
        total = variant.split("|")[0] if indicator == "afgang" else ""
        if indicator == "afgang" and total not in codes:
            continue  # a plan's own variant (ind_plan_variants) is no part of a sum
        groups.setdefault((indicator, total, level, area, start), []).append(suppressed)
    assert len(groups) > 100
    assert all(sum(flags) != 1 for flags in groups.values())
    assert sum(sum(flags) for flags in groups.values()) > 0  # there is something withheld
