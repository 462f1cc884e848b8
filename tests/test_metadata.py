"""Metadata for the UI (orchestration/metadata.py), without a pipeline run: the source preview
shows counts only, 1-4 as "<5"; the dbt model metadata is read from a finished warehouse,
and a failed dbt build still delivers its events before its error."""
import json
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pytest

from orchestration import metadata as md


def test_preview_counts_codes_and_hides_small_counts():
    codes = ["6.1"] * 7 + ["6.2"] * 4 + ["6.3"] * 1 + [None] * 5
    table = pa.table({"person_key": [f"k{i}" for i in range(len(codes))], "maalgruppe_code": codes,
                      "start_date": [date(2020, 1, 1)] * len(codes)})
    text = md.preview_markdown(table)
    assert "| maalgruppe_code | rows |" in text
    assert "| 6.1 | 7 |" in text and "| (empty) | 5 |" in text
    assert "| 6.2 | <5 |" in text and "| 6.3 | <5 |" in text
    assert "| **total** | 17 |" in text
    assert "k0" not in text and "k1" not in text  # never a key or a row


def test_preview_without_a_code_column_groups_by_year_and_caps_the_lines():
    days = [date(2000 + i % 40, 1, 1) for i in range(400)]
    table = pa.table({"person_key": ["x"] * 400, "frist": days})
    text = md.preview_markdown(table)
    assert "| year of frist | rows |" in text
    assert text.count("\n| 20") == md.PREVIEW_MAX_ROWS
    assert f"| ({40 - md.PREVIEW_MAX_ROWS} more values) | {(40 - md.PREVIEW_MAX_ROWS) * 10} |" in text
    assert md.shown(0) == "0" and md.shown(1) == "<5" and md.shown(4) == "<5" and md.shown(5) == "5"


def test_preview_of_a_table_with_nothing_safe_to_group_by_is_a_count():
    assert md.preview_markdown(pa.table({"person_key": ["a", "b"]})) == "2 rows (no coded column to group by)"


def _project(tmp_path: Path):
    """A two-model manifest, its compiled SQL and a finished warehouse for it."""
    wh = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(wh))
    con.execute("CREATE SCHEMA raw; CREATE SCHEMA marts")
    con.execute("CREATE TABLE raw.src AS SELECT range AS id, range % 3 AS grp FROM range(10)")
    con.execute("CREATE TABLE marts.per_grp AS SELECT grp, count(*) AS n FROM raw.src GROUP BY grp")
    con.close()
    target = tmp_path / "target"
    sql = target / "compiled" / "p" / "models" / "per_grp.sql"
    sql.parent.mkdir(parents=True)
    sql.write_text('select grp, count(*) as n from "warehouse"."raw"."src" group by grp')
    src = {"unique_id": "source.p.raw.src", "resource_type": "source", "schema": "raw", "identifier": "src",
           "name": "src", "source_name": "raw", "relation_name": '"warehouse"."raw"."src"', "meta": {},
           "config": {}, "tags": [], "fqn": ["p", "raw", "src"], "package_name": "p"}
    node = {"unique_id": "model.p.per_grp", "resource_type": "model", "schema": "marts", "alias": "per_grp",
            "name": "per_grp", "language": "sql", "package_name": "p", "original_file_path": "models/per_grp.sql",
            "relation_name": '"warehouse"."marts"."per_grp"', "depends_on": {"nodes": [src["unique_id"]]},
            "columns": {"n": {"description": "rows per group"}}, "config": {"materialized": "table"},
            "meta": {}, "tags": [], "fqn": ["p", "per_grp"]}
    manifest = {"nodes": {node["unique_id"]: node}, "sources": {src["unique_id"]: src},
                "parent_map": {node["unique_id"]: [src["unique_id"]]}, "metadata": {"adapter_type": "duckdb"}}
    return wh, target, manifest


def _events(fail: bool):
    yield dg.Output(None, output_name="per_grp", metadata={"unique_id": "model.p.per_grp"})
    yield dg.AssetCheckResult(asset_key="per_grp", check_name="not_null", passed=False)
    if fail:
        raise RuntimeError("dbt build failed")


