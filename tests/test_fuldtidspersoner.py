"""Hand-computed cases for fuldtidspersoner and aktiveringsgrad variant fuldtid
(docs/indicators.md): Σ over persons of days in the state within the period ÷ days in the period.

One small inbox holds every case as its own person; the pipeline runs once. Extract date
2022-01-15, so 2021 and its quarters and months are complete periods. 2021 has 365 days;
Q1 90, Q2 91, Q3 92, Q4 92; April, June and September 30 days."""
import pytest

from tests.conftest import query, run_pipeline
from tests.inbox_builder import d, write_momentum, write_opera, write_register

pytestmark = pytest.mark.slow  # every test here needs a pipeline run

KOMMUNE = "540"
PLAN = "soenderborg-beskaeftigelse-2021"
NOERAGER = "Nørager og Søstjernevej m.fl."  # afdelinger 22 and 35
AFD = {
    "22": ("Søstjernevej", "12A", "6400"),
    "22b": ("Søstjernevej", "14", "6400"),  # another entrance of 22
    "35": ("Nørager", "7", "6400"),
    "24": ("Stenbjergparken", "3", "6400"),
    "30": ("Hvedemarken", "41", "6400"),
}
ELSEWHERE = ("Perlegade", "50", "6400")  # in the kommune, in no afdeling

# name -> (cpr, address periods [(address, from, to)], målgruppe periods [(code, from, to)],
#          tilbud [(type, from, to)])
PERSONS = {
    # Half of April 2021 in 6.2, living in 22: 15/30 = 0,5. A tilbud from 10 to 30 April
    # covers only 10-15 April of the population days: 6 activated days.
    "half_month": ("010190-2001", [(AFD["22"], "2015-01-01", None)], [("6.2", "2021-04-01", "2021-04-15")],
                   [("Virksomhedspraktik", "2021-04-10", "2021-04-30")]),
    # 6.3 from February's first day to its last: February 1,0, January and March 0.
    "whole_february": ("020190-2002", [(AFD["22"], "2015-01-01", None)], [("6.3", "2021-02-01", "2021-02-28")], []),
    # 6.4 from 2021-01-01, moves into 24 on Q1's last day (2021-03-31).
    "moves_in_quarter_end": ("030190-2003", [(ELSEWHERE, "2015-01-01", "2021-03-30"), (AFD["24"], "2021-03-31", None)],
                             [("6.4", "2021-01-01", None)], []),
    # 6.5 from 2021-01-01, moves out of 30 on Q2's last day: last day in 30 is 2021-06-29.
    "moves_out_quarter_end": ("040190-2004", [(AFD["30"], "2015-01-01", "2021-06-29"), (ELSEWHERE, "2021-06-30", None)],
                              [("6.5", "2021-01-01", None)], []),
    # 6.2 all year in 35, one tilbud 2021-03-15 .. 2021-04-10: 17 days in Q1, 10 in Q2.
    "tilbud_two_quarters": ("050190-2005", [(AFD["35"], "2015-01-01", None)], [("6.2", "2021-01-01", None)],
                            [("Virksomhedspraktik", "2021-03-15", "2021-04-10")]),
    # 6.3 all year in 35, two activation tilbud overlapping on 11-20 May: May's 31 days count
    # once (not 20 + 21 = 41). Mentorstøtte in June is no activation.
    "overlapping_tilbud": ("060190-2006", [(AFD["35"], "2015-01-01", None)], [("6.3", "2021-01-01", None)],
                           [("Løntilskud privat", "2021-05-01", "2021-05-20"), ("Nytteindsats", "2021-05-11", "2021-05-31"),
                            ("Mentorstøtte", "2021-06-01", "2021-06-30")]),
    # 6.6 all 2021, living outside every afdeling: only the kommune counts them. A tilbud in
    # May is no activation of the population (6.6 is not ledige_omfattet).
    "lives_elsewhere": ("070190-2007", [(ELSEWHERE, "2015-01-01", None)], [("6.6", "2021-01-01", "2021-12-31")],
                        [("Virksomhedspraktik", "2021-05-01", "2021-05-31")]),
    # 6.10 from 2021-01-01; moves from 22 (entrance 14) to 35 on 2021-09-11: September
    # 10/30 in 22, 20/30 in 35, 1,0 in the boligområde, one person there.
    "moves_22_to_35": ("080190-2008", [(AFD["22b"], "2015-01-01", "2021-09-10"), (AFD["35"], "2021-09-11", None)],
                       [("6.10", "2021-01-01", None)], []),
    # Opera 2.2 (-> 6.2) from 2020-10-01, open; Momentum 6.1 from 2020-11-16 (see the Opera
    # extract below). Lives in 24.
    "opera_then_momentum": ("090190-2009", [(AFD["24"], "2015-01-01", None)], [("6.1", "2020-11-16", None)], []),
}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuldtid")
    inbox, home = root / "inbox", root / "home"
    addr, mg, tilbud = [], [], []
    for cpr, addresses, periods, offers in PERSONS.values():
        for (street, number, postcode), a, b in addresses:
            addr.append((cpr, street, number, "", "", postcode, "Sønderborg", KOMMUNE, d(a), d(b)))
        for code, a, b in periods:
            mg.append((cpr, code, "", d(a), d(b), "Andet" if b else ""))
        for i, (kind, a, b) in enumerate(offers):
            tilbud.append((cpr, f"T-{cpr[-4:]}-{i}", kind, d(a), d(b), "20,0", "", ""))
    write_momentum(inbox, "20220115", {
        "borger_adresse.csv": addr, "maalgruppe.csv": mg, "tilbud.csv": tilbud,
        # A file with a header and no rows breaks the contract: one meeting, irrelevant here.
        "samtale.csv": [(PERSONS["half_month"][0], "S-1", "Jobsamtale", d("2021-04-12"), d("2021-04-12"), "Afholdt")],
    })
    write_register(inbox)
    opera_cpr = PERSONS["opera_then_momentum"][0].replace("-", "")
    write_opera(inbox, "20201231", {
        # Open in Opera; Momentum wins from 2020-11-16, so Opera keeps 2020-10-01 .. 2020-11-15.
        "MATCHPERIODER.csv": [(opera_cpr, "2.2", "2020-10-01", "", "")],
        # Before the first Momentum day: an activation of the 6.2 population, 5-20 October (16 days).
        "AKTIVERING.csv": [(opera_cpr, "VP", "2020-10-05", "2020-10-20", "20")],
        "ADRESSER.csv": [(opera_cpr, "STENBJERGPARKEN", "3", "", "", "6400", "2015-01-01", "")],
    })
    assert run_pipeline(home, inbox, in_memory=True)  # no test reads Dagster's storage
    return home


