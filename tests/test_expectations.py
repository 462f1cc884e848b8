"""Great Expectations suites (issue 5, item 1) and dbt tests as asset checks (item 2)."""
import json
from datetime import date
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pytest

from warehouse import expectations as E
from sources import momentum
from sources.contract import output_schema
from tests.conftest import SAMPLES, person_key


def test_suite_files_equal_what_the_generator_produces():
    built = E.build_suites()
    on_disk = {p.stem for p in E.SUITES_DIR.glob("*.json")}
    assert on_disk == set(built), "a suite file without a contract, or a contract without a suite file"
    for name, suite in built.items():
        assert (E.SUITES_DIR / f"{name}.json").read_text(encoding="utf-8") == E.render(suite), (
            f"expectations/{name}.json is stale: run `python -m warehouse.expectations`")


def test_one_suite_per_source_entity():
    assert set(E.build_suites()) == {
        "momentum__borger_adresse", "momentum__maalgruppe", "momentum__tilbud", "momentum__samtale",
        "opera__matchperioder", "opera__aktivering", "opera__adresser",
        "lbf__beboerdata", "roster__deltagere", "omraader__adresser"}


def test_code_lists_come_from_the_seeds():
    suite = E.load_suite("momentum__maalgruppe")
    codes = [e for e in suite["expectations"] if e["type"] == "expect_column_values_to_be_in_set"
             and e["kwargs"]["column"] == "maalgruppe_code"]
    from sources.codes import seed_values

    assert codes and codes[0]["kwargs"]["value_set"] == sorted(seed_values("maalgruppe_koder", "maalgruppe_code"))


@pytest.fixture(scope="module")
def sample_extract(pseudonym_key):
    folder = momentum.find_extracts(SAMPLES)[0]
    return momentum.read_extract(folder, pseudonym_key, SAMPLES)


def test_every_momentum_suite_passes_on_the_sample(sample_extract):
    for name, table in sample_extract.tables.items():
        r = E.validate(f"momentum__{name}", table, sample_extract.extract_date, sample_extract.row_counts[name])
        assert r.success, (name, r.failed)


def _maalgruppe_row(code: str, start: date, end: date | None, key: int) -> pa.Table:
    schema = output_schema(momentum.CONTRACTS["maalgruppe"])
    row = {"source_row": 1, "person_key": key, "foedselsdato": date(1980, 1, 1), "maalgruppe_code": code,
           "maalgruppe_name": "x", "start_date": start, "end_date": end, "afslutningsaarsag": None,
           "extract_date": date(2021, 3, 1)}
    return pa.Table.from_pylist([row], schema=schema)


def test_unknown_maalgruppe_code_fails_the_suite_without_naming_a_value(tmp_path):
    key = person_key("0101801234")
    bad = _maalgruppe_row("ZZ", date(2020, 1, 1), None, key)
    docs = tmp_path / "docs"
    r = E.validate("momentum__maalgruppe", bad, date(2021, 3, 1), 1, docs)
    assert not r.success
    # exactly one expectation fails: the code list, on one row of one
    assert [(f["column"], f["rule"], f["unexpected_count"], f["element_count"]) for f in r.failed] == [
        ("maalgruppe_code", "code", 1, 1)]
    text = json.dumps(r.failed) + json.dumps(r.metadata())
    assert str(key) not in text and "ZZ" not in text
    html = "".join(p.read_text(errors="ignore") for p in docs.rglob("*") if p.is_file() and p.suffix in (".html", ".json"))
    assert "momentum__maalgruppe" in html  # the docs were rendered
    assert str(key) not in html, "Data Docs list a person_key"


def test_dates_and_periods_and_control_count_fail():
    # start 1989 (before 1990), end 2099 (after the extract date), end before start: three
    # failures on the same row; control count 2 against 1 row: a fourth
    bad = _maalgruppe_row("LEDIG", date(1989, 12, 31), date(1989, 1, 1), 7)
    from sources.codes import seed_values

    bad = bad.set_column(3, "maalgruppe_code", pa.array([seed_values("maalgruppe_koder", "maalgruppe_code")[0]]))
    r = E.validate("momentum__maalgruppe", bad, date(2021, 3, 1), 2)
    rules = sorted((f["column"] or "", f["rule"]) for f in r.failed)
    assert rules == [("", "control-count"), ("end_date", "date-range"), ("end_date", "period"),
                     ("start_date", "date-range")]
    late = _maalgruppe_row(seed_values("maalgruppe_koder", "maalgruppe_code")[0], date(2020, 1, 1), date(2099, 1, 1), 7)
    r = E.validate("momentum__maalgruppe", late, date(2021, 3, 1), 1)
    assert [(f["column"], f["rule"]) for f in r.failed] == [("end_date", "date-range")]


