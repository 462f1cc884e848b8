"""The status report per plan (report/, issue 16) on small hand-made publication files: Danish
formats, `x` and one footnote for withheld figures, gaps (never zeros) in charts, running
periods labelled, no small person count, no CPR number or pseudonym, a plan the data do not
cover, self-contained and deterministic files, the command line. No pipeline run."""
from __future__ import annotations

import datetime as dt
import math
import re

import pytest

from report import charts, formats
from report.build import build
from tests.report_helpers import (CPR_SHAPE, ISHOEJ, PSEUDONYM_SHAPE, SOENDERBORG, cells, log_row, plans,
                                  small_person_counts, soenderborg_publication, soenderborg_rows, write_publication)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One build of both plans' reports from the hand-made Sønderborg publication, read by many tests."""
    root = tmp_path_factory.mktemp("report")
    pub = soenderborg_publication(root / "publication.duckdb")
    reports = {r.plan.id: r for r in build(pub, plans(), root / "reports")}
    return root / "reports", reports


# --- formats ------------------------------------------------------------------------------

@pytest.mark.parametrize("value, unit, text", [
    (19.14, "percent", "19,14\u00a0%"), (19.1449, "percent", "19,14\u00a0%"), (100, "percent", "100,00\u00a0%"),
    (1740, "persons", "1.740"), (1736.0, "count", "1.736"), (1234567, "persons", "1.234.567"), (0, "persons", "0"),
    (12.34, "fuldtidspersoner", "12,3"), (1234.5, "fuldtidspersoner", "1.234,5"), (None, "persons", "–"),
    (math.nan, "percent", "–"),
])
def test_numbers_are_danish(value, unit, text):
    assert formats.number(value, unit) == text


def test_dates_periods_and_changes_are_danish():
    assert formats.date(dt.date(2021, 2, 28)) == "28.02.2021"
    assert formats.period("day", dt.date(2021, 2, 28), dt.date(2021, 2, 28)) == "28.02.2021"
    assert formats.period("month", dt.date(2021, 2, 1), dt.date(2021, 2, 28)) == "feb. 2021"
    assert formats.period("quarter", dt.date(2021, 4, 1), dt.date(2021, 6, 30)) == "2. kvt. 2021"
    assert formats.period("year", dt.date(2020, 1, 1), dt.date(2020, 12, 31)) == "2020"
    assert formats.baseline_period("2021-02") == "feb. 2021" and formats.baseline_period("2018") == "2018"
    assert formats.change(-1.0934, "percent") == "−1,09 procentpoint"
    assert formats.change(1740, "persons") == "+1.740"


def test_a_withheld_cell_is_x_whatever_the_file_holds():
    assert formats.cell(3, "persons", True) == "x"
    assert formats.cell(None, "percent", True) == "x"
    assert formats.cell(0, "persons", False) == "0"  # a zero is published as zero


def test_a_running_period_is_what_the_published_column_says():
    # not guessed from the dates: a year ending after the status date is running only when
    # the publication says so (period_complete false)
    assert formats.is_running({"period_end": dt.date(2021, 12, 31), "period_complete": False})
    assert not formats.is_running({"period_end": dt.date(2021, 12, 31), "period_complete": True})
    assert not formats.is_running({"period_end": dt.date(2020, 12, 31), "period_complete": True})


# --- charts -------------------------------------------------------------------------------

def _series_marks(svg: str, gid: str) -> tuple[str, int]:
    group = re.search(rf'<g id="{gid}">(.*?)</g>\s*(?:<g id="(?!{gid})|</g>)', svg, re.S)
    assert group, f"no {gid} in the chart"
    body = group.group(1)
    path = re.search(r'<path d="([^"]*)"', body).group(1)
    return path, len(re.findall(r"<use ", body))


def test_a_withheld_point_is_a_gap_in_the_line_never_a_zero():
    points = [(d, v) for d, v in zip([dt.date(2020, m, 28) for m in range(1, 7)], [10, 11, None, 13, 14, 15])]
    svg = charts.indicator_chart("t", "Test", "persons", "day", points)
    path, marks = _series_marks(svg, "series-value")
    assert marks == 5  # a marker per published point, none for the withheld one
    assert path.count("M") == 2  # the line is cut in two at the gap
    full = charts.indicator_chart("t", "Test", "persons", "day", [(d, v if v is not None else 0) for d, v in points])
    path, marks = _series_marks(full, "series-value")
    assert marks == 6 and path.count("M") == 1  # the check does see a zero drawn