def ftp(home, level, area, code, period_type, start):
    """(value, persons_numerator) of fuldtidspersoner in one cell."""
    rows = query(home / "warehouse.duckdb",
                 "SELECT value, persons_numerator FROM marts.ind_fuldtidspersoner WHERE variant = ? AND area_level = ? "
                 "AND area_id = ? AND period_type = ? AND period_start = ?", [code, level, area, period_type, start])
    assert len(rows) == 1, (level, area, code, period_type, start)
    return rows[0]


def grad(home, level, area, period_type, start):
    """(value, numerator, denominator, persons_numerator, persons_denominator) of aktiveringsgrad fuldtid."""
    rows = query(home / "warehouse.duckdb",
                 "SELECT value, numerator, denominator, persons_numerator, persons_denominator "
                 "FROM marts.ind_aktiveringsgrad WHERE variant = 'fuldtid' AND area_level = ? AND area_id = ? "
                 "AND period_type = ? AND period_start = ?", [level, area, period_type, start])
    assert len(rows) == 1, (level, area, period_type, start)
    return rows[0]


def test_half_a_month_counts_one_half(home):
    assert ftp(home, "afdeling", "22", "6.2", "month", "2021-04-01") == (0.5, 1)
    assert ftp(home, "afdeling", "22", "6.2", "quarter", "2021-04-01") == pytest.approx((15 / 91, 1))
    assert ftp(home, "afdeling", "22", "6.2", "year", "2021-01-01") == pytest.approx((15 / 365, 1))
    # Boligområde: 0,5 from 22 plus tilbud_two_quarters' whole April in 35.
    assert ftp(home, "boligomraade", NOERAGER, "6.2", "month", "2021-04-01") == (1.5, 2)


def test_period_boundaries_are_inclusive(home):
    assert ftp(home, "afdeling", "22", "6.3", "month", "2021-02-01") == (1.0, 1)
    assert ftp(home, "afdeling", "22", "6.3", "month", "2021-01-01") == (0.0, 0)
    assert ftp(home, "afdeling", "22", "6.3", "month", "2021-03-01") == (0.0, 0)
    assert ftp(home, "afdeling", "22", "6.3", "quarter", "2021-01-01") == pytest.approx((28 / 90, 1))