def test_a_wrong_type_fails():
    t = _maalgruppe_row("x", date(2020, 1, 1), None, 7)
    t = t.set_column(5, "start_date", pa.array(["2020-01-01"]))
    r = E.validate("momentum__maalgruppe", t, date(2021, 3, 1), 1)
    assert ("start_date", "type") in [(f["column"], f["rule"]) for f in r.failed]


def test_a_sample_is_every_kth_row_and_still_counts_the_whole_table():
    t = pa.table({"a": list(range(10))})
    part, step = E.sample(t, 4)
    assert step == 3 and part.column("a").to_pylist() == [0, 3, 6, 9]
    rows = [_maalgruppe_row("x", date(2020, 1, 1), None, 7)] * 5
    big = pa.concat_tables(rows)
    from sources.codes import seed_values

    big = big.set_column(3, "maalgruppe_code", pa.array([seed_values("maalgruppe_koder", "maalgruppe_code")[0]] * 5))
    assert E.validate("momentum__maalgruppe", big, date(2021, 3, 1), 5, limit=2).success
    r = E.validate("momentum__maalgruppe", big, date(2021, 3, 1), 6, limit=2)
    assert [(f["rule"], f["unexpected_count"]) for f in r.failed] == [("control-count", 1)]


def test_asset_checks_appear_in_the_definitions():
    from orchestration.definitions import defs

    keys = {k.to_user_string() for k in defs.resolve_asset_graph().asset_check_keys}
    gx = {k for k in keys if k.endswith(":gx_suite")}
    assert gx == {f"{n.replace('__', '/')}:gx_suite" for n in E.build_suites()}
    # item 2: dbt tests surface as checks through dagster-dbt (each model's rules, e.g. its
    # not-null columns and its unique key, as one check)
    dbt_checks = keys - gx - {k for k in keys if k.endswith((":control_count_matches", ":rows_valid"))}
    assert len(dbt_checks) > 50
    assert "marts/indicator_results:row_rules_indicator_results" in dbt_checks
    [rules] = [k for k in defs.resolve_asset_graph().asset_check_keys if k.name == "row_rules_int_generate_periods"]
    description = defs.resolve_asset_graph().get_check_spec(rules).description
    assert "- calendar_end is not null\n" in description and "- period_end is not before period_start" in description
    assert "- (period_type, period_start) is unique" in description
    [persons] = [k for k in defs.resolve_asset_graph().asset_check_keys if k.name == "row_rules_int_derive_persons"]
    assert "- person_key is unique" in defs.resolve_asset_graph().get_check_spec(persons).description


@pytest.mark.slow
def test_pipeline_records_a_passing_gx_check_per_suite_and_renders_docs(generated_run, monkeypatch):
    _, home = generated_run
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    inst = dg.DagsterInstance.get()
    recs = inst.get_event_records(dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION), limit=5000)
    gx = {}
    for r in recs:
        ev = r.event_log_entry.dagster_event.event_specific_data
        if ev.check_name == "gx_suite":
            gx[ev.asset_key.to_user_string()] = ev.passed
    assert gx == {n.replace("__", "/"): True for n in E.build_suites()}
    assert (home / "gx" / "data_docs" / "index.html").exists()


def test_failing_dbt_check_blocks_publication(monkeypatch):
    """The publication asset refuses to copy when any ERROR check of the run failed
    (a dbt test that fails is such a check)."""
    from orchestration.assets import publish

    monkeypatch.setattr(publish, "_check_results", lambda ctx: [
        {"asset": "marts/indicator_results", "check": "not_null_indicator_results_value", "passed": False,
         "severity": "ERROR"}])
    import contextlib

    class _Con:
        def execute(self, *a):
            return self

        def fetchall(self):
            return []

    monkeypatch.setattr(publish, "connect", lambda *a, **k: contextlib.nullcontext(_Con()))
    monkeypatch.setattr(publish, "publish", lambda *a, **k: pytest.fail("published despite a failed check"))
    with pytest.raises(dg.Failure, match="not_null_indicator_results_value"):
        ctx = dg.build_asset_context()
        publish.publication.op.compute_fn.decorated_fn(ctx, _Fake())


