"""The dbt project keeps its own rules: dbt's layering in names and folders, and every
model documented and tested in YAML beside it."""
import json
import re

import pytest

from cli.main import prepare_dbt
from warehouse.config import DBT_PROJECT_DIR

LAYERS = {
    "staging": re.compile(r"^stg_[a-z]+__[a-z_]+$"),
    "intermediate": re.compile(r"^int_[a-z]+_[a-z_]+$"),
    "marts": re.compile(r"^[a-z_]+$"),
}


@pytest.fixture(scope="module")
def manifest():
    path = DBT_PROJECT_DIR / "target" / "manifest.json"
    if not path.exists():
        prepare_dbt()
    return json.loads(path.read_text())


def models(manifest):
    return [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]


def test_models_follow_the_layering(manifest):
    found = models(manifest)
    assert len(found) > 20
    for node in found:
        layer = node["fqn"][1]
        assert layer in LAYERS, f"{node['original_file_path']}: not under staging/, intermediate/ or marts/"
        assert LAYERS[layer].match(node["name"]), f"{node['name']} does not follow the {layer} naming"


def test_every_model_is_documented_and_tested(manifest):
    tested = {dep for n in manifest["nodes"].values() if n["resource_type"] == "test"
              for dep in n["depends_on"]["nodes"]}
    for node in models(manifest):
        assert node["description"].strip(), f"{node['name']}: no description in YAML"
        assert node["patch_path"], f"{node['name']}: no YAML beside it"
        assert node["unique_id"] in tested, f"{node['name']}: no test"


def test_published_models_have_enforced_contracts(manifest):
    published = [n for n in models(manifest) if "published" in n["tags"]]
    assert {n["alias"] for n in published} >= {"maalgruppe_status", "indicator_values"}
    for n in published:
        assert n["config"]["contract"]["enforced"], n["name"]
        assert all(c.get("data_type") for c in n["columns"].values()), n["name"]


def test_manifest_is_prepared_again_only_when_a_dbt_file_changed(tmp_path):
    import os
    import shutil

    from cli.main import dbt_sources_newer_than

    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    manifest = project / "target" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text("{}")
    later = manifest.stat().st_mtime + 10
    os.utime(manifest, (later, later))
    assert not dbt_sources_newer_than(manifest, project)
    (project / ".user.yml").write_text("id: x")  # dbt's own file beside the profile
    os.utime(project / ".user.yml", (later + 5, later + 5))
    assert not dbt_sources_newer_than(manifest, project)
    model = next((project / "models").rglob("*.sql"))
    os.utime(model, (later + 5, later + 5))
    assert dbt_sources_newer_than(manifest, project)


def test_unit_tests_pin_the_precedence_models(manifest):
    # Issue 12's hand-computed cases live as dbt unit tests beside the models they pin.
    pinned = {u["model"] for u in manifest.get("unit_tests", {}).values()}
    assert {"int_combine_maalgruppe_periods", "int_combine_address_periods", "int_combine_tilbud_periods",
            "int_merge_maalgruppe_spells"} <= pinned