def test_moving_in_and_out_on_a_quarters_last_day(home):
    # Into 24 on 2021-03-31: one day of Q1 and of March, all of Q2.
    assert ftp(home, "afdeling", "24", "6.4", "month", "2021-03-01") == pytest.approx((1 / 31, 1))
    assert ftp(home, "afdeling", "24", "6.4", "quarter", "2021-01-01") == pytest.approx((1 / 90, 1))
    assert ftp(home, "afdeling", "24", "6.4", "quarter", "2021-04-01") == (1.0, 1)
    # Out of 30 on 2021-06-30 (last day there 06-29): April 1 .. June 29 = 30 + 31 + 29 = 90 days.
    assert ftp(home, "afdeling", "30", "6.5", "quarter", "2021-04-01") == pytest.approx((90 / 91, 1))
    assert ftp(home, "afdeling", "30", "6.5", "month", "2021-06-01") == pytest.approx((29 / 30, 1))
    assert ftp(home, "afdeling", "30", "6.5", "quarter", "2021-07-01") == (0.0, 0)
    # The kommune counts both the whole time, wherever they live.
    for code in ("6.4", "6.5"):
        for q in ("2021-01-01", "2021-04-01", "2021-07-01"):
            assert ftp(home, "kommune", KOMMUNE, code, "quarter", q) == (1.0, 1), (code, q)


def test_kommune_includes_people_living_elsewhere(home):
    assert ftp(home, "kommune", KOMMUNE, "6.6", "year", "2021-01-01") == (1.0, 1)
    for level, area in (("afdeling", "22"), ("boligomraade", NOERAGER), ("helhedsplan", PLAN)):
        assert ftp(home, level, area, "6.6", "year", "2021-01-01") == (0.0, 0)


def test_a_move_between_afdelinger_of_one_boligomraade(home):
    assert ftp(home, "afdeling", "22", "6.10", "month", "2021-09-01") == pytest.approx((10 / 30, 1))
    assert ftp(home, "afdeling", "35", "6.10", "month", "2021-09-01") == pytest.approx((20 / 30, 1))
    # Counted once in the boligområde and the helhedsplan: one person, one full month.
    assert ftp(home, "boligomraade", NOERAGER, "6.10", "month", "2021-09-01") == (1.0, 1)
    assert ftp(home, "helhedsplan", PLAN, "6.10", "month", "2021-09-01") == (1.0, 1)
    assert ftp(home, "helhedsplan", PLAN, "6.10", "year", "2021-01-01") == (1.0, 1)


def test_momentum_wins_over_opera_on_shared_days(home):
    # November 2020: Opera's 6.2 on 1-15, Momentum's 6.1 from the 16th: 15/30 each. Without
    # the cut, Opera's open 6.2 would count 1,0 in November and December too.
    assert ftp(home, "afdeling", "24", "6.2", "month", "2020-11-01") == (0.5, 1)
    assert ftp(home, "afdeling", "24", "6.1", "month", "2020-11-01") == (0.5, 1)
    assert ftp(home, "afdeling", "24", "6.2", "month", "2020-12-01") == (0.0, 0)
    assert ftp(home, "afdeling", "24", "6.1", "month", "2020-12-01") == (1.0, 1)
    # Q4 2020 (92 days): 6.2 on 1 October .. 15 November = 46 days, 6.1 the other 46.
    assert ftp(home, "afdeling", "24", "6.2", "quarter", "2020-10-01") == (0.5, 1)
    assert ftp(home, "afdeling", "24", "6.1", "quarter", "2020-10-01") == (0.5, 1)


def test_aktiveringsgrad_fuldtid_splits_a_tilbud_over_two_quarters(home):
    # Afdeling 35, population tilbud_two_quarters (6.2) and overlapping_tilbud (6.3), both
    # all year (moves_22_to_35 is 6.10: not in the population).
    # Q1 (90 days): 180 population days, 17 activated (15-31 March).
    assert grad(home, "afdeling", "35", "quarter", "2021-01-01") == pytest.approx((100 * 17 / 180, 17 / 90, 2.0, 1, 2))
    # Q2 (91 days): 182 days; 1-10 April (10) and all of May once (31) = 41.
    assert grad(home, "afdeling", "35", "quarter", "2021-04-01") == pytest.approx((100 * 41 / 182, 41 / 91, 2.0, 2, 2))


def test_aktiveringsgrad_fuldtid_counts_overlapping_tilbud_once(home):
    # May in 35: 62 population days, 31 activated (not 41); June's Mentorstøtte is not activation.
    assert grad(home, "afdeling", "35", "month", "2021-05-01") == pytest.approx((50.0, 1.0, 2.0, 1, 2))
    assert grad(home, "afdeling", "35", "month", "2021-06-01") == pytest.approx((0.0, 0.0, 2.0, 0, 2))


