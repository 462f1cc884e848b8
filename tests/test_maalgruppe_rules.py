"""Hand-computed cases for maalgruppe_antal: the 26-week rule, contiguous spells,
moving in and out, address variants and period boundaries (docs/indicators.md).

One small inbox holds every case as its own person; the pipeline runs once."""
import pytest

from tests.conftest import person_key, query, run_pipeline
from tests.inbox_builder import d, write_momentum, write_opera, write_register

pytestmark = pytest.mark.slow  # every test here needs a pipeline run

JAN, FEB = "2021-01-31", "2021-02-28"
SOES = ("Søstjernevej", "12A", "6400")  # afdeling 22
ELSEWHERE = ("Perlegade", "50", "6400")
HVEDE = ("Hvedemarken", "41", "6400")  # afdeling 30

# name -> (cpr, address periods [(street, number, postcode, from, to)], målgruppe periods [(code, from, to, årsag)])
PERSONS = {
    # 26 weeks: 2020-08-31 .. 2021-02-28 is 182 days inclusive -> counts; one day later does not.
    "six_one_182_days": ("010180-1001", [(*SOES, "2015-01-01", None)], [("6.1", "2020-08-31", None, None)]),
    "six_one_181_days": ("020180-1002", [(*SOES, "2015-01-01", None)], [("6.1", "2020-09-01", None, None)]),
    # Two contiguous 6.1 periods are one spell: its start (2020-06-01) is kept.
    "six_one_contiguous": ("030180-1003", [(*SOES, "2015-01-01", None)],
                           [("6.1", "2020-06-01", "2020-10-31", "Andet"), ("6.1", "2020-11-01", None, None)]),
    # A one-day gap starts a new spell (2020-11-02): 119 days on 2021-02-28.
    "six_one_gap": ("040180-1004", [(*SOES, "2015-01-01", None)],
                    [("6.1", "2020-06-01", "2020-10-31", "Andet"), ("6.1", "2020-11-02", None, None)]),
    # A change of group starts a new spell of the new group.
    "six_two_then_six_one": ("050180-1005", [(*SOES, "2015-01-01", None)],
                             [("6.2", "2020-01-01", "2020-10-31", "Målgruppeskift"), ("6.1", "2020-11-01", None, None)]),
    # Moves out of afdeling 22 on 2021-02-01: counted there at January's end only.
    "moves_out": ("060180-1006", [(*SOES, "2015-01-01", "2021-01-31"), (*ELSEWHERE, "2021-02-01", None)],
                  [("6.2", "2020-01-01", None, None)]),
    # Moves into afdeling 24 on the month's last day: counted there on that day.
    "moves_in_last_day": ("070180-1007", [(*ELSEWHERE, "2015-01-01", "2021-02-27"),
                                          ("Stenbjergparken", "3", "6400", "2021-02-28", None)],
                          [("6.3", "2020-01-01", None, None)]),
    # Moves from 22 to 35 (same boligområde).
    "moves_22_to_35": ("080180-1008", [(*SOES, "2015-01-01", "2021-01-31"), ("Nørager", "7", "6400", "2021-02-01", None)],
                       [("6.4", "2020-01-01", None, None)]),
    # Address spelling variants of Søstjernevej 12A.
    "variant_spaces": ("090180-1009", [("  søstjernevej ", "12 a", "6400", "2015-01-01", None)], [("6.5", "2020-01-01", None, None)]),
    "variant_upper": ("100180-1010", [("SØSTJERNEVEJ", "12a", "6400", "2015-01-01", None)], [("6.5", "2020-01-01", None, None)]),
    # Not in the register: another letter, another postcode.
    "wrong_letter": ("110180-1011", [("Søstjernevej", "12B", "6400", "2015-01-01", None)], [("6.5", "2020-01-01", None, None)]),
    "wrong_postcode": ("120180-1012", [("Søstjernevej", "12A", "6300", "2015-01-01", None)], [("6.5", "2020-01-01", None, None)]),
    # A period ending on a month end covers that day and no later one.
    "ends_on_month_end": ("130180-1013", [(*SOES, "2015-01-01", None)], [("6.3", "2020-01-01", JAN, "Ordinær beskæftigelse")]),
    # Hyphen-less CPR in one file, hyphenated in the other: one person.
    "cpr_without_hyphen": ("1401801014", [(*SOES, "2015-01-01", None)], [("INT-SHP", "2020-01-01", None, None)]),
    "opera_then_momentum": ("150180-1015", [(*SOES, "2019-06-01", None)], [("6.3", "2019-06-01", None, None)]),
    # Issue 12, Momentum wins day by day (their Opera rows below). Afdeling 30 and history
    # before 2021, so the February 2021 counts above stay as they are.
    "opera_in_momentum_gaps": ("180180-1018", [(*HVEDE, "2015-01-01", None)],
                               [("6.2", "2019-01-01", "2019-03-31", "Andet"),
                                ("6.2", "2019-07-01", "2019-10-31", "Ordinær beskæftigelse")]),
    "momentum_inside_opera": ("190180-1019", [(*HVEDE, "2015-01-01", None)],
                              [("6.3", "2018-05-01", "2018-06-30", "Målgruppeskift")]),
    "opera_6_1_then_momentum_6_1": ("200180-1020", [(*HVEDE, "2015-01-01", None)],
                                    [("6.1", "2019-06-01", "2019-12-31", "Ordinær beskæftigelse")]),
    # Lives outside the afdelinger by Momentum, except in a gap that Opera's address fills.
    "opera_address_in_momentum_gap": ("210180-1021", [(*ELSEWHERE, "2015-01-01", "2018-12-31"),
                                                      (*ELSEWHERE, "2019-07-01", "2019-12-31")],
                                      [("6.4", "2019-01-01", "2019-12-31", "Andet")]),
    "opera_activation_under_mentorstoette": ("220180-1022", [(*HVEDE, "2015-01-01", "2019-12-31")],
                                            [("6.2", "2019-01-01", "2019-12-31", "Andet")]),
    # Planned ends after the extract date (2021-03-01): a målgruppe period to 2021-06-30 and a
    # move planned for 2021-12-31; both read, neither rejects the extract. In the kommune only.
    "planned_ends": ("230180-1023", [(*ELSEWHERE, "2015-01-01", "2021-12-31")], [("6.4", "2020-06-01", "2021-06-30", None)]),
}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    root = tmp_path_factory.mktemp("rules")
    inbox, home = root / "inbox", root / "home"
    addr, mg = [], []
    for name, (cpr, addresses, periods) in PERSONS.items():
        for street, number, postcode, a, b in addresses:
            addr.append((cpr, street, number, "", "", postcode, "Sønderborg", "540", d(a), d(b)))
        for code, a, b, why in periods:
            # cpr_without_hyphen: hyphenated here, without hyphen in borger_adresse.
            mg.append(("140180-1014" if name == "cpr_without_hyphen" else cpr, code, "", d(a), d(b), why))
    write_momentum(inbox, "20210301", {
        "borger_adresse.csv": addr,
        "maalgruppe.csv": mg,
        "tilbud.csv": [("010180-1001", "T-1", "Virksomhedspraktik", d("2021-01-04"), "", "15,0", "", ""),
                       # Momentum's Mentorstøtte (no activation) covers March-April 2019.
                       ("220180-1022", "T-2", "Mentorstøtte", d("2019-03-01"), d("2019-04-30"), "5,0", "", "")],
        "samtale.csv": [("010180-1001", "S-1", "Jobsamtale", d("2021-01-15"), d("2021-01-12"), "Afholdt")],
    })
    write_register(inbox)
    write_opera(inbox, "20191231", {
        "MATCHPERIODER.csv": [
            # Opera's open 2.3 period runs into Momentum's 6.3 (from 2019-06-01): Momentum
            # wins from that day; Opera keeps 2019-01-01..2019-05-31 and the spell is one.
            ("1501801015", "2.3", "2019-01-01", "", ""),
            # Opera alone: 2.1 (-> 6.1) during 2018.
            ("1601801016", "2.1", "2018-01-01", "2018-12-31", "01"),
            # 2.10 maps to no current group (and is not 2.1).
            ("1701801017", "2.10", "2018-01-01", "2018-12-31", "99"),
            # 2.3 -> 6.3 around and between Momentum's two 6.2 periods of 2019.
            ("1801801018", "2.3", "2018-10-01", "2019-12-31", "01"),
            # 2.2 -> 6.2 for 2018, Momentum's 6.3 in May-June inside it.
            ("1901801019", "2.2", "2018-01-01", "2018-12-31", "02"),
            # 2.1 -> 6.1 to the day before Momentum's 6.1 starts: one spell.
            ("2001801020", "2.1", "2019-01-01", "2019-05-31", "03"),
            # A planned end (2020-03-31) after Opera's extract date: cut there, not rejected.
            ("2301801023", "2.12", "2019-06-01", "2020-03-31", ""),
        ],
        "AKTIVERING.csv": [("1501801015", "VP", "2019-02-01", "2019-03-31", "20"),
                           # Under Momentum's Mentorstøtte in March-April: those days are Momentum's.
                           ("2201801022", "VP", "2019-02-15", "2019-05-31", "20")],
        "ADRESSER.csv": [
            ("1501801015", "SØSTJERNEVEJ", "12A", "", "", "6400", "2015-01-01", ""),
            ("1601801016", "NØRAGER", "7", "", "", "6400", "2015-01-01", ""),
            ("1701801017", "NØRAGER", "7", "", "", "6400", "2015-01-01", ""),
            # HVEDEMARKEN 41 is afdeling 30; a no-break space from a pasted cell before the number.
            ("2101801021", "HVEDEMARKEN", "\u00a041", "", "", "6400", "2017-01-01", ""),
        ],
    })
    # Momentum side of the Opera cases (their addresses start with Momentum's history).
    assert run_pipeline(home, inbox, in_memory=True)  # no test reads Dagster's storage
    return home


