"""Hand-computed cases for the project indicators (docs/indicators.md): deltagere,
afslutningsstatus, selvforsoergende_efter, i_uddannelse_efter and maalgruppe_ved_start.

Two rosters of the Sønderborg delaftale's activities (one .csv, one .xlsx), a Momentum
extract of 15 March 2022 and an Opera extract for the history; every case is its own
person; the pipeline runs once. All figures are read at area_level 'helhedsplan', area_id
= the plan listing the activity."""
import pytest

from tests.conftest import person_key, query, run_pipeline
from tests.inbox_builder import d, write_momentum, write_opera, write_register, write_roster

pytestmark = pytest.mark.slow  # every test here needs a pipeline run

PLAN = "soenderborg-beskaeftigelse-2021"
A = "praktikpladser-til-udsatte-ledige"  # roster .csv
B = "beskaeftigelsesfremmende-forloeb"  # roster .xlsx
EXTRACT = "20220315"  # extract date 2022-03-15: the day a follow-up is due at the latest

BESK, UNDER, UDD, VIRK, LEDIG, ANDET = ("Beskæftigelse over 18,5 timer", "Ordinære timer under 18,5", "Uddannelse",
                                        "Virksomhedsforløb", "Fortsat ledig", "Andet")

# name -> (cpr, Momentum målgruppe periods [(code, from, to, Afslutningsårsag)])
PERSONS = {
    "spans_month_edge": ("010190-2001", [("6.3", "2020-01-01", None, None)]),
    "ends_on_period_start": ("020190-2002", [("6.2", "2020-06-01", None, None)]),
    "starts_on_period_end": ("030190-2003", [("6.3", "2020-01-01", None, None)]),
    # On support again exactly on slutdato + 3 months (2021-06-30 + 3 = 2021-09-30) ...
    "support_on_the_day": ("040190-2004", [("6.2", "2021-09-30", None, None)]),
    # ... and off support from that day: the period ended the day before.
    "support_ended_day_before": ("050190-2005", [("6.2", "2021-01-01", "2021-09-29", "Selvforsørgende")]),
    # slutdato 2021-05-15; the spell closes with Ordinær uddannelse on 2021-08-15 (+3 months) ...
    "education_on_the_day": ("060190-2006", [("6.4", "2021-01-01", "2021-08-15", "Ordinær uddannelse")]),
    # ... one day later ...
    "education_day_after": ("070190-2007", [("6.4", "2021-01-01", "2021-08-16", "Ordinær uddannelse")]),
    # ... and the day before slutdato (outside [slutdato, slutdato + N]).
    "education_before_end": ("080190-2008", [("6.4", "2021-01-01", "2021-05-14", "Ordinær uddannelse")]),
    # slutdato 2021-12-15: + 3 months = 2022-03-15 = the extract date: due. No jobcenter record.
    "due_on_extract_date": ("090190-2009", []),
    # slutdato 2021-12-16: + 3 months = 2022-03-16: not due yet. No jobcenter record.
    "not_yet_due": ("100190-2010", []),
    # Enrolled twice in 2021, in 6.3 at the first start and 6.2 at the second.
    "enrolled_twice": ("110190-2011", [("6.3", "2020-01-01", "2021-05-31", "Målgruppeskift"),
                                       ("6.2", "2021-06-01", None, None)]),
    # No jobcenter record at all; ended without a status in the roster.
    "no_record": ("120190-2012", []),
    # Enrolled in 2019 while in Opera's 2.2 (-> 6.2); no Momentum record.
    "opera_history": ("130190-2013", []),
    # A planned slutdato after the extract date.
    "planned_end": ("140190-2014", []),
    # Activity B: ended twice in 2021 with different statuses.
    "ended_twice": ("150190-2015", []),
    **{f"b_group_{i}": (f"{16 + i:02d}0190-20{16 + i}", []) for i in range(6)},
    # Starts 05.03.2022: before the extract date, after data_through (28.02.2022) of the running
    # quarter and year: counted in no period yet. No jobcenter record.
    "starts_after_data_through": ("220190-2022", []),
}