def test_charts_keep_numbers_as_text_and_are_deterministic():
    points = [(dt.date(2020, m, 28), 1000 + m) for m in range(1, 13)]
    a = charts.indicator_chart("same", "Test", "persons", "day", points)
    b = charts.indicator_chart("same", "Test", "persons", "day", points)
    assert a == b
    assert "1.000" in a or "1.005" in a or "1.010" in a  # Danish tick labels, as <text>
    assert "<text" in a and "<?xml" not in a


# --- the reports --------------------------------------------------------------------------

def test_every_plan_gets_a_report_and_the_index_lists_them(built):
    out, reports = built
    assert set(reports) == {SOENDERBORG, ISHOEJ}
    index = (out / "index.html").read_text(encoding="utf-8")
    for p in plans():
        assert f'href="{p.id}.html"' in index and p.name in index
    assert "Status pr. 01.03.2021" in index
    assert reports[SOENDERBORG].counts == {"ja": 0, "nej": 0, "kan ikke vurderes endnu": 1, "uden måltal": 3}


def test_report_shows_the_plan_status_line_and_the_tables(built):
    _, reports = built
    html = reports[SOENDERBORG].html
    plan = next(p for p in plans() if p.id == SOENDERBORG)
    for text in (plan.name, plan.owner, *plan.parties, "01.09.2021–31.08.2025", "Status pr. 01.03.2021",
                 "Momentum er forældet", "Målgrupper 28.02.2021", "Projektaktiviteter", "Hele 2020",
                 "2021 hidtil (til 28.02.2021)", "85,00\u00a0%", "31.08.2025", "1.740", "19,14\u00a0%"):
        assert text in html, text
    for d in plan.delmaal:
        assert d.name in html
        for m in d.not_measurable:
            assert m.text in html


def test_withheld_figures_are_x_with_one_footnote(built):
    _, reports = built
    html = reports[SOENDERBORG].html
    c = cells(html)
    # målgrupper at 28.02.2021: afd. 22 (3 persons) for five codes, afd. 24's 6.6; deltagere 2021 (3)
    assert c.withheld == 5 + 1 + 1
    assert html.count('id="note-x"') == 1
    assert html.count('href="#note-x"') == c.withheld
    assert "færre end 5 personer" in html


def test_no_person_count_from_1_to_4_where_the_table_withholds_it(tmp_path):
    # A broken file keeps the counts of its withheld cells: the report goes by `suppressed`.
    pub = soenderborg_publication(tmp_path / "publication.duckdb", leak=True)
    html = build(pub, plans(), tmp_path / "reports", [SOENDERBORG])[0].html
    assert small_person_counts(html) == []
    assert cells(html).withheld == 7
    # and the check does catch a small count shown as a person count
    assert small_person_counts(html.replace('class="withheld" href="#note-x" title="Udeladt: se noten nederst" '
                                            'data-kind="persons">x<', 'data-kind="persons">3<', 1)) == ["3"]


def _activity_rows(html: str, activity_name: str) -> dict[str, list[str]]:
    """label -> cell texts of one activity's table."""
    part = html.split(f"<h3>{activity_name}</h3>", 1)[1].split("</table>", 1)[0]
    out = {}
    for tr in re.findall(r"<tr><td>(.*?)</td>(.*?)</tr>", part, re.S):
        out[tr[0]] = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r'<td class="num">(.*?)</td>', tr[1], re.S)]
    return out


def test_so_far_this_year_is_read_from_the_running_rows(built):
    _, reports = built
    html = reports[SOENDERBORG].html
    plan = next(p for p in plans() if p.id == SOENDERBORG)
    names = {a.id: a.name for a in plan.activities}
    # the column is the running year up to its data_through, not up to the status date
    assert "2021 hidtil (til 28.02.2021)" in html and "hidtil (til 01.03.2021)" not in html
    praktik = _activity_rows(html, names["praktikpladser-til-udsatte-ledige"])
    assert praktik["Deltagere"] == ["1.740", "65"]  # whole 2020, 2021 so far
    # no follow-up row for 2021 is published: said so, never a 0
    assert praktik["Selvforsørgende 3 mdr. efter afslutning"] == ["61,11\u00a0%", "ikke offentliggjort"]
    assert _activity_rows(html, names["beskaeftigelsesfremmende-forloeb"])["Deltagere"] == ["61", "x"]