def status(home, name, as_of):
    """(maalgruppe_code, afdelingsnummer, counts) of a person on a day, or None."""
    rows = query(home / "warehouse.duckdb",
                 "SELECT maalgruppe_code, afdelingsnummer, counts_in_maalgruppe_antal, spell_days "
                 "FROM intermediate.int_assign_maalgruppe_status WHERE person_key = ? AND as_of_date = ?",
                 [person_key(PERSONS[name][0]), as_of])
    assert len(rows) <= 1
    return rows[0] if rows else None


def test_six_one_counts_from_day_182(scenario):
    assert status(scenario, "six_one_182_days", FEB) == ("6.1", "22", True, 182)
    assert status(scenario, "six_one_181_days", FEB) == ("6.1", "22", False, 181)


def test_contiguous_periods_are_one_spell(scenario):
    code, afd, counts, days = status(scenario, "six_one_contiguous", FEB)
    assert (code, counts, days) == ("6.1", True, 273)  # 2020-06-01 .. 2021-02-28


def test_one_day_gap_starts_a_new_spell(scenario):
    assert status(scenario, "six_one_gap", FEB) == ("6.1", "22", False, 119)


def test_change_of_group_starts_a_new_spell(scenario):
    assert status(scenario, "six_two_then_six_one", FEB) == ("6.1", "22", False, 120)
    assert status(scenario, "six_two_then_six_one", "2020-10-31")[0] == "6.2"