# (activity, person, startdato, slutdato, Status ved afslutning)
ENROLMENTS = [
    (A, "spans_month_edge", "2021-03-20", "2021-04-10", VIRK),
    (A, "ends_on_period_start", "2021-02-01", "2021-04-01", LEDIG),
    (A, "starts_on_period_end", "2021-06-30", None, None),
    (A, "support_on_the_day", "2021-04-01", "2021-06-30", ANDET),
    (A, "support_ended_day_before", "2021-04-01", "2021-06-30", ANDET),
    (A, "education_on_the_day", "2021-02-15", "2021-05-15", UDD),
    (A, "education_day_after", "2021-02-15", "2021-05-15", UDD),
    (A, "education_before_end", "2021-02-15", "2021-05-15", UDD),
    (A, "due_on_extract_date", "2021-10-01", "2021-12-15", BESK),
    (A, "not_yet_due", "2021-10-01", "2021-12-16", BESK),
    (A, "enrolled_twice", "2021-02-01", "2021-03-31", LEDIG),
    (A, "enrolled_twice", "2021-09-01", None, None),
    (A, "no_record", "2021-01-10", "2021-02-10", None),
    (A, "opera_history", "2019-03-01", "2019-06-30", LEDIG),
    (A, "planned_end", "2022-01-10", "2022-05-31", None),
    (A, "starts_after_data_through", "2022-03-05", None, None),
    (B, "ended_twice", "2021-01-04", "2021-02-26", LEDIG),
    (B, "ended_twice", "2021-04-01", "2021-06-30", UDD),
    *[(B, f"b_group_{i}", "2021-01-04", "2021-03-26", BESK) for i in range(6)],
]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    inbox, home = root / "inbox", root / "home"
    addr, mg = [], []
    for cpr, periods in PERSONS.values():
        if periods:
            addr.append((cpr, "Perlegade", "50", "", "", "6400", "Sønderborg", "540", d("2015-01-01"), ""))
        for code, a, b, why in periods:
            mg.append((cpr, code, "", d(a), d(b), why))
    first = PERSONS["spans_month_edge"][0]
    write_momentum(inbox, EXTRACT, {
        "borger_adresse.csv": addr,
        "maalgruppe.csv": mg,
        "tilbud.csv": [(first, "T-1", "Virksomhedspraktik", d("2021-01-04"), "", "15,0", "", "")],
        "samtale.csv": [(first, "S-1", "Jobsamtale", d("2021-01-15"), d("2021-01-12"), "Afholdt")],
    })
    write_opera(inbox, "20191231", {
        "MATCHPERIODER.csv": [(PERSONS["opera_history"][0].replace("-", ""), "2.2", "2018-01-01", "2019-12-31", "")],
        "ADRESSER.csv": [(PERSONS["opera_history"][0].replace("-", ""), "PERLEGADE", "50", "", "", "6400",
                          "2015-01-01", "")],
        # An Opera file may not be empty; an offer changes nothing here.
        "AKTIVERING.csv": [(PERSONS["opera_history"][0].replace("-", ""), "VP", "2019-02-01", "2019-02-28", "20")],
    })
    write_register(inbox)
    for activity, kind in ((A, "csv"), (B, "xlsx")):
        write_roster(inbox, activity, [(PERSONS[name][0], a, b, status)
                                       for act, name, a, b, status in ENROLMENTS if act == activity], kind)
    assert run_pipeline(home, inbox, in_memory=True)  # no test reads Dagster's storage
    return home


