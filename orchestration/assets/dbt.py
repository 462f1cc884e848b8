"""The dbt models, seeds and tests as Dagster assets and asset checks (dagster-dbt).

The manifest is built once at install time (`helhedsdata prepare`), so loading the
definitions does not parse dbt."""

from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from dagster_shared.record import replace

from warehouse import gx_worker
from warehouse.database import upgrade_person_keys
from warehouse.publish import pause_for_crash_test
from warehouse.config import DBT_PROJECT_DIR, ensure_dbt_on_path
from orchestration import seeds
from orchestration.assets import report as report_assets
from orchestration.memory import release_freed_memory
from orchestration.metadata import with_model_metadata
from orchestration.resources import HelhedsdataResource

ensure_dbt_on_path()
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()  # only under `dagster dev`: picks up edited models


class Translator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # The folder is the layer: staging, intermediate, marts, marts/published -> published.
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        fqn = dbt_resource_props.get("fqn", [])
        if "published" in fqn[1:-1]:
            return "published"
        return fqn[1] if len(fqn) > 2 else "default"

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        # One check holds all of a model's rules (tests/generic/row_rules.sql): the UI lists
        # them in the check's description, as declared in the model's YAML.
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        test = manifest["nodes"].get(unique_id) or {}
        if spec is not None and not spec.description and (test.get("test_metadata") or {}).get("name") == "row_rules":
            spec = replace(spec, description=row_rules_description(test["test_metadata"]["kwargs"]))
        return spec


translator = Translator()


def row_rules_description(kwargs: Mapping[str, Any]) -> str:
    """The rules of a row_rules test, a line each, as its YAML declares them."""
    lines = [f"- {c} is not null" for c in kwargs.get("not_null", [])]
    lines += [f"- {c} is null or one of: {', '.join(map(str, v))}" for c, v in kwargs.get("accepted_values", {}).items()]
    lines += [f"- {r['column']} is null or in {r['to']}.{r['field']}" for r in kwargs.get("relationships", [])]
    lines += [f"- {e}" for e in kwargs.get("expressions", [])]
    lines += [f"- {p['end_column']} is not before {p['start_column']}" for p in kwargs.get("end_not_before_start", [])]
    lines += [f"- {c[0] if len(c) == 1 else '(' + ', '.join(c) + ')'} is unique" for c in kwargs.get("unique", [])]
    lines += [f"- periods {p['start_column']} - {p['end_column']} do not overlap per {', '.join(p['partition_by'])}"
              for p in kwargs.get("periods_do_not_overlap", [])]
    return ("Rules (failures = rows breaking a rule, or key values held by more than one row, per rule, "
            "summed):\n" + "\n".join(lines))


# Column lineage depends on the compiled SQL and column types only, not on the data or the
# home folder: one cache beside the manifest serves every home (and every test run).
LINEAGE_CACHE = DBT_PROJECT_DIR / "target" / "column_lineage.json"


class HelhedsdataDbtResource(DbtCliResource):
    """dagster-dbt's resource with dbt run in this process (`cli` below;
    orchestration/dbt_inprocess.py) and without two start-up costs it pays before every
    `dbt build` (docs/benchmarks.md, "Fixed cost of a night"):

    - `dbt --version` in a subprocess (a Python start and dbt's imports, ~1.5 s) to learn which
      dbt it runs: when `dbt` is this environment's own, the installed dbt-core's version is it;
    - a dbt adapter opened in the Dagster process (dbt's config and macros loaded, ~1 s), which
      dagster-dbt uses only for `.fetch_row_counts()` / `.fetch_column_metadata()`; those are not
      used here (orchestration/metadata.py reads row counts and columns itself once dbt exits).
    """

    @cached_property
    def _cli_version(self):
        import importlib.metadata
        import shutil
        import sys

        from packaging import version

        found = shutil.which(self.dbt_executable)
        if found and Path(found).resolve() == (Path(sys.executable).parent / "dbt").resolve():
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version  # a dbt from elsewhere: ask it

    def _initialize_dbt_core_adapter(self, args):
        return None

    def cli(self, args, **kwargs):
        """dagster-dbt's `cli`, with dbt run in this process (orchestration/dbt_inprocess.py)
        instead of a subprocess: dagster-dbt builds the command, selection and environment as
        always; only the invocation it starts is ours."""
        from orchestration import dbt_inprocess

        if not dbt_inprocess.in_process_enabled():
            # dbt.log as in process: only when asked for (dbt's own default is debug)
            return super().cli([*args, "--log-level-file", dbt_inprocess.file_log_level()], **kwargs)
        import dagster_dbt.core.resource as resource_module

        # dagster-dbt 0.29 offers no in-process mode and no hook for the invocation class: its
        # `cli` names `DbtCliInvocation` from its module, swapped here for the call's duration.
        original = resource_module.DbtCliInvocation
        resource_module.DbtCliInvocation = dbt_inprocess.InProcessDbtCliInvocation
        try:
            return super().cli(args, **kwargs)
        finally:
            resource_module.DbtCliInvocation = original