def test_moving_out_and_in(scenario):
    assert status(scenario, "moves_out", JAN)[1] == "22"
    assert status(scenario, "moves_out", FEB)[1] is None  # lives elsewhere, still in the kommune
    assert status(scenario, "moves_in_last_day", JAN)[1] is None
    assert status(scenario, "moves_in_last_day", FEB)[1] == "24"
    assert status(scenario, "moves_22_to_35", JAN)[1] == "22"
    assert status(scenario, "moves_22_to_35", FEB)[1] == "35"


def test_address_variants_match_the_register(scenario):
    assert status(scenario, "variant_spaces", FEB)[1] == "22"
    assert status(scenario, "variant_upper", FEB)[1] == "22"
    assert status(scenario, "wrong_letter", FEB)[1] is None
    assert status(scenario, "wrong_postcode", FEB)[1] is None


def test_period_end_is_inclusive(scenario):
    assert status(scenario, "ends_on_month_end", JAN)[0] == "6.3"
    assert status(scenario, "ends_on_month_end", FEB) is None


def test_cpr_with_and_without_hyphen_is_one_person(scenario):
    assert status(scenario, "cpr_without_hyphen", FEB) == ("INT-SHP", "22", True, 425)


def antal(home, level, area, code, as_of=FEB):
    return query(home / "warehouse.duckdb",
                 "SELECT persons FROM marts.maalgruppe_antal WHERE as_of_date = ? AND area_level = ? "
                 "AND area_id = ? AND maalgruppe_code = ?", [as_of, level, area, code])[0][0]