def test_model_metadata_after_dbt_exits(tmp_path):
    from dagster_dbt import DagsterDbtTranslator

    wh, target, manifest = _project(tmp_path)
    cache = tmp_path / "cache" / "lineage.json"
    timings = {}
    out = list(md.with_model_metadata(_events(False), manifest, wh, DagsterDbtTranslator(), target, timings, cache))
    # dbt's events pass on as they came; the model's metadata follows as an observation
    assert [type(e) for e in out] == [dg.Output, dg.AssetCheckResult, dg.AssetObservation]
    assert out[2].asset_key == dg.AssetKey("per_grp")
    m = out[2].metadata
    assert m["dagster/row_count"].value == 3
    cols = {c.name: c for c in m["dagster/column_schema"].schema.columns}
    assert list(cols) == ["grp", "n"] and cols["n"].description == "rows per group"
    deps = m["dagster/column_lineage"].column_lineage.deps_by_column
    assert [(d.asset_key, d.column_name) for d in deps["grp"]] == [(dg.AssetKey(["raw", "src"]), "grp")]
    assert timings["model_metadata_seconds"] >= timings["row_counts_and_schema_seconds"]
    # The lineage is cached by SQL and column types; a second build reads it back equal.
    assert len(json.loads(cache.read_text())) == 1
    again = list(md.with_model_metadata(_events(False), manifest, wh, DagsterDbtTranslator(), target, {}, cache))
    assert again[2].metadata["dagster/column_lineage"] == m["dagster/column_lineage"]
    # Changed SQL is not answered from the cache.
    (target / "compiled" / "p" / "models" / "per_grp.sql").write_text(
        'select grp as g, count(*) as n from "warehouse"."raw"."src" group by grp')
    duckdb.connect(str(wh)).execute("CREATE OR REPLACE TABLE marts.per_grp AS "
                                    "SELECT grp AS g, count(*) AS n FROM raw.src GROUP BY grp").close()
    changed = list(md.with_model_metadata(_events(False), manifest, wh, DagsterDbtTranslator(), target, {}, cache))
    assert "g" in changed[2].metadata["dagster/column_lineage"].column_lineage.deps_by_column


def test_failed_dbt_build_still_yields_its_events_then_raises(tmp_path):
    from dagster_dbt import DagsterDbtTranslator

    wh, target, manifest = _project(tmp_path)
    got = []
    with pytest.raises(RuntimeError, match="dbt build failed"):
        for ev in md.with_model_metadata(_events(True), manifest, wh, DagsterDbtTranslator(), target):
            got.append(ev)
    assert [type(e) for e in got] == [dg.Output, dg.AssetCheckResult, dg.AssetObservation]
    assert got[2].metadata["dagster/row_count"].value == 3


def test_metadata_failure_never_fails_the_build(tmp_path):
    from dagster_dbt import DagsterDbtTranslator

    _, target, manifest = _project(tmp_path)
    out = list(md.with_model_metadata(_events(False), manifest, tmp_path / "missing" / "x.duckdb",
                                      DagsterDbtTranslator(), target))
    assert [type(e) for e in out] == [dg.Output, dg.AssetCheckResult]  # no observation, no error


ROW_RULES_SQL = """
with counted as (
    select count(*) filter (where not coalesce((n > 3), false)) as rule_1,
           count(*) filter (where not coalesce((grp || 'x' <> '1x'), false)) as rule_2
    from "warehouse"."marts"."per_grp")
select 'n > 3' as rule, rule_1 as failing_rows from counted where rule_1 > 0
union all
select 'grp ||
   ''x'' <> ''1x''' as rule, rule_2 as failing_rows from counted where rule_2 > 0
"""