@pytest.mark.slow
def test_dbt_unit_tests_pass(generated_run, tmp_path):
    """dbt's unit tests run here, not in the nightly build (they test the SQL, not the night's
    data). dbt needs their models' parents in a warehouse: a copy of the shared run's."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    _, home = generated_run
    shutil.copy(home / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    env = {**os.environ, "HELHEDSDATA_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).parent / "dbt"
    proc = subprocess.run([str(dbt), "test", "--select", "test_type:unit", "--project-dir", str(DBT_PROJECT_DIR),
                           "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"),
                           "--log-path", str(tmp_path / "logs")], env=env, capture_output=True, text=True)
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    failed = [r["unique_id"] for r in results if r["status"] != "pass"]
    assert proc.returncode == 0 and not failed, (failed, proc.stdout[-3000:])
    expected = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text()).get("unit_tests", {})
    assert len(results) == len(expected) >= 6



@pytest.mark.slow  # dbt in a subprocess of its own, on a copy of the shared run's warehouse
def test_a_warm_rebuild_replaces_tables_and_views_in_place_and_keeps_the_views_on_them(generated_run, tmp_path):
    """The project's table materialization (macros/materializations/table.sql) drops and
    recreates a table inside the model's transaction, where dbt-duckdb's renames it to a
    backup first (issue 13, item 3: those statements made a warm home's dbt slower than an
    empty one's); its view materialization (view.sql) replaces a view with one statement. In a
    warm warehouse: no backup or intermediate relation is made or left (one left by an earlier
    run that stopped half-way is dropped), the views selecting
    from the rebuilt table still answer, the Python model (on a connection of its own) is still
    built, and a view model whose name holds a table (a model that was a table) is a view again."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import duckdb

    _, home = generated_run
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(home / "warehouse.duckdb", warehouse)
    with duckdb.connect(str(warehouse)) as con:
        before = con.execute("SELECT count(*) FROM intermediate.int_merge_maalgruppe_spells").fetchone()[0]
        statuses = con.execute("SELECT count(*) FROM intermediate.int_assign_maalgruppe_status").fetchone()[0]
        # stg_momentum__samtale was a table: the view materialization must replace it
        con.execute("CREATE TABLE staging.samtale_rows AS SELECT * FROM staging.stg_momentum__samtale")
        con.execute("DROP VIEW staging.stg_momentum__samtale")
        con.execute("ALTER TABLE staging.samtale_rows RENAME TO stg_momentum__samtale")
        # what dbt's default view materialization left when a run stopped half-way
        con.execute("CREATE VIEW intermediate.int_assign_maalgruppe_status__dbt_backup AS SELECT 1 AS x")
        con.execute("CREATE TABLE intermediate.int_merge_maalgruppe_spells__dbt_tmp AS SELECT 1 AS x")
    env = {**os.environ, "HELHEDSDATA_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).parent / "dbt"
    proc = subprocess.run([str(dbt), "run", "--select", "int_merge_maalgruppe_spells", "indicator_results_disclosed",
                           "int_assign_maalgruppe_status", "stg_momentum__samtale",
                           "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
                           "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
                           "--log-level-file", "debug"], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
    log = (tmp_path / "logs" / "dbt.log").read_text()
    for model in ("int_merge_maalgruppe_spells", "int_assign_maalgruppe_status", "stg_momentum__samtale"):
        assert f'rename to "{model}__dbt_backup"' not in log
        assert f'{model}__dbt_tmp" as' not in log
    assert 'create or replace view "warehouse"."intermediate"."int_assign_maalgruppe_status"' in log
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM intermediate.int_merge_maalgruppe_spells").fetchone()[0] == before > 0
        assert con.execute("SELECT count(*) FROM marts.indicator_results_disclosed").fetchone()[0] > 0
        left = con.execute("SELECT table_name FROM information_schema.tables "
                           "WHERE table_name LIKE '%__dbt_backup' OR table_name LIKE '%__dbt_tmp'").fetchall()
        assert left == []
        views = con.execute("SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal").fetchall()
        assert ("intermediate", "int_assign_maalgruppe_status") in views
        assert ("staging", "stg_momentum__samtale") in views
        assert con.execute("SELECT count(*) FROM intermediate.int_assign_maalgruppe_status").fetchone()[0] == statuses > 0
        for schema, view in views:  # each still binds to the tables it selects from
            con.execute(f'SELECT * FROM "{schema}"."{view}" LIMIT 0')


@pytest.mark.slow
def test_a_new_homes_first_build_reuses_the_prepared_parse(generated_run):
    """The shared run is its home's first night: dbt started from the project's prepared
    partial-parse state, adapted to the home's warehouse (orchestration/dbt_inprocess.py,
    `seed_partial_parse`), instead of parsing in full because the profile names another
    warehouse; and the profile checksum computed here is the one dbt itself wrote for the home."""
    import json

    import msgpack

    from orchestration.dbt_inprocess import profile_hash

    _, home = generated_run
    target = home / "dbt" / "target"
    logs = [*sorted(target.glob("dbt.log.*"), reverse=True), target / "dbt.log"]  # oldest first
    events = [json.loads(line)["info"] for log in logs for line in log.read_text().splitlines()
              if line.startswith("{")]
    # the log still begins with the home's first dbt invocation (nothing rotated away)
    first = events[0]["invocation_id"]
    assert events[0]["name"] == "MainReportVersion"
    first_parse = next(e for e in events if e["name"] in ("PartialParsingEnabled", "UnableToPartialParse"))
    assert first_parse["invocation_id"] == first
    assert first_parse["msg"].startswith("Partial parsing enabled"), first_parse["msg"]
    state = msgpack.unpackb((target / "partial_parse.msgpack").read_bytes(), raw=False, strict_map_key=False)
    assert state["state_check"]["profile_hash"]["checksum"] == profile_hash(DBT_PROJECT_DIR, str(home / "warehouse.duckdb"))
    # the night's run_results.json, written by orchestration/dbt_inprocess.py from dbt's result
    # (dbt itself is told not to write its JSON artifacts: no manifest.json in the home)
    results = json.loads((target / "run_results.json").read_text())
    assert results["metadata"]["invocation_id"] == first and len(results["results"]) > 100
    assert all(r["status"] in ("success", "pass") for r in results["results"])
    assert not (target / "manifest.json").exists()


@pytest.mark.slow
def test_dbt_accepts_a_partial_parse_adapted_to_another_warehouse(generated_run, tmp_path):
    """dbt itself is the judge: the project parsed for one warehouse path (the shared run's
    home, by dbt in that night), its state adapted to another (orchestration/dbt_inprocess.py,
    `seed_partial_parse`), and dbt parsing for that other path reuses it ("Partial parsing
    enabled", not "profile has changed") and writes the same profile checksum `profile_hash`
    computed."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import msgpack

    from orchestration.dbt_inprocess import profile_hash, record_parsed_for, seed_partial_parse

    dbt = Path(sys.executable).parent / "dbt"

    def parse(target: Path, warehouse: Path) -> str:
        env = {**os.environ, "HELHEDSDATA_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        proc = subprocess.run([str(dbt), "parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
                               str(DBT_PROJECT_DIR), "--target-path", str(target), "--log-path", str(target),
                               "--log-level-file", "debug", "--log-format-file", "text"],
                              env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout[-3000:]
        return (target / "dbt.log").read_text()

    _, home = generated_run
    one, two = home / "warehouse.duckdb", tmp_path / "two" / "warehouse.duckdb"
    (tmp_path / "prepared").mkdir()  # a copy: the note is not written into the shared home
    shutil.copy(home / "dbt" / "target" / "partial_parse.msgpack", tmp_path / "prepared")
    record_parsed_for(tmp_path / "prepared", str(one))
    (tmp_path / "home").mkdir()
    assert seed_partial_parse(tmp_path / "prepared" / "partial_parse.msgpack", tmp_path / "home" / "partial_parse.msgpack",
                              DBT_PROJECT_DIR, str(two))
    log = parse(tmp_path / "home", two)
    assert "Partial parsing enabled" in log
    assert "Unable to do partial parsing" not in log
    state = msgpack.unpackb((tmp_path / "home" / "partial_parse.msgpack").read_bytes(), raw=False, strict_map_key=False)
    assert state["state_check"]["profile_hash"]["checksum"] == profile_hash(DBT_PROJECT_DIR, str(two))


@pytest.mark.slow
def test_row_rules_count_each_broken_rule_as_the_single_tests_did(generated_run, tmp_path):
    """tests/generic/row_rules.sql holds a model's rules in one test. Four rows added to a
    copy of the shared run's int_generate_periods break its rules in known ways: dbt's failure
    count is the sum of breaches, and the test's SQL names each broken rule with its count.
    Nulls behave as in the single tests: accepted by accepted_values, a failure for not_null
    and for an expression that is not true, no failure for end_not_before_start. A key held
    twice counts once (as unique_combination did), and an overlap counts each period that
    starts on or before an earlier period's end (a null end is open), as
    periods_do_not_overlap did; a relationship counts each row whose value is not null and not
    in the other model's column, as dbt's relationships did."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import duckdb

    _, home = generated_run
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(home / "warehouse.duckdb", db)
    with duckdb.connect(str(db)) as con:
        con.execute("""insert into intermediate.int_generate_periods
            (period_type, period_start, period_end, period_days, calendar_end, period_complete) values
            ('week', date '2020-01-01', date '2020-01-31', 31, date '2020-01-31', true),  -- A: type
            ('month', date '2020-02-10', date '2020-02-01', -8, null, false),            -- B: end, calendar_end
            (null, date '2020-03-01', date '2020-03-31', 31, date '2020-03-31', true),    -- C: nothing
            ('month', date '2020-04-01', null, 30, date '2020-04-30', false)              -- D: both expressions, key held twice""")
        # person -1: periods 2 and 3 start within (3: on the last day of) the one before, 5 within
        # the open 4; none of the other rules is broken
        con.execute("""insert into intermediate.int_merge_maalgruppe_spells
            (person_key, maalgruppe_code, spell_start, spell_end, n_periods) values
            (-1, '6.1', date '2020-01-01', date '2020-01-31', 1), (-1, '6.1', date '2020-01-15', date '2020-02-28', 1),
            (-1, '6.1', date '2020-02-28', date '2020-03-31', 1), (-1, '6.1', date '2020-05-01', null, 1),
            (-1, '6.1', date '2020-06-01', date '2020-06-30', 1), (-2, '6.1', date '2020-01-01', date '2020-01-31', 1)""")
        # two years of a målgruppe the seed does not know (a relationship broken twice), one with none
        con.execute("""insert into marts.ind_tilgang select * replace ('9.9' as variant) from marts.ind_tilgang
                       where variant = '6.1' and area_level = 'kommune' order by period_start limit 2""")
        con.execute("""insert into marts.ind_tilgang select * replace (null as variant) from marts.ind_tilgang
                       where variant = '6.1' and area_level = 'kommune' order by period_start limit 1""")
    env = {**os.environ, "HELHEDSDATA_WAREHOUSE": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).parent / "dbt"
    tests = ["row_rules_int_generate_periods", "row_rules_int_merge_maalgruppe_spells", "row_rules_ind_tilgang"]
    proc = subprocess.run([str(dbt), "test", "--select", *tests, "--project-dir",
                           str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path",
                           str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
                          env=env, capture_output=True, text=True)
    results = {r["unique_id"].split(".")[2]: r for r in
               json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]}
    assert proc.returncode == 1 and {t: r["status"] for t, r in results.items()} == dict.fromkeys(tests, "fail"), \
        proc.stdout[-2000:]
    assert [results[t]["failures"] for t in tests] == [7, 3, 2]
    from orchestration.metadata import compiled_test_sql

    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    broken = {}
    for test in tests:
        [node] = [n for n in manifest["nodes"].values() if n["name"] == test]
        compiled = compiled_test_sql(node, tmp_path / "target").read_text()  # where the check's metadata finds it
        with duckdb.connect(str(db), read_only=True) as con:
            broken[test] = dict(con.execute(compiled).fetchall())
    assert broken[tests[0]] == {
        "period_type in (month, quarter, year)": 1,  # A (C's null type is accepted)
        "calendar_end is not null": 1,  # B
        "period_end >= period_start": 1,  # B (D's null end is not a breach)
        "period_days = datediff('day', period_start, period_end) + 1": 1,  # D: null is not true
        "period_complete = (period_end = calendar_end) and period_end <= calendar_end": 2,  # B, D
        "(period_type, period_start) is unique": 1,  # D and the run's own April 2020
    }
    assert broken[tests[1]] == {"spell_start - spell_end do not overlap per person_key": 3}
    assert broken[tests[2]] == {"variant is in maalgruppe_koder.maalgruppe_code": 2}  # a null is no breach

def test_dbt_resource_starts_no_version_subprocess_and_no_adapter(monkeypatch):
    """dagster-dbt runs `dbt --version` before every command and opens a dbt adapter in the
    Dagster process (docs/benchmarks.md, "Fixed cost of a night"): with this environment's own
    dbt the version is the installed dbt-core's, and the adapter (only for dagster-dbt's
    fetch_row_counts / fetch_column_metadata, not used) is not opened."""
    import importlib.metadata

    import dagster_dbt.core.resource as dbt_resource_module

    from warehouse.config import ensure_dbt_on_path
    from orchestration.assets.dbt import dbt_resource

    ensure_dbt_on_path()

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"subprocess started: {args}")

    monkeypatch.setattr(dbt_resource_module, "check_output", no_subprocess)
    resource = dbt_resource()
    assert str(resource._cli_version) == importlib.metadata.version("dbt-core")
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_the_profiles_duckdb_options_hold_on_every_cursor_dbt_makes_without_a_set_per_cursor(tmp_path):
    """dbt_project/profiles.yml gives DuckDB its memory limit and insertion order when dbt-duckdb
    opens the database (`config_options`), not as `settings` (a SET on each of the ~120 cursors
    of a night): every cursor dbt-duckdb makes still runs under them."""
    import duckdb
    import yaml
    from dbt.adapters.duckdb.credentials import DuckDBCredentials
    from dbt.adapters.duckdb.environments import Environment

    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())["helhedsdata"]["outputs"]["duckdb"]
    options = profile["config_options"]
    assert set(options) == {"memory_limit", "preserve_insertion_order"} and "settings" not in profile
    creds = DuckDBCredentials.from_dict({"path": str(tmp_path / "w.duckdb"), "config_options": options})
    assert not creds.settings  # nothing for dbt-duckdb to SET on each cursor
    with duckdb.connect() as other:  # how DuckDB shows the limit asked for
        other.execute(f"SET memory_limit = '{options['memory_limit']}'")
        expected = other.execute("select current_setting('memory_limit')").fetchall()[0][0]
    conn = Environment.initialize_db(creds)
    try:
        cursor = Environment.initialize_cursor(creds, conn.cursor())
        assert cursor.execute("select current_setting('memory_limit'), current_setting('preserve_insertion_order')"
                              ).fetchall() == [(expected, False)]
    finally:
        conn.close()
