"""dbt seeds are loaded again only when their file, configuration or dbt changed
(orchestration/seeds.py). The pipeline's side (a second run on the same inbox loads no seed and
still runs their tests) is in tests/test_faults.py."""
import json

import duckdb
import pytest

from orchestration import seeds
from warehouse.config import DBT_PROJECT_DIR


def _node(name: str, column_types: dict | None = None) -> dict:
    return {"resource_type": "seed", "unique_id": f"seed.helhedsdata.{name}", "name": name, "alias": name,
            "schema": "seeds", "original_file_path": f"seeds/{name}.csv",
            "relation_name": f'"warehouse"."seeds"."{name}"',
            "config": {"schema": "seeds", "column_types": column_types or {"code": "varchar"}}}


@pytest.fixture
def project(tmp_path):
    (tmp_path / "seeds").mkdir()
    for name in ("a", "b", "c", "d"):
        (tmp_path / "seeds" / f"{name}.csv").write_text("code\nx\ny\n", encoding="utf-8")
    manifest = {"nodes": {n["unique_id"]: n for n in map(_node, "abcd")}}
    manifest["nodes"]["model.helhedsdata.m"] = {"resource_type": "model", "unique_id": "model.helhedsdata.m"}
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA seeds")
        for name in "abcd":
            con.execute(f"CREATE TABLE seeds.{name} AS SELECT 'x' AS code")
    return tmp_path, manifest, warehouse


def _names(nodes) -> list[str]:
    return sorted(n["name"] for n in nodes)


def _load(manifest, warehouse, root, uids) -> None:
    """What the dbt asset does around dbt: fingerprints taken and old ones cleared before, the
    fingerprints written after."""
    loading = seeds.fingerprints(manifest, root, uids)
    seeds.forget(manifest, warehouse, loading)
    seeds.record(manifest, warehouse, loading)


def test_a_seed_is_unchanged_only_while_its_table_holds_the_fingerprint_of_todays_file(project):
    root, manifest, warehouse = project
    assert seeds.unchanged(manifest, warehouse, root) == []  # never recorded: every seed is loaded
    _load(manifest, warehouse, root, ["seed.helhedsdata.a", "seed.helhedsdata.b", "seed.helhedsdata.c",
                                      "model.helhedsdata.m", "seed.helhedsdata.gone"])
    assert _names(seeds.unchanged(manifest, warehouse, root)) == ["a", "b", "c"]  # d: not loaded by that run

    (root / "seeds" / "a.csv").write_text("code\nx\ny\nz\n", encoding="utf-8")  # the file changed
    manifest["nodes"]["seed.helhedsdata.b"] = _node("b", {"code": "integer"})  # its configuration changed
    with duckdb.connect(str(warehouse)) as con:  # loaded again by dbt: a new table, no comment
        con.execute("DROP TABLE seeds.c")
        con.execute("CREATE TABLE seeds.c AS SELECT 'x' AS code")
    assert seeds.unchanged(manifest, warehouse, root) == []


def test_a_seed_reloaded_in_place_by_a_build_that_stopped_is_not_taken_for_unchanged(project):
    """dbt may reload a seed table in place (truncate and insert: the comment stays) and then
    stop before the fingerprints are written: the old fingerprint is cleared before dbt starts."""
    root, manifest, warehouse = project
    _load(manifest, warehouse, root, ["seed.helhedsdata.a"])
    assert _names(seeds.unchanged(manifest, warehouse, root)) == ["a"]
    seeds.forget(manifest, warehouse, seeds.fingerprints(manifest, root, ["seed.helhedsdata.a"]))
    with duckdb.connect(str(warehouse)) as con:
        con.execute("DELETE FROM seeds.a")
        con.execute("INSERT INTO seeds.a VALUES ('new')")
    assert seeds.unchanged(manifest, warehouse, root) == []  # stopped here: nothing recorded


def test_a_file_edited_while_dbt_loads_it_is_loaded_again_next_time(project):
    root, manifest, warehouse = project
    loading = seeds.fingerprints(manifest, root, ["seed.helhedsdata.a"])  # as dbt starts
    seeds.forget(manifest, warehouse, loading)
    (root / "seeds" / "a.csv").write_text("code\nedited\n", encoding="utf-8")  # while dbt runs
    seeds.record(manifest, warehouse, loading)  # dbt done: what it loaded, not what is there now
    assert seeds.unchanged(manifest, warehouse, root) == []


def test_the_fingerprint_covers_file_configuration_relation_and_dbt(project, monkeypatch):
    root, manifest, _ = project
    node = manifest["nodes"]["seed.helhedsdata.a"]
    fp = seeds.fingerprint(node, root)
    assert fp == seeds.fingerprint(json.loads(json.dumps(node)), root)  # a manifest read again
    assert fp != seeds.fingerprint({**node, "relation_name": '"warehouse"."other"."a"'}, root)
    assert fp != seeds.fingerprint({**node, "config": {**node["config"], "delimiter": ";"}}, root)
    (root / "seeds" / "a.csv").write_bytes((root / "seeds" / "a.csv").read_bytes().replace(b"\n", b"\r\n"))
    assert fp != seeds.fingerprint(node, root)
    fp = seeds.fingerprint(node, root)
    real = seeds.metadata.version
    for package in ("dbt-core", "dbt-duckdb", "duckdb"):
        monkeypatch.setattr(seeds.metadata, "version", lambda d, p=package: "0.0" if d == p else real(d))
        assert fp != seeds.fingerprint(node, root), package


def test_without_a_warehouse_or_while_it_cannot_be_read_every_seed_is_loaded(project, tmp_path):
    root, manifest, warehouse = project
    _load(manifest, warehouse, root, list(manifest["nodes"]))
    assert len(seeds.unchanged(manifest, warehouse, root)) == 4
    assert seeds.unchanged(manifest, tmp_path / "none.duckdb", root) == []
    with duckdb.connect(str(warehouse)):  # a writer holds it (another process would be refused)
        assert seeds.unchanged(manifest, warehouse, root) == []


def test_the_projects_seeds_are_fingerprinted_from_their_files():
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    nodes = seeds.seed_nodes(manifest)
    assert {n["name"] for n in nodes} >= {"maalgruppe_koder", "tilbudstyper", "indicators"}
    assert len({seeds.fingerprint(n, DBT_PROJECT_DIR) for n in nodes}) == len(nodes)