def test_running_rows_are_labelled_and_not_assessed_in_the_indicator_table(tmp_path):
    ind, status = soenderborg_rows()
    # 18-29: a running 2021 beside the whole years: the table keeps the latest whole year
    # 30-64: only a running 2021: shown, labelled so far, not assessed
    for r in list(ind):
        if r["indicator_id"] == "andel_offentligt_forsoergede" and r["variant"] == "18-29" and r["period_start"].year == 2020:
            ind.append({**r, "period_start": dt.date(2021, 1, 1), "period_end": dt.date(2021, 12, 31), "value": 99.0,
                        "period_complete": False, "data_through": dt.date(2021, 2, 28)})
    ind = [r for r in ind if not (r["indicator_id"] == "andel_offentligt_forsoergede" and r["variant"] == "30-64")] + [
        {**r, "variant": "30-64", "period_start": dt.date(2021, 1, 1), "period_end": dt.date(2021, 12, 31),
         "value": 47.5, "period_complete": False, "data_through": dt.date(2021, 2, 28)}
        for r in ind if r["indicator_id"] == "andel_offentligt_forsoergede" and r["variant"] == "18-29"
        and r["period_start"].year == 2020]
    pub = write_publication(tmp_path / "running.duckdb", ind, status, [log_row()])
    html = build(pub, plans(), tmp_path / "running", [SOENDERBORG])[0].html
    assert "2021 (hidtil i år, til 28.02.2021)" in html and "47,50\u00a0%" in html
    assert "99,00\u00a0%" not in html  # the running 18-29 row is neither the latest value nor drawn
    # a running row (published with on_track null) against a target is not assessed, and says why
    from report.build import _on_track
    plan = next(p for p in plans() if p.id == SOENDERBORG)
    target = next(i for d in plan.delmaal for i in d.indicators if i.target is not None and i.target.value is not None)
    row = {**ind[0], "on_track": None, "period_complete": False, "data_through": dt.date(2021, 2, 28),
           "baseline_value": 20.0}
    assert _on_track(row, target) == ("kan ikke vurderes endnu",
                                      "kun tal for en løbende periode (til 28.02.2021); hele perioder vurderes", "wait")
    assert _on_track({**row, "period_complete": True, "on_track": True}, target)[0] == "ja"


def test_a_file_from_before_running_periods_reads_as_complete(tmp_path):
    ind, status = soenderborg_rows()
    ind = [r for r in ind if r["period_complete"]]
    pub = write_publication(tmp_path / "old.duckdb", ind, status, [log_row()], old_format=True)
    html = build(pub, plans(), tmp_path / "old", [SOENDERBORG])[0].html
    plan = next(p for p in plans() if p.id == SOENDERBORG)
    praktik = _activity_rows(html, plan.activities[0].name if plan.activities[0].id.startswith("praktik")
                             else plan.activities[1].name)
    assert praktik["Deltagere"] == ["1.740", "ikke offentliggjort"]
    assert "2021 hidtil</th>" in html


def test_a_plan_the_data_do_not_cover_says_so(built):
    _, reports = built
    r = reports[ISHOEJ]
    assert not r.covered
    assert "Denne offentliggørelse indeholder ingen tal for planen" in r.html
    assert "kommune 183" in r.html and "kommune 540" in r.html
    plan = next(p for p in plans() if p.id == ISHOEJ)
    for d in plan.delmaal:  # the goals are still listed
        assert d.name in r.html
    assert "højst 67" in r.html and "31.12.2015" in r.html  # a 'hold' target is a ceiling


def test_no_cpr_number_or_pseudonym_in_a_report(built):
    out, _ = built
    for path in out.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not CPR_SHAPE.search(text), path.name
        assert not PSEUDONYM_SHAPE.search(text), path.name
    assert CPR_SHAPE.search("borger 010190-1234") and PSEUDONYM_SHAPE.search("a" * 64)  # the patterns do match
    assert PSEUDONYM_SHAPE.search("key -7553309868418961950 here") and PSEUDONYM_SHAPE.search("(855125023263397708)")


def test_reports_are_self_contained_and_deterministic(tmp_path, built):
    """No script, stylesheet, font or image fetched at view time; the same file twice."""
    out, reports = built
    for path in out.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<script" not in text and "<link" not in text and "@import" not in text and "@font-face" not in text
        assert not re.search(r'\b(?:src|href)="(?:https?:)?//', text), path.name
        assert not re.findall(r"url\((?!#)", text), path.name
    again = build(out.parent / "publication.duckdb", plans(), tmp_path / "again")
    for r in again:
        assert r.html == reports[r.plan.id].html