def figure(home, indicator, variant, period_type, period_start):
    """(value, numerator, denominator, persons_numerator, persons_denominator) of one figure."""
    rows = query(home / "warehouse.duckdb",
                 "SELECT value, numerator, denominator, persons_numerator, persons_denominator "
                 "FROM marts.indicator_results WHERE indicator_id = ? AND variant = ? AND area_level = 'helhedsplan' "
                 "AND area_id = ? AND period_type = ? AND period_start = ?",
                 [indicator, variant, PLAN, period_type, period_start])
    assert len(rows) == 1, (indicator, variant, period_type, period_start, rows)
    return rows[0]


def value(home, indicator, variant, period_type="year", period_start="2021-01-01"):
    v = figure(home, indicator, variant, period_type, period_start)[0]
    return None if v is None else round(v, 4)


def followups(home, name, activity=A, year=2021):
    """{N: (is_due, is_on_support, is_into_education)} of one person's exit in a year."""
    rows = query(home / "warehouse.duckdb",
                 "SELECT months_after, is_due, is_on_support, is_into_education "
                 "FROM intermediate.int_derive_exit_followups "
                 "WHERE plan_id = ? AND activity_id = ? AND exit_year = ? AND person_key = ?",
                 [PLAN, activity, year, person_key(PERSONS[name][0])])
    return {n: tuple(r) for n, *r in rows}


# ---------------------------------------------------------------- deltagere

def test_deltagere_counts_every_enrolment_overlapping_the_period(home):
    months = {m: value(home, "deltagere", A, "month", m) for m in (
        "2021-01-01", "2021-02-01", "2021-03-01", "2021-04-01", "2021-05-01", "2021-06-01",
        "2021-07-01", "2021-09-01", "2021-10-01", "2022-01-01", "2022-02-01")}
    assert months == {
        "2021-01-01": 1,  # no_record (10.01-10.02)
        # + ends_on_period_start, enrolled_twice (from 01.02), the three education cases (from 15.02)
        "2021-02-01": 6,
        # no_record gone (10.02); spans_month_edge in from 20.03
        "2021-03-01": 6,
        # ends_on_period_start ends 01.04 = the month's first day: still counts; enrolled_twice
        # out (31.03); support_on_the_day, support_ended_day_before in (01.04)
        "2021-04-01": 7,
        "2021-05-01": 5,  # the three education cases (to 15.05), the two support cases
        "2021-06-01": 3,  # the two support cases (to 30.06); starts_on_period_end on 30.06 = the month's last day
        "2021-07-01": 1,  # starts_on_period_end
        "2021-09-01": 2,  # + enrolled_twice again from 01.09
        "2021-10-01": 4,  # + due_on_extract_date, not_yet_due
        "2022-01-01": 3,  # starts_on_period_end, enrolled_twice, planned_end (from 10.01)
        "2022-02-01": 3,
    }
    assert value(home, "deltagere", A, "quarter", "2021-01-01") == 7
    assert value(home, "deltagere", A, "quarter", "2021-04-01") == 8
    # 2021: the 12 people of A but opera_history and planned_end; enrolled_twice once.
    assert value(home, "deltagere", A) == 12
    assert value(home, "deltagere", A, "year", "2019-01-01") == 1  # opera_history
    assert value(home, "deltagere", A, "year", "2020-01-01") == 0  # a published zero
    assert value(home, "deltagere", B) == 7
    assert value(home, "deltagere", B, "month", "2021-03-01") == 6  # ended_twice out on 26.02


