"""Every measurable indicator of the two seed plans has a published row for every period
of the demo data, at every area the plan reads it at (issue 4).

Sønderborg's delaftale is read on the generated Sønderborg inbox (`generated_run`);
Ishøj's strategy is municipal, so it is read on a synthetic inbox whose jobcenter is
kommune 183 (`generate --kommunekode 183`)."""
from datetime import date

import pytest

from helhedsdata.config import PLANS_DIR
from helhedsdata.plans import load_plans
from tests.conftest import query, run_pipeline

PLANS = {p.id: p for p in load_plans(PLANS_DIR)}


@pytest.fixture(scope="module")
def ishoej_run(tmp_path_factory):
    from helhedsdata.cli import main

    root = tmp_path_factory.mktemp("ishoej")
    inbox, home = root / "inbox", root / "home"
    assert main(["generate", "--out", str(inbox), "--persons", "3000", "--seed", "11",
                 "--kommunekode", "183"]) == 0
    assert run_pipeline(home, inbox)
    return inbox, home


def expected_periods(home, indicator_id: str, period_type: str) -> set[date]:
    """The period ends the demo data holds for this indicator and period type."""
    wh = home / "warehouse.duckdb"
    if indicator_id == "andel_offentligt_forsoergede":  # as LBF states it: its years
        return {r[0] for r in query(wh, "select distinct make_date(aar, 12, 31) from staging.stg_lbf__beboerdata")}
    if period_type == "day":
        return {r[0] for r in query(wh, "select as_of_date from intermediate.int_generate_month_ends")}
    return {r[0] for r in query(wh, "select period_end from intermediate.int_generate_periods where period_type = ?",
                                [period_type])}


def plan_rows(plan_id: str, run) -> list[tuple]:
    _, home = run
    plan = PLANS[plan_id]
    pub = home / "publication.duckdb"
    out = []
    for d in plan.delmaal:
        for i in d.indicators:
            want = expected_periods(home, i.indicator, i.period_type)
            got = query(pub, """
                select area_id, list(period_end), count(value)
                from published.indicator_values
                where plan_id = ? and delmaal_id = ? and indicator_id = ? and variant = ?
                  and area_level = ? and period_type = ?
                group by area_id""", [plan_id, d.id, i.indicator, i.variant, i.area_level, i.period_type])
            out.append((d.id, i.indicator, i.variant, want, got))
    return out


@pytest.mark.parametrize("plan_id, run_fixture", [
    ("soenderborg-beskaeftigelse-2021", "generated_run"),
    ("ishoej-aktiveringsstrategi-2015", "ishoej_run"),
])
def test_every_measurable_indicator_has_every_period(plan_id, run_fixture, request):
    run = request.getfixturevalue(run_fixture)
    rows = plan_rows(plan_id, run)
    assert rows, "the plan has no measurable indicators"
    for delmaal, indicator, variant, want, got in rows:
        where = f"{plan_id} / {delmaal} / {indicator} [{variant}]"
        assert want, f"{where}: the demo data has no periods at all"
        assert got, f"{where}: no published rows"
        for area_id, period_ends, n_values in got:
            assert sorted(period_ends) == sorted(want), f"{where} at {area_id}: periods differ"
            # Suppression may withhold single cells, never a whole series of the demo data.
            assert n_values > 0, f"{where} at {area_id}: every value withheld or missing"