def test_cli_report(tmp_path, capsys, monkeypatch):
    from cli.main import main
    from warehouse.config import PLANS_DIR

    # The repository's plans, whatever an earlier run in this process exported.
    monkeypatch.setenv("HELHEDSDATA_PLANS", str(PLANS_DIR))

    home = tmp_path / "home"
    home.mkdir()
    assert main(["report", "--home", str(home)]) == 2
    assert "no published file" in capsys.readouterr().err
    soenderborg_publication(home / "publication.duckdb")
    assert main(["report", "--home", str(home), "--plan", "no-such-plan"]) == 2
    assert "no plan no-such-plan" in capsys.readouterr().err
    assert main(["report", "--home", str(home), "--plan", SOENDERBORG]) == 0
    out = capsys.readouterr().out
    assert str(home / "reports" / f"{SOENDERBORG}.html") in out and "index.html" in out
    assert sorted(p.name for p in (home / "reports").iterdir()) == ["index.html", f"{SOENDERBORG}.html"]
    assert main(["report", "--home", str(home), "--out", str(tmp_path / "elsewhere")]) == 0
    assert len(list((tmp_path / "elsewhere").glob("*.html"))) == 3


# --- the Dagster asset ----------------------------------------------------------------------

def test_status_reports_asset_follows_the_publication_in_every_selection():
    from warehouse import inbox_state
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    key = dg_key("status_reports")
    assert graph.get(key).parent_keys == {dg_key("publication")}
    assert key in defs.resolve_job_def("nightly").asset_layer.selected_asset_keys
    for source in inbox_state.SOURCES:  # the sensor's and the schedule's subsets include it too
        assert key in set(inbox_state.resolve_selection(defs, [source])), source


def test_status_reports_asset_writes_into_the_home(tmp_path, monkeypatch):
    import dagster as dg

    from warehouse.config import PLANS_DIR

    monkeypatch.setenv("HELHEDSDATA_PLANS", str(PLANS_DIR))  # not whatever an earlier run exported

    from orchestration.assets.report import status_reports
    from orchestration.resources import HelhedsdataResource

    home = tmp_path / "home"
    home.mkdir()
    soenderborg_publication(home / "publication.duckdb")
    with dg.instance_for_test() as instance:  # its own instance, not whatever an earlier test left current
        result = dg.materialize([status_reports], instance=instance,
                                resources={"helhedsdata": HelhedsdataResource(home=str(home))})
    assert result.success
    assert sorted(p.name for p in (home / "reports").glob("*.html")) == ["index.html", f"{ISHOEJ}.html",
                                                                         f"{SOENDERBORG}.html"]
    md = result.asset_materializations_for_node("status_reports")[0].metadata
    assert md["reports"].value[ISHOEJ]["covered"] is False
    assert md["reports"].value[SOENDERBORG]["bytes"] == (home / "reports" / f"{SOENDERBORG}.html").stat().st_size


def dg_key(name):
    import dagster as dg

    return dg.AssetKey(name)


@pytest.mark.parametrize("published", [True, False])
def test_a_failed_report_step_does_not_make_a_publication_not_published(published, monkeypatch, tmp_path):
    """The not_published_sensor records a not-published row for a failed run, unless the run's
    publication materialized and only a later step (the status reports) failed."""
    import dagster as dg

    import warehouse.notify
    from orchestration.sensors import not_published_sensor

    recorded = []
    monkeypatch.setattr(warehouse.notify, "handle_not_published", lambda *a: recorded.append(a))
    monkeypatch.setenv("HELHEDSDATA_HOME", str(tmp_path))

    @dg.asset(name="publication")
    def publication_stand_in():
        if not published:
            raise Exception("publication failed")

    @dg.asset(name="status_reports", deps=["publication"])
    def reports_stand_in():
        raise Exception("report failed")

    with dg.instance_for_test() as instance:
        result = dg.materialize([publication_stand_in, reports_stand_in], instance=instance, raise_on_error=False)
        assert not result.success
        context = dg.build_run_status_sensor_context(
            sensor_name="not_published_sensor", dagster_instance=instance, dagster_run=result.dagster_run,
            dagster_event=result.get_run_failure_event()).for_run_failure()
        outcome = not_published_sensor(context)
    if published:
        assert isinstance(outcome, dg.SkipReason) and "the run published" in outcome.skip_message
        assert recorded == []
    else:
        assert len(recorded) == 1


def test_a_later_run_that_did_not_publish_is_named(tmp_path):
    ind, status = soenderborg_rows()
    blocked = {**log_row(), "publication_id": "run-2", "status": "blocked",
               "published_at": dt.datetime(2021, 3, 3, 1, 0), "message": "blocked"}
    pub = write_publication(tmp_path / "publication.duckdb", ind, status, [log_row(), blocked])
    html = build(pub, plans(), tmp_path / "reports", [SOENDERBORG])[0].html
    assert "Kørslen 03.03.2021 kl. 02.00 offentliggjorde ikke (blokeret af en kontrol)" in html
    assert "Offentliggjort 02.03.2021 kl. 03.05" in html  # the publication shown, in Danish time