class _Fake:
    class settings:  # noqa: N801
        warehouse = Path("/nonexistent")


def test_roster_duplicate_key_holds_per_activity_not_across_rosters():
    """One person may start two activities on one day (two rosters); the same person twice
    on one day in one roster is a duplicate. Seen at 200 000 synthetic persons."""
    from sources import roster

    def rows(*activities):
        return pa.Table.from_pylist([
            {"aktivitet": a, "person_key": 1, "startdato": date(2021, 3, 1), "slutdato": None,
             "status_ved_afslutning": None, "timer_pr_uge": None, "source_row": i + 2}
            for i, a in enumerate(activities)], schema=roster.SCHEMA)

    assert E.validate("roster__deltagere", rows("jobcafe", "lektiecafe")).success
    same = E.validate("roster__deltagere", rows("jobcafe", "jobcafe"))
    assert not same.success
    assert [f["expectation"] for f in same.failed] == ["expect_compound_columns_to_be_unique"]


def test_data_docs_of_a_step_built_once_are_the_pages_built_per_validation(tmp_path):
    """A source step validates its tables with defer_docs and builds the Data Docs once
    (expectations.build_docs): the same files, and the same pages apart from time stamps
    and GX's random element ids, as one build per validation (UpdateDataDocsAction)."""
    import re

    tables = {n: output_schema(c).empty_table() for n, c in momentum.CONTRACTS.items()}
    each, once = tmp_path / "each" / "data_docs", tmp_path / "once" / "data_docs"
    for run in ("run-1", "run-2"):
        for n, t in tables.items():
            assert E.validate(f"momentum__{n}", t, date(2021, 3, 1), 0, each, run_name=run).docs_ids == []
        results = [E.validate(f"momentum__{n}", t, date(2021, 3, 1), 0, once, run_name=run, defer_docs=True)
                   for n, t in tables.items()]
        assert all(len(r.docs_ids) == 2 and r.success for r in results)
        E.build_docs(once, results)

    stamp = re.compile(r"\d{8}T\d{6}\.\d+Z")
    noise = re.compile(r"\d{8}T\d{6}\.\d+Z|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                       r"|\d{4}-\d{2}-\d{2}[T ][0-9:.]+(\+00:00|Z)?|_run_time_sort.: [0-9.]+")

    def page(p):
        text = noise.sub("~", p.read_text(errors="ignore"))
        # The index holds lists (a row per validation, sorted by run times the noise removes;
        # the suites, in the order GX's context met them, which earlier tests in the same
        # process change): compared as sets of entries, seen to differ only in order.
        return sorted(re.split(r"\[\{|\}, \{|\}\]", text)) if p.name == "index.html" else text

    def pages(root):
        return {stamp.sub("T", str(p.relative_to(root))): page(p) for p in root.rglob("*") if p.is_file()}

    a, b = pages(each), pages(once)
    assert sorted(a) == sorted(b) and len(a) > 10
    assert [k for k in a if a[k] != b[k]] == []
    index = (once / "index.html").read_text()
    assert all(f"momentum__{n}" in index for n in tables) and "run-1" in index and "run-2" in index


@pytest.mark.slow  # a fresh interpreter importing GX: 6-20 s on the 2-core machine
def test_great_expectations_is_imported_without_loading_scipy_stats_until_it_is_used():
    # A third of GX's import time is one expectation's `from scipy import stats` (not in our
    # suites): warehouse.expectations._gx() defers it. In a fresh interpreter, since this
    # process may have loaded scipy.stats already; the deferred module must still work.
    import subprocess
    import sys

    code = ("import sys; from warehouse.expectations import _gx; gx = _gx(); "
            "assert gx.expectations.ExpectColumnValuesToNotBeNull; "
            "print('loaded' if 'scipy.stats._stats_py' in sys.modules else 'deferred'); "
            "from scipy import stats; print(round(float(stats.entropy([1, 1], [1, 3])), 4))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout.split()
    assert out == ["deferred", "0.1438"]


def test_the_workers_warm_up_makes_every_suites_batch_definition_and_a_docs_site_is_set_once(tmp_path, monkeypatch):
    """GX's worker makes each suite's data asset and batch definition as it starts (each
    addition writes the context's configuration out), and `_context` sets the Data Docs site and
    the results store only when they move to another folder."""
    E.warm_context()
    ctx = E._context(None)
    for spec in E.specs():
        assert ctx.data_sources.get("readers").get_asset(spec.name).get_batch_definition("whole") is not None
    E._context(tmp_path / "a")
    writes = []
    original = type(ctx)._save_project_config
    monkeypatch.setattr(type(ctx), "_save_project_config", lambda self, *a, **k: writes.append(1) or original(self, *a, **k))
    E._context(tmp_path / "a")
    assert writes == []
    E._context(tmp_path / "b")  # another home: the site moves
    assert writes and ctx.get_config().data_docs_sites["home"]["store_backend"]["base_directory"] == str(tmp_path / "b")


def test_a_nights_validations_use_the_checkpoints_registered_at_warm_up_and_a_changed_suite_registers_again(
        tmp_path, monkeypatch):
    """GX's worker registers each suite's checkpoint (suite, validation definition, checkpoint:
    three rewrites of the context's configuration) as it starts: a night's validation (a
    control count, not sampled, Data Docs deferred) registers nothing and checks every
    expectation; other expectations under the same name (sampled, a suite of its own) are
    registered and checked as they are."""
    E.warm_context()
    ctx = E._context(tmp_path / "data_docs")
    registered = []
    original = type(ctx.checkpoints).add_or_update
    monkeypatch.setattr(type(ctx.checkpoints), "add_or_update",
                        lambda self, cp: registered.append(cp.name) or original(self, cp))
    table = output_schema(momentum.CONTRACTS["samtale"]).empty_table()

    def night(control_count, suite=None):
        return E.validate("momentum__samtale", table, date(2021, 3, 1), control_count, tmp_path / "data_docs",
                          suite=suite, run_name="r", defer_docs=True)

    assert night(0).success and registered == []
    # kept where the Data Docs are built from, as a checkpoint registered then keeps it
    assert [p.name for p in (E.results_dir(tmp_path / "data_docs") / "momentum__samtale" / "r").rglob("*.json")]
    wrong = night(5)  # the control count is checked: the row count expectation is there
    assert not wrong.success and [f["expectation"] for f in wrong.failed] == ["expect_table_row_count_to_equal"]
    assert registered == []
    data = E.load_suite("momentum__samtale")
    without = {**data, "expectations": [e for e in data["expectations"] if e["type"] != "expect_table_row_count_to_equal"]}
    assert night(5, without).success and registered == ["momentum__samtale"]  # registered, checked as given
    assert night(5, without).success and registered == ["momentum__samtale"]  # once
    assert not night(5).success and registered == ["momentum__samtale"] * 2  # the suite's own again


def test_a_suite_gx_rejects_at_warm_up_leaves_the_worker_starting_and_fails_its_own_validation(
        tmp_path, monkeypatch, caplog):
    """GX's worker registers every suite as it starts (the pool's initializer): one suite GX
    rejects must not stop the worker, or every validation of the night would fail as a dead
    worker. It is logged, the others are registered, and its own validation fails naming it."""
    broken = {**E.load_suite("roster__deltagere"), "expectations": [{"type": "expect_no_such_thing", "kwargs": {}}]}
    real = E.load_suite
    monkeypatch.setattr(E, "load_suite", lambda name, *a: broken if name == "roster__deltagere" else real(name, *a))
    E.warm_context()
    assert "GX suite roster__deltagere not registered at warm-up" in caplog.text
    assert "lbf__beboerdata" in E._REGISTERED
    with pytest.raises(AttributeError, match="ExpectNoSuchThing"):
        E.validate("roster__deltagere", E.reader_schema("roster__deltagere").empty_table(), None, None,
                   tmp_path / "data_docs", defer_docs=True)