def test_deltagere_periods_start_with_the_activity_and_end_with_the_running_one(home):
    wh = home / "warehouse.duckdb"
    rows = query(wh, "SELECT period_type, min(period_start), max(period_start), max(period_end), "
                     "bool_and(period_complete) FILTER (WHERE period_start < max_start), "
                     "any_value(period_complete) FILTER (WHERE period_start = max_start), "
                     "max(data_through) FROM (SELECT *, max(period_start) OVER (PARTITION BY period_type) AS max_start "
                     "FROM marts.indicator_results WHERE indicator_id = 'deltagere' AND variant = ?) "
                     "GROUP BY 1 ORDER BY 1", [A])
    assert [(t, str(a), str(b), str(c), e, f, str(x)) for t, a, b, c, e, f, x in rows] == [
        # first start 01.03.2019; March 2022 has not ended on the extract date (15.03.2022) nor on
        # data_through (28.02.2022): no running month
        ("month", "2019-03-01", "2022-02-01", "2022-02-28", True, True, "2022-02-28"),
        # the first quarter and 2022 run, so far up to 28.02.2022, under their calendar end
        ("quarter", "2019-01-01", "2022-01-01", "2022-03-31", True, False, "2022-02-28"),
        ("year", "2019-01-01", "2022-01-01", "2022-12-31", True, False, "2022-02-28"),
    ]
    # so far in 2022: starts_on_period_end, enrolled_twice, planned_end (from 10.01.2022);
    # starts_after_data_through (05.03.2022) not yet
    assert value(home, "deltagere", A, "year", "2022-01-01") == 3
    assert value(home, "deltagere", A, "quarter", "2022-01-01") == 3
    assert value(home, "maalgruppe_ved_start", A, "year", "2022-01-01") == 1  # planned_end only
    assert value(home, "maalgruppe_ved_start", f"{A}|ingen", "year", "2022-01-01") == 1
    assert query(wh, "SELECT DISTINCT area_level, area_id FROM marts.ind_deltagere") == [("helhedsplan", PLAN)]


# ---------------------------------------------------------------- afslutningsstatus

def test_afslutningsstatus_shares_add_up_to_100(home):
    # A, 2021: 11 persons ended (everyone enrolled in 2021 but starts_on_period_end); each
    # with the latest exit of the year; no_record ended without a status: 'uoplyst'.
    shares = {s: value(home, "afslutningsstatus", f"{A}|{s}") for s in (BESK, UNDER, UDD, VIRK, LEDIG, ANDET, "uoplyst")}
    assert shares == {
        BESK: round(100 * 2 / 11, 4),  # due_on_extract_date, not_yet_due
        UNDER: 0.0,
        UDD: round(100 * 3 / 11, 4),  # the three education cases
        VIRK: round(100 * 1 / 11, 4),  # spans_month_edge
        LEDIG: round(100 * 2 / 11, 4),  # ends_on_period_start, enrolled_twice (its first enrolment)
        ANDET: round(100 * 2 / 11, 4),  # the two support cases
        "uoplyst": round(100 * 1 / 11, 4),  # no_record
    }
    parts = query(home / "warehouse.duckdb",
                  "SELECT count(*), sum(value), sum(numerator) FROM marts.ind_afslutningsstatus "
                  "WHERE variant LIKE ? AND period_start = '2021-01-01'", [A + "|%"])[0]
    assert parts == (7, pytest.approx(100), 11)  # six statuses of the seed and 'uoplyst'
    assert figure(home, "afslutningsstatus", f"{A}|{UDD}", "year", "2021-01-01")[1:] == (3, 11, 3, 11)
    assert figure(home, "afslutningsstatus", A, "year", "2021-01-01") == (100, 11, 11, 11, 11)
    # 2020: nobody ended: a share of nobody is no number; 2019: opera_history.
    assert figure(home, "afslutningsstatus", f"{A}|{LEDIG}", "year", "2020-01-01") == (None, 0, 0, 0, 0)
    assert value(home, "afslutningsstatus", f"{A}|{LEDIG}", "year", "2019-01-01") == 100


