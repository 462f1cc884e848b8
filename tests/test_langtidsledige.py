"""Hand-computed cases for langtidsledige (docs/indicators.md): in 6.1 or 6.2 on D and on at
least 292 (80 % of 365) of the 365 days ending on D; counted at month ends and as
helårspersoner per year (complete, or so far: the running year).

One small inbox holds every case as its own person; the pipeline runs once. A last test
checks int_derive_langtidsledig_periods day by day against a brute-force computation on
the generated inbox."""
from datetime import date

import pytest

from tests.conftest import person_key, query, run_pipeline
from tests.inbox_builder import d, write_momentum, write_register

pytestmark = pytest.mark.slow  # every test here needs a pipeline run

SOES = ("Søstjernevej", "12A", "6400")  # afdeling 22, boligområde Nørager og Søstjernevej m.fl.
NOERAGER = ("Nørager", "7", "6400")  # afdeling 35, same boligområde
STENBJERG = ("Stenbjergparken", "3", "6400")  # afdeling 24
HVEDE = ("Hvedemarken", "41", "6400")  # afdeling 30
ELSEWHERE = ("Perlegade", "50", "6400")  # in the kommune, in no afdeling
BOLIGOMRAADE = "Nørager og Søstjernevej m.fl."
PLAN = "soenderborg-beskaeftigelse-2021"
KOMMUNE = "540"
NOV, DEC, JAN = "2021-11-30", "2021-12-31", "2022-01-31"

# The window of D = 2021-12-31 is exactly the year 2021 (365 days).
# name -> (cpr, address periods [(street, number, postcode, from, to)], målgruppe periods [(code, from, to, årsag)])
PERSONS = {
    # 2021-03-15 .. 2021-12-31 = 292 days: langtidsledig from 2021-12-31.
    "exactly_292": ("010170-2001", [(*SOES, "2015-01-01", None)], [("6.1", "2021-03-15", None, None)]),
    # One day later: 291 days on 2021-12-31, not counted; 292 on 2022-01-01.
    "only_291": ("020170-2002", [(*SOES, "2015-01-01", None)], [("6.1", "2021-03-16", None, None)]),
    # 6.1 -> 6.2 without a gap is one island from 2021-01-01: langtidsledig from
    # 2021-01-01 + 291 days = 2021-10-19 (2021: 74 days to 31 December).
    "switch_6_1_to_6_2": ("030170-2003", [(*SOES, "2015-01-01", None)],
                          [("6.1", "2021-01-01", "2021-06-30", "Målgruppeskift"), ("6.2", "2021-07-01", None, None)]),
    # 100 days of 6.1 (2020-09-22 .. 2020-12-30), a gap of 74 days, 6.2 from 2021-03-15.
    # While the window holds all 100 days (D <= 2021-09-21), f(D) = 100 + (D - 2021-03-15 + 1):
    # 291 on 2021-09-21. From 2021-09-22 each day adds a 6.2 day and drops a 6.1 day, so
    # f stays 291 (2021-11-30: 30 + 261) until the last 6.1 day has left the window
    # (2021-12-30); on 2021-12-31 the dropped day lies in the gap: f = 292. So 291 covered
    # days for a hundred days do not count; langtidsledig from 2021-12-31. (Taking the
    # first day of each flat run as a breakpoint would give 2021-09-23.)
    "plateau_291": ("040170-2004", [(*SOES, "2015-01-01", None)],
                    [("6.1", "2020-09-22", "2020-12-30", "Andet"), ("6.2", "2021-03-15", None, None)]),
    # 6.2 2021-01-01 .. 2021-05-31 (151 days), a 10-day gap, 6.2 from 2021-06-11: on
    # 2021-12-31 the window holds 365 - 10 = 355 covered days. The first island (151 days)
    # never qualifies; in the second f(d) = 151 + (d - 2021-06-11 + 1) reaches 292 on
    # 2021-06-11 + 140 = 2021-10-29 (2021: 64 days).
    "gap_of_ten_days": ("050170-2005", [(*NOERAGER, "2015-01-01", None)],
                        [("6.2", "2021-01-01", "2021-05-31", "Andet"), ("6.2", "2021-06-11", None, None)]),
    # 6.1 2020-01-01 .. 2021-12-30, then 6.3: langtidsledig 2020-10-18 (2020-01-01 + 291)
    # .. 2021-12-30; on 2021-12-31 not in 6.1/6.2, so not counted despite 364 days before.
    # 2020: 75 days (Oct 18 .. Dec 31); 2021: 364 days.
    "no_longer_6_1": ("060170-2006", [(*NOERAGER, "2015-01-01", None)],
                      [("6.1", "2020-01-01", "2021-12-30", "Målgruppeskift"), ("6.3", "2021-12-31", None, None)]),
    # 6.1 2020-09-13 .. 2021-12-31: langtidsledig from 2020-09-13 + 291 = 2021-07-01 to
    # 2021-12-31 = 184 days: 184/365 helårspersoner in 2021.
    "half_year": ("070170-2007", [(*STENBJERG, "2015-01-01", None)],
                  [("6.1", "2020-09-13", "2021-12-31", "Ordinær beskæftigelse")]),
    # 6.2 from 2019-01-01: langtidsledig from 2019-10-19 on (2019: 74 days, 2020: 366, 2021:
    # 365); lives outside the areas until 2021-09-30, in afdeling 30 from 2021-10-01
    # (2021: 92 days there).
    "moves_in": ("080170-2008", [(*ELSEWHERE, "2015-01-01", "2021-09-30"), (*HVEDE, "2021-10-01", None)],
                 [("6.2", "2019-01-01", None, None)]),
}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    root = tmp_path_factory.mktemp("langtid")
    inbox, home = root / "inbox", root / "home"
    addr, mg = [], []
    for cpr, addresses, periods in PERSONS.values():
        for street, number, postcode, a, b in addresses:
            addr.append((cpr, street, number, "", "", postcode, "Sønderborg", KOMMUNE, d(a), d(b)))
        for code, a, b, why in periods:
            mg.append((cpr, code, "", d(a), d(b), why))
    write_momentum(inbox, "20220301", {
        "borger_adresse.csv": addr,
        "maalgruppe.csv": mg,
        # A Momentum extract needs rows in every file; these play no part here.
        "tilbud.csv": [("010170-2001", "T-1", "Virksomhedspraktik", d("2021-06-01"), d("2021-06-30"), "15,0", "", "")],
        "samtale.csv": [("010170-2001", "S-1", "Jobsamtale", d("2021-06-15"), d("2021-06-14"), "Afholdt")],
    })
    write_register(inbox)
    assert run_pipeline(home, inbox, in_memory=True)  # no test reads Dagster's storage
    return home


