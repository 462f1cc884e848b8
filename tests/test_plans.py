"""Plans: the two seed plans load; every fault names the file and the field."""
import shutil
from pathlib import Path

import pytest
import yaml

from warehouse.config import PLANS_DIR
from warehouse.plans import (PlanError, load_plan, load_plans, plan_activities_table, plan_areas_table,
                               plan_indicators_table)

SOENDERBORG = PLANS_DIR / "soenderborg-beskaeftigelse-2021.yaml"


def test_seed_plans_load_with_their_baselines_and_targets():
    plans = {p.id: p for p in load_plans(PLANS_DIR)}
    assert set(plans) == {"soenderborg-beskaeftigelse-2021", "ishoej-aktiveringsstrategi-2015"}
    s = plans["soenderborg-beskaeftigelse-2021"]
    assert (str(s.valid_from), str(s.valid_to)) == ("2021-09-01", "2025-08-31")
    by_id = {(d.id, i.indicator, i.variant): i for d in s.delmaal for i in d.indicators}
    lbf = by_id[("faerre-paa-offentlig-forsoergelse", "andel_offentligt_forsoergede", "18-29")]
    assert (lbf.baseline.value, lbf.baseline.comparison_value, lbf.baseline.period) == (19.14, 12.32, "2018")
    assert by_id[("faerre-paa-offentlig-forsoergelse", "andel_offentligt_forsoergede", "30-64")].baseline.value == 50.65
    ledige = by_id[("faerre-ledige-beboere", "ledige_omfattet", "")]
    assert (ledige.baseline.value, ledige.baseline.comparison_value, ledige.baseline.period) == (233, 1736, "2021-02")
    akt = by_id[("aktive-ledige", "aktiveringsgrad", "ultimo")]
    assert (akt.baseline.value, akt.baseline.comparison_value, akt.target.value) == (20, 33, 85)
    assert [a.roster for a in s.activities] == ["praktikpladser-til-udsatte-ledige", "beskaeftigelsesfremmende-forloeb", None]
    # The delaftale states no success criterion for its activities: deltagere per year and
    # selvforsoergende_efter N = 3 per roster activity, under the delmål they serve, no target.
    project = {(d.id, i.indicator, i.variant): i for d in s.delmaal for i in d.indicators
               if i.indicator in ("deltagere", "selvforsoergende_efter")}
    assert set(project) == {
        ("aktive-ledige", "deltagere", "praktikpladser-til-udsatte-ledige"),
        ("aktive-ledige", "selvforsoergende_efter", "praktikpladser-til-udsatte-ledige, 3 mdr"),
        ("aktive-ledige", "deltagere", "beskaeftigelsesfremmende-forloeb"),
        ("aktive-ledige", "selvforsoergende_efter", "beskaeftigelsesfremmende-forloeb, 3 mdr"),
    }
    assert all(i.target is None and i.baseline is None and i.period_type == "year" and i.area_level == "helhedsplan"
               for i in project.values())
    assert {i.filters.months_after for i in project.values()} == {None, 3}
    i = plans["ishoej-aktiveringsstrategi-2015"]
    assert sum(len(d.not_measurable) for d in i.delmaal) >= 5
    assert all(n.reason for d in i.delmaal for n in d.not_measurable)


def test_plan_tables():
    plans = load_plans(PLANS_DIR)
    areas = plan_areas_table(plans).to_pylist()
    assert {"plan_id": "soenderborg-beskaeftigelse-2021", "boligomraade": "Stenbjergparken"} in areas
    assert not [a for a in areas if a["plan_id"].startswith("ishoej")]  # a strategy covers the kommune
    ind = plan_indicators_table(plans)
    assert ind.num_rows == 13
    assert set(ind.column("indicator_id").to_pylist()) >= {"ledige_omfattet", "aktiveringsgrad", "langtidsledige"}
    act = plan_activities_table(plans).to_pylist()
    assert {"plan_id": "soenderborg-beskaeftigelse-2021", "activity_id": "aaben-raadgivning",
            "activity_name": "Åben rådgivning (fælles for alle delaftaler)", "roster": None} in act
    assert sorted(a["roster"] for a in act if a["roster"]) == [
        "beskaeftigelsesfremmende-forloeb", "praktikpladser-til-udsatte-ledige"]


def write(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(SOENDERBORG.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / SOENDERBORG.name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("edit, field, words", [
    (lambda d: d["delmaal"][1]["indicators"][0].update(indicator="ledige_i_alt"),
     "delmaal.1.indicators.0.indicator", "not an indicator id"),
    (lambda d: d["delmaal"][2]["indicators"][0]["target"].pop("date"),
     "delmaal.2.indicators.0.target", "needs a date"),
    (lambda d: d["delmaal"][1]["indicators"][0].update(filters={"maalgrupper": ["6.99"]}),
     "delmaal.1.indicators.0.filters.maalgrupper", "6.99"),
    (lambda d: d["delmaal"][0]["indicators"][0].update(basline={"value": 1, "period": "2018"}),
     "delmaal.0.indicators.0.basline", "Extra inputs"),
    (lambda d: d["delmaal"][0]["indicators"][0]["baseline"].pop("value"),
     "delmaal.0.indicators.0.baseline", "either a value or compute"),
    (lambda d: d.update(valid_to="2020-01-01"), "(top)", "valid_to is before valid_from"),
    (lambda d: d["delmaal"][0]["indicators"][0].update(area_level="land"),
     "delmaal.0.indicators.0.area_level", "afdeling"),
])
def test_faults_name_file_and_field(tmp_path, edit, field, words):
    path = write(tmp_path, edit)
    with pytest.raises(PlanError) as e:
        load_plan(path)
    msg = str(e.value)
    assert msg.startswith(f"{path.name}: field {field}"), msg
    assert words in msg


def test_id_must_equal_file_name(tmp_path):
    path = tmp_path / "another-name.yaml"
    shutil.copy(SOENDERBORG, path)
    with pytest.raises(PlanError, match=r"another-name.yaml: field id"):
        load_plan(path)


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: broken\nname: [unclosed\n", encoding="utf-8")
    with pytest.raises(PlanError, match=r"broken.yaml line \d+: not valid YAML"):
        load_plan(path)