def test_a_person_ending_twice_in_a_year_counts_once_with_the_latest_exit(home):
    rows = query(home / "warehouse.duckdb",
                 "SELECT slutdato, status_ved_afslutning FROM intermediate.int_derive_activity_exits "
                 "WHERE activity_id = ? AND exit_year = 2021 AND person_key = ?",
                 [B, person_key(PERSONS["ended_twice"][0])])
    assert [(str(a), s) for a, s in rows] == [("2021-06-30", UDD)]
    # B, 2021: 7 ended: the six of b_group in Beskæftigelse, ended_twice in Uddannelse (not Fortsat ledig).
    assert figure(home, "afslutningsstatus", f"{B}|{BESK}", "year", "2021-01-01")[1:3] == (6, 7)
    assert figure(home, "afslutningsstatus", f"{B}|{UDD}", "year", "2021-01-01")[1:3] == (1, 7)
    assert figure(home, "afslutningsstatus", f"{B}|{LEDIG}", "year", "2021-01-01")[1:3] == (0, 7)


def test_a_withheld_status_takes_a_second_part_with_it(home):
    """B, 2021: Uddannelse (1 person) is withheld; the total (7 = 100 %) and the other parts
    would give it away, so the smallest non-zero other part (Beskæftigelse, 6) goes too."""
    rows = query(home / "warehouse.duckdb",
                 "SELECT variant, suppressed, suppression FROM marts.indicator_results_disclosed "
                 "WHERE indicator_id = 'afslutningsstatus' AND area_id = ? AND period_start = '2021-01-01' "
                 "AND (variant = ? OR variant LIKE ?)", [PLAN, B, B + "|%"])
    got = {v.partition("|")[2] or "(total)": (s, why) for v, s, why in rows}
    assert got == {"(total)": (False, None), BESK: (True, "secondary"), UDD: (True, "primary"),
                   UNDER: (False, None), VIRK: (False, None), LEDIG: (False, None), ANDET: (False, None),
                   "uoplyst": (False, None)}


# ---------------------------------------------------------------- N months after

def test_a_follow_up_not_yet_due_is_left_out(home):
    assert followups(home, "due_on_extract_date") == {
        2: (True, False, False), 3: (True, False, False), 6: (False, False, False)}  # 15.03.2022 is the extract date
    assert followups(home, "not_yet_due") == {
        2: (True, False, False), 3: (False, False, False), 6: (False, False, False)}  # 16.03.2022 is after it
    # Denominators of A, 2021: 11 ended; N=3 without not_yet_due; N=6 without both.
    assert [figure(home, "selvforsoergende_efter", f"{A}, {n} mdr", "year", "2021-01-01")[2] for n in (2, 3, 6)] == [11, 10, 9]
    assert [figure(home, "i_uddannelse_efter", f"{A}, {n} mdr", "year", "2021-01-01")[2] for n in (2, 3, 6)] == [11, 10, 9]


def test_on_support_on_the_day_n_months_later_versus_ended_the_day_before(home):
    # slutdato 30.06.2021: day +2 = 30.08, +3 = 30.09, +6 = 30.12.
    assert {n: f[1] for n, f in followups(home, "support_on_the_day").items()} == {2: False, 3: True, 6: True}
    assert {n: f[1] for n, f in followups(home, "support_ended_day_before").items()} == {2: True, 3: False, 6: False}


def test_selvforsoergende_efter_by_hand(home):
    # A, 2021, not on support on slutdato + N (due persons only):
    #   N=2: support_on_the_day, education_before_end, due_on_extract_date, not_yet_due, no_record = 5 of 11
    #        (spans_month_edge, ends_on_period_start: open periods; support_ended_day_before to 29.09;
    #        education_on_the_day/day_after to 15.07+; enrolled_twice in 6.3 to 31.05 = its day +2)
    #   N=3: support_ended_day_before, education_before_end, due_on_extract_date, no_record = 4 of 10
    #   N=6: support_ended_day_before, education_on_the_day, education_day_after, education_before_end,
    #        no_record = 5 of 9
    assert [figure(home, "selvforsoergende_efter", f"{A}, {n} mdr", "year", "2021-01-01")[:3] for n in (2, 3, 6)] == [
        (pytest.approx(100 * 5 / 11), 5, 11), (40, 4, 10), (pytest.approx(100 * 5 / 9), 5, 9)]
    # B, 2021: nobody of the 7 has a jobcenter record.
    assert value(home, "selvforsoergende_efter", f"{B}, 3 mdr") == 100


