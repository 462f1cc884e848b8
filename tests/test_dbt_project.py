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
