"""The dbt project keeps its own rules: dbt's layering in names and folders, and every
model documented and tested in YAML beside it."""
import json
import re

import pytest

from helhedsdata.cli import prepare_dbt
from helhedsdata.config import DBT_PROJECT_DIR

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

    from helhedsdata.cli import dbt_sources_newer_than

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


def test_dbt_resource_starts_no_version_subprocess_and_no_adapter(monkeypatch):
    """dagster-dbt runs `dbt --version` before every command and opens a dbt adapter in the
    Dagster process (docs/benchmarks.md, "Fixed cost of a night"): with this environment's own
    dbt the version is the installed dbt-core's, and the adapter (only for dagster-dbt's
    fetch_row_counts / fetch_column_metadata, not used) is not opened."""
    import importlib.metadata

    import dagster_dbt.core.resource as dbt_resource_module

    from helhedsdata.config import ensure_dbt_on_path
    from orchestration.assets.dbt import dbt_resource

    ensure_dbt_on_path()

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"subprocess started: {args}")

    monkeypatch.setattr(dbt_resource_module, "check_output", no_subprocess)
    resource = dbt_resource()
    assert str(resource._cli_version) == importlib.metadata.version("dbt-core")
    assert resource._initialize_dbt_core_adapter(["build"]) is None