def test_education_closure_on_day_n_months_later_counts_one_day_later_does_not(home):
    # slutdato 15.05.2021: window [15.05, 15.07] (N=2), [15.05, 15.08] (N=3), [15.05, 15.11] (N=6).
    assert {n: f[2] for n, f in followups(home, "education_on_the_day").items()} == {2: False, 3: True, 6: True}
    assert {n: f[2] for n, f in followups(home, "education_day_after").items()} == {2: False, 3: False, 6: True}
    assert {n: f[2] for n, f in followups(home, "education_before_end").items()} == {2: False, 3: False, 6: False}
    # A, 2021: 0 of 11, 1 of 10, 2 of 9.
    assert [figure(home, "i_uddannelse_efter", f"{A}, {n} mdr", "year", "2021-01-01")[:3] for n in (2, 3, 6)] == [
        (0, 0, 11), (10, 1, 10), (pytest.approx(100 * 2 / 9), 2, 9)]


# ---------------------------------------------------------------- målgruppe at start

def test_no_jobcenter_record_is_ingen_at_start_and_selvforsoergende(home):
    assert followups(home, "no_record") == {n: (True, False, False) for n in (2, 3, 6)}
    # A, 2021, målgruppe on the (latest) startdato:
    #   6.2: ends_on_period_start, support_ended_day_before, enrolled_twice (01.09: 6.2, not 6.3 of 01.02)
    #   6.3: spans_month_edge, starts_on_period_end
    #   6.4: the three education cases
    #   ingen: support_on_the_day (its period starts later), due_on_extract_date, not_yet_due, no_record
    got = {c: value(home, "maalgruppe_ved_start", f"{A}|{c}") for c in ("6.1", "6.2", "6.3", "6.4", "INT-SHP", "ingen")}
    assert got == {"6.1": 0, "6.2": 3, "6.3": 2, "6.4": 3, "INT-SHP": 0, "ingen": 4}
    assert value(home, "maalgruppe_ved_start", A) == 12  # the total: everyone who started in 2021, once
    assert value(home, "maalgruppe_ved_start", f"{B}|ingen") == 7


def test_opera_history_counts_as_a_jobcenter_record(home):
    # opera_history: in Opera's 2.2 (-> 6.2) 01.01.2018-31.12.2019, which covers the start
    # (01.03.2019) and every follow-up day (30.08, 30.09, 30.12.2019) of the exit on 30.06.2019.
    assert value(home, "maalgruppe_ved_start", f"{A}|6.2", "year", "2019-01-01") == 1
    assert followups(home, "opera_history", year=2019) == {n: (True, True, False) for n in (2, 3, 6)}
    assert [value(home, "selvforsoergende_efter", f"{A}, {n} mdr", "year", "2019-01-01") for n in (2, 3, 6)] == [0, 0, 0]


# ---------------------------------------------------------------- the plan

def test_the_delaftale_reads_deltagere_and_selvforsoergende_efter_per_activity(home):
    rows = query(home / "publication.duckdb",
                 "SELECT indicator_id, variant, value, unit, suppressed FROM published.indicator_values "
                 "WHERE plan_id = ? AND delmaal_id = 'aktive-ledige' AND indicator_id <> 'aktiveringsgrad' "
                 "AND period_start = '2021-01-01' ORDER BY 1, 2", [PLAN])
    assert rows == [
        ("deltagere", B, 7, "persons", False),
        ("deltagere", A, 12, "persons", False),
        ("selvforsoergende_efter", f"{B}, 3 mdr", 100, "percent", False),  # 7 of 7
        ("selvforsoergende_efter", f"{A}, 3 mdr", None, "percent", True),  # 4 of 10: 1-4 persons
    ]