def test_aktiveringsgrad_fuldtid_only_days_in_the_population_count(home):
    # 22 in April: half_month is in the population on 1-15 April, the tilbud covers 10-30 April:
    # 6 of 15 days activated.
    assert grad(home, "afdeling", "22", "month", "2021-04-01") == pytest.approx((40.0, 6 / 30, 0.5, 1, 1))
    # Kommune, May: population moves_in_quarter_end, moves_out_quarter_end, tilbud_two_quarters,
    # overlapping_tilbud (4 × 31 days); activated only overlapping_tilbud's 31 days
    # (lives_elsewhere's tilbud is outside the population).
    assert grad(home, "kommune", KOMMUNE, "month", "2021-05-01") == pytest.approx((25.0, 1.0, 4.0, 1, 4))
    # Kommune, April: 4 × 30 + 15 = 135 days; activated 10 (tilbud_two_quarters) + 6 (half_month).
    assert grad(home, "kommune", KOMMUNE, "month", "2021-04-01") == pytest.approx((100 * 16 / 135, 16 / 30, 4.5, 2, 5))
    # Nobody in the population: value null, not 0.
    assert grad(home, "afdeling", "30", "quarter", "2021-07-01") == (None, 0.0, 0.0, 0, 0)


def test_aktiveringsgrad_fuldtid_counts_opera_activation_before_momentum(home):
    # October 2020 in 24: Opera 6.2 all month (31 days), Opera VP on 5-20 October (16 days).
    assert grad(home, "afdeling", "24", "month", "2020-10-01") == pytest.approx((100 * 16 / 31, 16 / 31, 1.0, 1, 1))


def test_aktiveringsgrad_ultimo_is_unchanged(home):
    # 2021-05-31 in 35: both in the population, overlapping_tilbud's Nytteindsats covers the day.
    rows = query(home / "warehouse.duckdb",
                 "SELECT value, numerator, denominator FROM marts.ind_aktiveringsgrad WHERE variant = 'ultimo' "
                 "AND area_level = 'afdeling' AND area_id = '35' AND period_type = 'day' AND period_end = '2021-05-31'")
    assert rows == [(50.0, 1.0, 2.0)]


def test_every_cell_of_the_grid_has_a_row(home):
    (periods, areas, codes, rows), = query(home / "warehouse.duckdb", """
        SELECT (SELECT count(*) FROM intermediate.int_generate_periods),
               (SELECT count(DISTINCT (area_level, area_id)) FROM intermediate.int_derive_area_grid),
               (SELECT count(*) FROM seeds.maalgruppe_koder),
               (SELECT count(*) FROM marts.ind_fuldtidspersoner)""")
    assert rows == periods * areas * codes


def area_identity_violations(home):
    """Cells where a helhedsplan is not the sum of its boligområder, or a boligområde not
    the sum of its afdelinger (fuldtidspersoner add up over areas; persons do not)."""
    return query(home / "warehouse.duckdb", """
        WITH f AS (SELECT * FROM marts.ind_fuldtidspersoner),
        g AS (SELECT * FROM intermediate.int_derive_area_grid),
        parts AS (
            SELECT 'boligomraade' AS level, g.boligomraade AS area, f.variant, f.period_type, f.period_start, f.value
            FROM f JOIN g ON g.area_level = 'afdeling' AND f.area_level = 'afdeling' AND f.area_id = g.area_id
            UNION ALL
            SELECT 'helhedsplan', g.plan_id, f.variant, f.period_type, f.period_start, f.value
            FROM f JOIN g ON g.area_level = 'helhedsplan' AND f.area_level = 'boligomraade' AND f.area_id = g.boligomraade
        )
        SELECT t.area_level, t.area_id, t.variant, t.period_type, t.period_start, t.value, sum(p.value)
        FROM f AS t JOIN parts AS p
            ON p.level = t.area_level AND p.area = t.area_id AND p.variant = t.variant
            AND p.period_type = t.period_type AND p.period_start = t.period_start
        GROUP BY ALL HAVING abs(t.value - sum(p.value)) > 1e-9""")