def test_a_failed_row_rules_check_names_its_broken_rules_once_dbt_has_exited(tmp_path):
    """One check holds all of a model's row rules (dbt_project/tests/generic/row_rules.sql);
    when it fails, its own SQL is run again on the finished warehouse and the check's
    metadata names each broken rule with its count (rule texts and counts, never a row).
    Other checks pass on as they came."""
    from dagster_dbt import DagsterDbtTranslator

    wh, target, manifest = _project(tmp_path)
    test = {"unique_id": "test.p.row_rules_per_grp", "resource_type": "test", "name": "row_rules_per_grp",
            "package_name": "p", "original_file_path": "models/_models.yml", "path": "row_rules_per_grp.sql",
            "test_metadata": {"name": "row_rules", "kwargs": {}}}
    manifest["nodes"][test["unique_id"]] = test
    sql = target / "compiled" / "p" / "models" / "_models.yml" / "row_rules_per_grp.sql"
    sql.parent.mkdir(parents=True)
    sql.write_text(ROW_RULES_SQL)

    def events():
        yield dg.AssetCheckResult(asset_key="per_grp", check_name="row_rules_per_grp", passed=False,
                                  severity=dg.AssetCheckSeverity.ERROR,
                                  metadata={"unique_id": test["unique_id"], "dagster_dbt/failed_row_count": 3})
        yield dg.AssetCheckResult(asset_key="per_grp", check_name="other", passed=False,
                                  metadata={"unique_id": "test.p.other"})
        raise RuntimeError("dbt build failed")

    got = []
    with pytest.raises(RuntimeError, match="dbt build failed"):
        for ev in md.with_model_metadata(events(), manifest, wh, DagsterDbtTranslator(), target):
            got.append(ev)
    assert [e.check_name for e in got[:2]] == ["other", "row_rules_per_grp"]
    held = got[1]
    assert not held.passed and held.severity == dg.AssetCheckSeverity.ERROR
    assert held.metadata["dagster_dbt/failed_row_count"].value == 3
    # groups 0, 1, 2 hold 4, 3 and 3 rows: two break `n > 3`; group 1 breaks the second rule,
    # whose text spans two lines
    assert held.metadata["broken_rules"].value == "n > 3: 2 rows; grp || 'x' <> '1x': 1 rows"


def test_an_interrupt_passes_a_held_row_rules_check_on_as_it_came(tmp_path):
    from dagster_dbt import DagsterDbtTranslator

    wh, target, manifest = _project(tmp_path)
    manifest["nodes"]["test.p.rr"] = {"unique_id": "test.p.rr", "resource_type": "test", "name": "rr",
                                      "test_metadata": {"name": "row_rules", "kwargs": {}}}

    def events():
        yield dg.AssetCheckResult(asset_key="per_grp", check_name="rr", passed=False, metadata={"unique_id": "test.p.rr"})
        raise KeyboardInterrupt

    got = []
    with pytest.raises(KeyboardInterrupt):
        for ev in md.with_model_metadata(events(), manifest, wh, DagsterDbtTranslator(), target):
            got.append(ev)
    assert [(e.check_name, "broken_rules" in e.metadata) for e in got] == [("rr", False)]


def test_row_counts_are_read_for_tables_and_not_for_views(tmp_path):
    """A view's count would run its query again (the status views: 2.9 s at 1 000 000
    persons); its columns are still read."""
    wh, _, _ = _project(tmp_path)
    with duckdb.connect(str(wh)) as con:
        con.execute("CREATE VIEW marts.per_grp_view AS SELECT grp, n * 2 AS n2 FROM marts.per_grp")
        con.execute("CREATE SCHEMA staging; CREATE VIEW staging.stg_src AS SELECT id FROM raw.src")
    nodes = [{"unique_id": f"model.p.{n}", "schema": "marts", "alias": n, "name": n} for n in ("per_grp", "per_grp_view")]
    # a staging view is one source table renamed and typed: counted
    nodes.append({"unique_id": "model.p.stg_src", "schema": "staging", "alias": "stg_src", "name": "stg_src",
                  "fqn": ["p", "staging", "stg_src"]})
    columns, counts = md.warehouse_facts(wh, nodes)
    assert counts == {"model.p.per_grp": 3, "model.p.stg_src": 10}
    assert columns[("marts", "per_grp_view")] == {"grp": "BIGINT", "n2": "BIGINT"}