def periods(home, name):
    rows = query(home / "warehouse.duckdb",
                 "SELECT langtidsledig_fra, langtidsledig_til FROM intermediate.int_derive_langtidsledig_periods "
                 "WHERE person_key = ? ORDER BY 1", [person_key(PERSONS[name][0])])
    return [(str(a), str(b) if b else None) for a, b in rows]


def figure(home, level, area, period_type, period_end):
    rows = query(home / "warehouse.duckdb",
                 "SELECT value, persons_numerator FROM marts.ind_langtidsledige WHERE area_level = ? AND area_id = ? "
                 "AND period_type = ? AND period_end = ?", [level, area, period_type, period_end])
    assert len(rows) == 1, rows
    return rows[0]


def test_exactly_292_days_count_and_291_do_not(scenario):
    assert periods(scenario, "exactly_292") == [("2021-12-31", None)]
    assert periods(scenario, "only_291") == [("2022-01-01", None)]


def test_a_switch_from_6_1_to_6_2_is_continuous(scenario):
    assert periods(scenario, "switch_6_1_to_6_2") == [("2021-10-19", None)]


def test_a_gap_inside_the_window_still_counts_when_292_are_covered(scenario):
    assert periods(scenario, "gap_of_ten_days") == [("2021-10-29", None)]


def test_291_days_on_a_plateau_do_not_count(scenario):
    assert periods(scenario, "plateau_291") == [("2021-12-31", None)]


def test_not_in_6_1_or_6_2_on_the_day_does_not_count(scenario):
    assert periods(scenario, "no_longer_6_1") == [("2020-10-18", "2021-12-30")]