def period_identity_violations(home, indicator_sql, long_type):
    """Cells of `long_type` (quarter, year) whose days (value × period_days) differ from the
    sum over its months. Only periods whose months are all in the grid."""
    return query(home / "warehouse.duckdb", f"""
        WITH f AS ({indicator_sql}),
        p AS (SELECT * FROM intermediate.int_generate_periods),
        months AS (
            SELECT l.period_start AS long_start, f.variant, f.area_level, f.area_id,
                   sum(f.value * m.period_days) AS days, count(*) AS n_months
            FROM p AS l
            JOIN p AS m ON m.period_type = 'month' AND m.period_start BETWEEN l.period_start AND l.period_end
            JOIN f ON f.period_type = 'month' AND f.period_start = m.period_start
            WHERE l.period_type = '{long_type}'
            GROUP BY ALL
        )
        SELECT f.variant, f.area_level, f.area_id, f.period_start, f.value * l.period_days, m.days
        FROM f
        JOIN p AS l ON l.period_type = f.period_type AND l.period_start = f.period_start
        JOIN months AS m ON m.long_start = f.period_start AND m.variant = f.variant
            AND m.area_level = f.area_level AND m.area_id = f.area_id
        WHERE f.period_type = '{long_type}'
          AND m.n_months = CASE '{long_type}' WHEN 'year' THEN 12 ELSE 3 END
          AND abs(f.value * l.period_days - m.days) > 1e-9""")


FTP = "SELECT variant, area_level, area_id, period_type, period_start, value FROM marts.ind_fuldtidspersoner"
# aktiveringsgrad's numerator and denominator are fuldtidspersoner too.
GRAD_NUM = ("SELECT variant || ' numerator' AS variant, area_level, area_id, period_type, period_start, "
            "numerator AS value FROM marts.ind_aktiveringsgrad WHERE variant = 'fuldtid'")
GRAD_DEN = ("SELECT variant || ' denominator' AS variant, area_level, area_id, period_type, period_start, "
            "denominator AS value FROM marts.ind_aktiveringsgrad WHERE variant = 'fuldtid'")


def test_helhedsplan_is_the_sum_of_boligomraader_and_afdelinger(home):
    # By hand: September 2021, 6.10: 10/30 + 20/30 in the afdelinger, 1,0 in the boligområde.
    assert ftp(home, "boligomraade", NOERAGER, "6.10", "month", "2021-09-01")[0] == pytest.approx(
        ftp(home, "afdeling", "22", "6.10", "month", "2021-09-01")[0]
        + ftp(home, "afdeling", "35", "6.10", "month", "2021-09-01")[0])
    assert area_identity_violations(home) == []


def test_year_and_quarter_are_their_months_weighted_by_days(home):
    for sql in (FTP, GRAD_NUM, GRAD_DEN):
        assert period_identity_violations(home, sql, "quarter") == []
    assert period_identity_violations(home, FTP, "year") == []
    # By hand, 6.5 in the kommune in 2021: the whole year (1,0); in 30: 1 Jan .. 29 June = 180 days.
    assert ftp(home, "kommune", KOMMUNE, "6.5", "year", "2021-01-01") == (1.0, 1)
    assert ftp(home, "afdeling", "30", "6.5", "year", "2021-01-01") == pytest.approx((180 / 365, 1))


def test_published_with_unit_and_suppression(home):
    rows = query(home / "warehouse.duckdb", """
        SELECT unit, suppressed, value FROM marts.indicator_results_disclosed
        WHERE indicator_id = 'fuldtidspersoner' AND variant = '6.6' AND area_level = 'kommune'
          AND period_type = 'year' AND period_start = '2021-01-01'""")
    assert rows == [("fuldtidspersoner", True, 1.0)]  # one person behind it: withheld


# The same identities on a generated inbox (4 000 persons, shared with test_end_to_end).

def test_generated_identities(generated_run):
    _, home = generated_run
    for sql in (FTP, GRAD_NUM, GRAD_DEN):
        assert period_identity_violations(home, sql, "quarter") == []
    assert period_identity_violations(home, FTP, "year") == []
    assert area_identity_violations(home) == []
    # The population of aktiveringsgrad fuldtid is the ledige_omfattet målgrupper's fuldtidspersoner.
    diff = query(home / "warehouse.duckdb", """
        SELECT a.area_level, a.area_id, a.period_type, a.period_start, a.denominator, sum(f.value)
        FROM marts.ind_aktiveringsgrad AS a
        JOIN marts.ind_fuldtidspersoner AS f USING (area_level, area_id, period_type, period_start)
        JOIN seeds.maalgruppe_koder AS k ON k.maalgruppe_code = f.variant AND k.i_ledige_omfattet
        WHERE a.variant = 'fuldtid'
        GROUP BY ALL HAVING abs(a.denominator - sum(f.value)) > 1e-9""")
    assert diff == []
    (years, total), = query(home / "warehouse.duckdb",
                            "SELECT count(DISTINCT period_start), sum(value) FROM marts.ind_fuldtidspersoner "
                            "WHERE period_type = 'year' AND area_level = 'afdeling'")
    assert years >= 5 and total > 100  # a meaningful case