def test_maalgruppe_antal_by_hand(scenario):
    # Afdeling 22 on 2021-02-28: 6.1 counted only for six_one_182_days and six_one_contiguous.
    assert antal(scenario, "afdeling", "22", "6.1") == 2
    assert antal(scenario, "afdeling", "22", "6.5") == 2  # the two spelling variants
    assert antal(scenario, "afdeling", "35", "6.4") == 1
    assert antal(scenario, "afdeling", "24", "6.3") == 1
    # 6.3 in 22: ends_on_month_end (to 2021-01-31) and opera_then_momentum (open).
    assert antal(scenario, "afdeling", "22", "6.3") == 1
    assert antal(scenario, "afdeling", "22", "6.3", JAN) == 2
    assert antal(scenario, "boligomraade", "Nørager og Søstjernevej m.fl.", "6.4") == 1
    assert antal(scenario, "helhedsplan", "soenderborg-beskaeftigelse-2021", "6.5") == 2
    # Kommune: everyone with a spell, wherever they live (4 in 6.5 incl. unmatched addresses).
    assert antal(scenario, "kommune", "540", "6.5") == 4
    assert antal(scenario, "kommune", "540", "6.2") == 1


def test_published_table_suppresses_small_counts(scenario):
    rows = query(scenario / "publication.duckdb",
                 "SELECT area_level, area_id, maalgruppe_code, persons, suppressed FROM published.maalgruppe_status "
                 "WHERE as_of_date = ? AND area_level = 'afdeling' AND area_id = '22'", [FEB])
    by_code = {r[2]: r[3:] for r in rows}
    assert by_code["6.1"] == (None, True)  # 2 persons: withheld
    assert by_code["6.3"] == (None, True)  # 1 person: withheld
    assert by_code["6.6"] == (0, False)  # zero is published as zero
    assert len(rows) == 11  # every målgruppe code has a row


def test_momentum_wins_where_opera_overlaps_and_opera_fills_history(scenario):
    # Opera's open period is cut at Momentum's first day; the two 6.3 periods are one spell.
    assert status(scenario, "opera_then_momentum", "2019-03-31") == ("6.3", "22", True, 90)
    assert status(scenario, "opera_then_momentum", "2019-06-30") == ("6.3", "22", True, 181)
    periods = query(scenario / "warehouse.duckdb",
                    "SELECT source, start_date, end_date, afslutningsaarsag FROM intermediate.int_combine_maalgruppe_periods "
                    "WHERE person_key = ? ORDER BY start_date", [person_key("150180-1015")])
    assert [(p[0], str(p[1]), str(p[2]) if p[2] else None, p[3]) for p in periods] == [
        ("opera", "2019-01-01", "2019-05-31", None), ("momentum", "2019-06-01", None, None)]


def test_opera_alone_gives_history_with_mapped_codes(scenario):
    key = person_key("1601801016")
    rows = query(scenario / "warehouse.duckdb",
                 "SELECT maalgruppe_code, afdelingsnummer FROM intermediate.int_assign_maalgruppe_status "
                 "WHERE person_key = ? AND as_of_date = '2018-06-30'", [key])
    assert rows == [("6.1", "35")]  # 2.1 -> 6.1; Opera's upper-case NØRAGER 7 is afdeling 35
    assert query(scenario / "warehouse.duckdb",
                 "SELECT count(*) FROM intermediate.int_assign_maalgruppe_status WHERE person_key = ?",
                 [person_key("1701801017")]) == [(0,)]  # 2.10 maps to no målgruppe