def test_other_periods(scenario):
    assert periods(scenario, "half_year") == [("2021-07-01", "2021-12-31")]
    assert periods(scenario, "moves_in") == [("2019-10-19", None)]


def test_month_end_counts_by_hand(scenario):
    # 2021-12-31: afdeling 22 exactly_292, switch, plateau (not only_291); 35 gap_of_ten_days
    # (not no_longer_6_1, in 6.3); 24 half_year (last day); 30 moves_in.
    assert figure(scenario, "afdeling", "22", "day", DEC) == (3, 3)
    assert figure(scenario, "afdeling", "35", "day", DEC) == (1, 1)
    assert figure(scenario, "afdeling", "24", "day", DEC) == (1, 1)
    assert figure(scenario, "afdeling", "30", "day", DEC) == (1, 1)
    assert figure(scenario, "boligomraade", BOLIGOMRAADE, "day", DEC) == (4, 4)
    assert figure(scenario, "helhedsplan", PLAN, "day", DEC) == (6, 6)
    assert figure(scenario, "kommune", KOMMUNE, "day", DEC) == (6, 6)
    # 2021-11-30: 22 only switch (plateau has 291); 35 gap_of_ten_days and no_longer_6_1.
    assert figure(scenario, "afdeling", "22", "day", NOV) == (1, 1)
    assert figure(scenario, "afdeling", "35", "day", NOV) == (2, 2)
    assert figure(scenario, "kommune", KOMMUNE, "day", NOV) == (5, 5)
    # 2021-09-30: nobody in 22 (plateau still 291); moves_in lives outside the areas:
    # kommune = moves_in, no_longer_6_1, half_year.
    assert figure(scenario, "afdeling", "22", "day", "2021-09-30") == (0, 0)
    assert figure(scenario, "afdeling", "30", "day", "2021-09-30") == (0, 0)
    assert figure(scenario, "kommune", KOMMUNE, "day", "2021-09-30") == (3, 3)
    # 2022-01-31: only_291 has joined 22; half_year has ended.
    assert figure(scenario, "afdeling", "22", "day", JAN) == (4, 4)
    assert figure(scenario, "afdeling", "24", "day", JAN) == (0, 0)
    assert figure(scenario, "kommune", KOMMUNE, "day", JAN) == (6, 6)


def test_the_running_year_divides_by_the_days_so_far(scenario):
    # 2022 so far: 2022-01-01 .. 2022-02-28 (59 days; the extract is dated 2022-03-01). In 22
    # exactly_292, only_291 (from 2022-01-01), switch and plateau are langtidsledige every day:
    # 4 × 59 / 59; in 30 moves_in; in 24 nobody (half_year ended 2021-12-31); the kommune adds
    # gap_of_ten_days. Divided by the 365 days of the calendar year it would be 0,65.
    assert figure(scenario, "afdeling", "22", "year", "2022-02-28") == (pytest.approx(4.0), 4)
    assert figure(scenario, "afdeling", "30", "year", "2022-02-28") == (pytest.approx(1.0), 1)
    assert figure(scenario, "afdeling", "24", "year", "2022-02-28") == (0, 0)
    assert figure(scenario, "kommune", KOMMUNE, "year", "2022-02-28") == (pytest.approx(6.0), 6)
    # published under the calendar year's key, marked running, with the day it goes to
    assert query(scenario / "warehouse.duckdb",
                 "SELECT period_end, period_complete, data_through FROM marts.indicator_results "
                 "WHERE indicator_id = 'langtidsledige' AND period_type = 'year' AND area_level = 'afdeling' "
                 "AND area_id = '22' AND period_start = '2022-01-01'") == [(date(2022, 12, 31), False, date(2022, 2, 28))]


def test_half_a_year_is_184_of_365_helaarspersoner(scenario):
    value, persons = figure(scenario, "afdeling", "24", "year", DEC)
    assert (value, persons) == (pytest.approx(184 / 365), 1)