def dbt_resource() -> DbtCliResource:
    return HelhedsdataDbtResource(project_dir=dbt_project, profiles_dir=str(DBT_PROJECT_DIR))


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=translator)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, helhedsdata: HelhedsdataResource):
    s = helhedsdata.settings  # exports HELHEDSDATA_WAREHOUSE, which dbt's profile reads
    # dbt's DuckDB runs in this process: what the readers freed goes back to the OS first, so it
    # is not held beside DuckDB's buffer pool (orchestration/memory.py).
    helhedsdata.forget_pseudonyms()
    release_freed_memory()
    # The sources are done: Great Expectations' worker renders the Data Docs while dbt runs and,
    # after a big night, exits, returning its memory before dbt's peak (warehouse/gx_worker.py).
    gx_worker.release()
    report_assets.warm()
    # A night loads only the sources that changed: raw tables loaded before person keys were
    # integers are converted here, before any model joins them with today's.
    for t in upgrade_person_keys(s.warehouse):
        context.log.info(f"raw.{t}: person_key converted from text to BIGINT (loaded before stop 26)")
    # `build` runs models and their tests in DAG order: a failing test stops everything
    # downstream of it, so nothing built on bad data reaches publish_stage.
    # dbt's unit tests test the SQL, not the night's data: the test suite runs them
    # (tests/test_dbt_project.py), the nightly build leaves them out.
    # The seeds to be loaded: what they are loaded from, taken now (orchestration/seeds.py).
    loading = _seeds_to_load(context, s.warehouse)
    invocation = dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context, target_path=s.dbt_target)

    seeds_built: list[str] = []
    dbt_done = False

    def events():
        nonlocal dbt_done
        try:
            for i, event in enumerate(invocation.stream()):
                uid = (getattr(event, "metadata", None) or {}).get("unique_id")
                uid = str(getattr(uid, "text", uid))
                if isinstance(event, (dg.Output, dg.AssetMaterialization)) and uid in loading:
                    seeds_built.append(uid)
                yield event
                if i == 10:  # crash tests only: dbt is mid-build here (a no-op unless the test hook is set)
                    pause_for_crash_test("dbt_build")
        except Exception:
            dbt_done = True  # dagster-dbt raises a failed build once dbt has exited
            raise
        dbt_done = True

    # Row counts, column schema and lineage are read once dbt has exited: DuckDB has one
    # writer per file, and dbt holds it until then (orchestration/metadata.py says why not
    # dagster-dbt's fetch_row_counts/fetch_column_metadata).
    timings: dict = {}
    try:
        yield from with_model_metadata(events(), invocation.manifest, s.warehouse, translator,
                                       invocation.target_path, timings, lineage_cache=LINEAGE_CACHE)
    finally:
        if dbt_done and seeds_built:  # also after a failed test: these seeds were loaded
            _record_seeds(context, invocation.manifest, s.warehouse, {u: loading[u] for u in seeds_built})
    context.log.info(f"dbt model metadata in {timings['model_metadata_seconds']:.1f} s (row counts and schema "
                     f"{timings.get('row_counts_and_schema_seconds', 0):.1f} s, the rest column lineage)")


def _seeds_to_load(context, warehouse: Path) -> dict[str, str]:
    """{unique_id: fingerprint} of the seeds this run loads, their tables' old fingerprints
    cleared (orchestration/seeds.py)."""
    manifest = _manifest()
    selected = set(context.selected_asset_keys)
    uids = [n["unique_id"] for n in seeds.seed_nodes(manifest) if translator.get_asset_key(n) in selected]
    loading = seeds.fingerprints(manifest, DBT_PROJECT_DIR, uids)
    seeds.forget(manifest, warehouse, loading)
    return loading


def _record_seeds(context, manifest, warehouse, loaded: dict[str, str]) -> None:
    """Mark the seeds dbt loaded with what they were loaded from (orchestration/seeds.py): the
    next `helhedsdata run` leaves them out while that holds."""
    try:
        seeds.record(manifest, warehouse, loaded)
    except Exception as e:  # noqa: BLE001 - a courtesy: without it the next night loads them again
        context.log.warning(f"seed fingerprints not recorded ({type(e).__name__}: {e}); "
                            "the next run loads the seeds again")


def unchanged_seed_keys(warehouse: Path) -> list[dg.AssetKey]:
    """The seeds whose table the warehouse already holds as today's files and configuration
    would load it (orchestration/seeds.py)."""
    return [translator.get_asset_key(n) for n in seeds.unchanged(_manifest(), warehouse, DBT_PROJECT_DIR)]


def _manifest() -> Mapping[str, Any]:
    """The manifest `dbt_models` was defined from, as dagster-dbt holds it (not read again)."""
    from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets

    return get_manifest_and_translator_from_dbt_assets([dbt_models])[0]


def published_model_keys() -> list[dg.AssetKey]:
    """Asset keys of the models in marts/published: what the publish asset copies."""
    import json

    manifest = json.loads(dbt_project.manifest_path.read_text())
    return [
        translator.get_asset_key(node)
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and "published" in node.get("tags", [])
    ]