def test_opera_activation_counts_before_momentum(scenario):
    rows = query(scenario / "warehouse.duckdb",
                 "SELECT as_of_date FROM intermediate.int_assign_activation_status WHERE person_key = ? ORDER BY 1",
                 [person_key("150180-1015")])
    assert [str(r[0]) for r in rows] == ["2019-02-28", "2019-03-31"]


# ---------------------------------------------------------------- issue 12: Momentum wins day by day


def test_opera_fills_the_days_around_and_between_momentum_periods(scenario):
    # Opera 6.3 2018-10-01..2019-12-31; Momentum 6.2 in Q1 and July-October 2019.
    assert status(scenario, "opera_in_momentum_gaps", "2018-12-31")[:2] == ("6.3", "30")
    assert status(scenario, "opera_in_momentum_gaps", "2019-03-31")[:2] == ("6.2", "30")
    # In the gap: a new 6.3 spell from 2019-04-01 (the earlier 6.3 piece ended 2018-12-31).
    assert status(scenario, "opera_in_momentum_gaps", "2019-05-31") == ("6.3", "30", True, 61)
    assert status(scenario, "opera_in_momentum_gaps", "2019-08-31")[:2] == ("6.2", "30")
    # After Momentum's period ended: Opera again, to its extract date.
    assert status(scenario, "opera_in_momentum_gaps", "2019-11-30") == ("6.3", "30", True, 30)


def test_a_momentum_period_inside_a_longer_opera_one(scenario):
    assert status(scenario, "momentum_inside_opera", "2018-04-30") == ("6.2", "30", True, 120)
    assert status(scenario, "momentum_inside_opera", "2018-05-31")[:2] == ("6.3", "30")
    # The second Opera piece is a new spell from 2018-07-01.
    assert status(scenario, "momentum_inside_opera", "2018-07-31") == ("6.2", "30", True, 31)
    assert status(scenario, "momentum_inside_opera", "2018-12-31")[:2] == ("6.2", "30")


def test_an_opera_6_1_period_and_a_touching_momentum_one_are_one_spell(scenario):
    # 2019-01-01 .. 2019-06-30 is 181 days: not yet 26 weeks; on 2019-07-31 it is 212.
    assert status(scenario, "opera_6_1_then_momentum_6_1", "2019-06-30") == ("6.1", "30", False, 181)
    assert status(scenario, "opera_6_1_then_momentum_6_1", "2019-07-31") == ("6.1", "30", True, 212)


def test_an_opera_address_fills_a_momentum_gap(scenario):
    assert status(scenario, "opera_address_in_momentum_gap", "2018-12-31") is None  # no målgruppe yet
    assert status(scenario, "opera_address_in_momentum_gap", "2019-03-31")[:2] == ("6.4", "30")
    assert status(scenario, "opera_address_in_momentum_gap", "2019-06-30")[:2] == ("6.4", "30")
    assert status(scenario, "opera_address_in_momentum_gap", "2019-07-31")[:2] == ("6.4", None)


def test_an_opera_activation_day_under_momentum_mentorstoette_is_not_activation(scenario):
    rows = query(scenario / "warehouse.duckdb",
                 "SELECT as_of_date FROM intermediate.int_assign_activation_status WHERE person_key = ? ORDER BY 1",
                 [person_key("220180-1022")])
    assert [str(r[0]) for r in rows] == ["2019-02-28", "2019-05-31"]


def test_planned_end_dates_are_read_not_rejected(scenario):
    # The run published (the fixture asserts it); the periods are there as delivered.
    assert status(scenario, "planned_ends", FEB) == ("6.4", None, True, 273)
    assert status(scenario, "planned_ends", "2019-12-31")[0] == "6.4"  # Opera, to its extract date
    assert status(scenario, "planned_ends", "2020-01-31") is None  # Opera knows nothing after it
    rows = query(scenario / "warehouse.duckdb",
                 "SELECT source, start_date, end_date, afslutningsaarsag FROM intermediate.int_combine_maalgruppe_periods "
                 "WHERE person_key = ? ORDER BY start_date", [person_key("230180-1023")])
    assert [(r[0], str(r[1]), str(r[2]), r[3]) for r in rows] == [
        ("opera", "2019-06-01", "2019-12-31", None), ("momentum", "2020-06-01", "2021-06-30", None)]