def test_year_helaarspersoner_by_hand(scenario):
    def year(level, area, end):
        return figure(scenario, level, area, "year", end)

    # 2021, days langtidsledig and living in the area: 22: exactly_292 1 + switch 74 +
    # plateau 1; 35: gap_of_ten_days 64 + no_longer_6_1 364; 24: half_year 184; 30:
    # moves_in 92 (from 2021-10-01); kommune: those plus moves_in's 273 days elsewhere.
    assert year("afdeling", "22", DEC) == (pytest.approx(76 / 365), 3)
    assert year("afdeling", "35", DEC) == (pytest.approx(428 / 365), 2)
    assert year("afdeling", "30", DEC) == (pytest.approx(92 / 365), 1)
    assert year("boligomraade", BOLIGOMRAADE, DEC) == (pytest.approx(504 / 365), 5)
    assert year("helhedsplan", PLAN, DEC) == (pytest.approx(780 / 365), 7)
    assert year("kommune", KOMMUNE, DEC) == (pytest.approx(1053 / 365), 7)
    # 2020 (366 days): no_longer_6_1 75 days in 35; moves_in 366 days outside the areas.
    assert year("afdeling", "35", "2020-12-31") == (pytest.approx(75 / 366), 1)
    assert year("helhedsplan", PLAN, "2020-12-31") == (pytest.approx(75 / 366), 1)
    assert year("kommune", KOMMUNE, "2020-12-31") == (pytest.approx(441 / 366), 2)
    # 2019: moves_in from 2019-10-19 (74 days); an area without anyone is a zero row.
    assert year("kommune", KOMMUNE, "2019-12-31") == (pytest.approx(74 / 365), 1)
    assert year("afdeling", "30", "2019-12-31") == (0, 0)


def test_units_in_indicator_results(scenario):
    rows = query(scenario / "warehouse.duckdb",
                 "SELECT period_type, unit, count(*) FROM marts.indicator_results "
                 "WHERE indicator_id = 'langtidsledige' GROUP BY ALL ORDER BY 1")
    # Month ends 2019-01 .. 2022-02 (38), complete years 2019-2021 (3) and 2022 so far (to
    # 28.02.2022), 4 afdelinger + 3 boligområder + 1 plan + 1 kommune = 9 areas.
    assert rows == [("day", "persons", 38 * 9), ("year", "fuldtidspersoner", 4 * 9)]


# Brute force: every covered day of 6.1/6.2 expanded, f(d) by a 365-day window count.
# The horizon reaches 400 days past the extract so that open periods are compared too.
BRUTE_FORCE = """
with h as (select max(extract_date) + 400 as horizon from staging.stg_momentum__maalgruppe),
covered as (
    select distinct p.person_key, cast(t.d as date) as day
    from intermediate.int_combine_maalgruppe_periods as p, h,
         unnest(generate_series(p.start_date, least(coalesce(p.end_date, h.horizon), h.horizon), interval 1 day)) as t(d)
    where p.maalgruppe_code in ('6.1', '6.2') and p.start_date <= h.horizon
),
f as (
    select person_key, day,
           count(*) over (partition by person_key order by day
                          range between interval 364 days preceding and current row) as f_365,
           count(*) over (partition by person_key order by day
                          range between interval 291 days preceding and current row) as f_292
    from covered
),
brute as (select person_key, day, f_292 from f where f_365 >= 292),
model as (
    select l.person_key, cast(t.d as date) as day
    from intermediate.int_derive_langtidsledig_periods as l, h,
         unnest(generate_series(l.langtidsledig_fra, least(coalesce(l.langtidsledig_til, h.horizon), h.horizon),
                                interval 1 day)) as t(d)
    where l.langtidsledig_fra <= h.horizon
)
select
    (select count(*) from brute),
    (select count(distinct person_key) from brute),
    (select count(*) from brute where f_292 < 292),
    (select count(*) from (select person_key, day from brute except select person_key, day from model)),
    (select count(*) from (select person_key, day from model except select person_key, day from brute))
"""


def test_periods_equal_a_day_by_day_brute_force(generated_run):
    _, home = generated_run
    [(days, persons, days_with_gaps, missing, extra)] = query(home / "warehouse.duckdb", BRUTE_FORCE)
    assert days > 100_000 and persons > 500  # the generated inbox has plenty of langtidsledige
    assert days_with_gaps > 0  # days that need earlier islands (gaps in the window) are compared too
    assert (missing, extra) == (0, 0)
