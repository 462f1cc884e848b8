"""Every measurable indicator of the two seed plans has a published row for every period
of the demo data, at every area the plan reads it at (issue 4).

Sønderborg's delaftale is read on the generated Sønderborg inbox (`generated_run`);
Ishøj's strategy is municipal, so it is read on a synthetic inbox whose jobcenter is
kommune 183 (`generate --kommunekode 183`)."""
from datetime import date

import pytest

from warehouse.config import PLANS_DIR
from warehouse.plans import load_plans
from tests.conftest import generated_home, query

pytestmark = pytest.mark.slow  # every test here needs a pipeline run

PLANS = {p.id: p for p in load_plans(PLANS_DIR)}


@pytest.fixture(scope="module")
def ishoej_run(tmp_path_factory):
    return generated_home(tmp_path_factory, "ishoej", 3000, 11, "--kommunekode", "183", in_memory=True)


def expected_periods(home, indicator_id: str, period_type: str, activity: str | None) -> set[date]:
    """The period ends the demo data holds for this indicator and period type (a running
    period's published end is its calendar end)."""
    wh = home / "warehouse.duckdb"
    if indicator_id == "andel_offentligt_forsoergede":  # as LBF states it: its years
        return {r[0] for r in query(wh, "select distinct make_date(aar, 12, 31) from staging.stg_lbf__beboerdata")}
    if period_type == "day":
        return {r[0] for r in query(wh, "select as_of_date from intermediate.int_generate_month_ends")}
    periods = ("select period_start, period_end, calendar_end from intermediate.int_generate_periods "
               "where period_type = ?")
    if activity:  # an activity's periods start with the period of its first enrolment
        return {r[0] for r in query(wh, f"""
            select p.calendar_end from ({periods}) as p
            where p.period_end >= (select min(startdato) from staging.stg_roster__deltagere as r
                                   join staging.stg_plans__plan_activities as a on a.roster = r.aktivitet
                                   where a.activity_id = ?)""", [period_type, activity])}
    return {r[2] for r in query(wh, periods, [period_type])}


def plan_rows(plan_id: str, run) -> list[tuple]:
    _, home = run
    plan = PLANS[plan_id]
    pub = home / "publication.duckdb"
    out = []
    for d in plan.delmaal:
        for i in d.indicators:
            want = expected_periods(home, i.indicator, i.period_type, i.filters.activity)
            got = query(pub, """
                select area_id, list(period_end), count(value)
                from published.indicator_values
                where plan_id = ? and delmaal_id = ? and indicator_id = ? and variant = ?
                  and area_level = ? and period_type = ?
                group by area_id""", [plan_id, d.id, i.indicator, i.variant, i.area_level, i.period_type])
            # Computed figures before disclosure control (small demo areas withhold many).
            computed = query(home / "warehouse.duckdb", """
                select area_id, count(value) from marts.indicator_results
                where indicator_id = ? and variant = ? and area_level = ? and period_type = ?
                group by area_id""", [i.indicator, i.variant, i.area_level, i.period_type])
            out.append((d.id, i.indicator, i.variant, want, got, dict(computed)))
    return out


@pytest.mark.parametrize("plan_id, run_fixture", [
    ("soenderborg-beskaeftigelse-2021", "generated_run"),
    ("ishoej-aktiveringsstrategi-2015", "ishoej_run"),
])
def test_every_measurable_indicator_has_every_period(plan_id, run_fixture, request):
    run = request.getfixturevalue(run_fixture)
    rows = plan_rows(plan_id, run)
    assert rows, "the plan has no measurable indicators"
    for delmaal, indicator, variant, want, got, computed in rows:
        where = f"{plan_id} / {delmaal} / {indicator} [{variant}]"
        assert want, f"{where}: the demo data has no periods at all"
        assert got, f"{where}: no published rows"
        for area_id, period_ends, n_values in got:
            assert sorted(period_ends) == sorted(want), f"{where} at {area_id}: periods differ"
            # Not a series of nulls: the figure is computed for the demo data (disclosure
            # control may still withhold every cell of a small activity).
            assert computed.get(area_id, 0) > 0, f"{where} at {area_id}: nothing computed"
