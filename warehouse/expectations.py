"""Great Expectations suites, generated from the reader contracts (issue 5, item 1).

`python -m warehouse.expectations` writes one JSON suite per source entity into
`expectations/`; a test checks that the files in the repo equal what `build_suites()`
produces, so a suite cannot drift from its contract (or from the seeds' code lists).

`validate()` runs a suite on what a reader handed over, before it is loaded. What GX
checks here is the contract of one reader's output, row by row: columns, types, required
values, code lists, patterns, date ranges, end not before start, row count equal to the
control file. Relational rules over whole tables (periods that do not overlap per person,
keys unique across a table) stay with the reader's own checks and the dbt tests: GX has
no expectation for overlapping periods and is far slower at them than SQL.

Privacy: results are asked for in GX's BASIC format with no unexpected values listed
(`partial_unexpected_count=0`), so neither the asset check metadata nor the Data Docs
hold a value from a file; `summarise()` keeps only expectation, column and counts.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa

from sources import lbf, momentum, omraader, opera, roster
from sources.codes import seed_values
from sources.contract import EARLIEST_DATE, FileContract, latest_date, output_schema

SUITES_DIR = Path(__file__).resolve().parent.parent / "expectations"

log = logging.getLogger(__name__)

# Above this many rows a deterministic sample is validated (every k-th row, k fixed by the
# row count) instead of the whole table: see expectations/README.md for the measurement.
# The reader has already checked every row against the same contract in SQL; GX is the
# second, independent gate and its cost must stay bounded at 1 000 000 persons.
SAMPLE_ROWS = 50_000

# Data Docs keep the validation results of this many pipeline runs (the newest); older
# results and their pages are deleted, so <home>/gx does not grow with every night.
DATA_DOCS_RUNS = 10

# Types are not a GX expectation: GX 1.24's expect_column_values_to_be_in_type_list does not
# recognise pandas 3's string dtype ('str' fails even against type_list ['str']), and dates
# must reach GX as Python dates (datetime64 cannot be compared with its date bounds). The
# reader hands over typed Arrow, so the suite records the Arrow type of every column
# (meta.arrow_types) and `validate` compares the schema exactly before GX runs.
@dataclass(frozen=True)
class SuiteSpec:
    source: str
    entity: str
    contract: FileContract
    columns: tuple[str, ...]  # the reader's output columns, in order
    control_count: bool  # the table's row count must equal the control file's (machine extracts)
    # Columns telling the files of one table apart (a roster per activity): the contract's
    # duplicate key holds within a file, so across the table it is prefixed by these.
    file_key: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.source}__{self.entity}"


def _arrow_schema(spec: SuiteSpec) -> pa.Schema:
    if spec.source == roster.SOURCE:
        return roster.SCHEMA
    if spec.source == lbf.SOURCE:
        return output_schema(lbf.CONTRACT, with_extract_date=False).append(pa.field("source_file", pa.string()))
    return output_schema(spec.contract)


def _extract_columns(c: FileContract) -> tuple[str, ...]:
    return tuple(output_schema(c).names)


def specs() -> list[SuiteSpec]:
    out = [SuiteSpec(momentum.SOURCE, n, c, _extract_columns(c), True) for n, c in momentum.CONTRACTS.items()]
    out += [SuiteSpec(opera.SOURCE, n, c, _extract_columns(c), True) for n, c in opera.CONTRACTS.items()]
    out.append(SuiteSpec(lbf.SOURCE, "beboerdata", lbf.CONTRACT,
                         tuple(output_schema(lbf.CONTRACT, with_extract_date=False).names) + ("source_file",), False))
    out.append(SuiteSpec(roster.SOURCE, "deltagere", roster.CONTRACT, tuple(roster.SCHEMA.names), False,
                         file_key=("aktivitet",)))
    out.append(SuiteSpec(omraader.SOURCE, "adresser", omraader.CONTRACT, _extract_columns(omraader.CONTRACT), False))
    return out



def reader_schema(name: str) -> pa.Schema:
    """The Arrow schema the reader hands over for the table `<source>__<entity>` (the one its
    suite checks exactly): what an archived table is cast back to (warehouse/history.py)."""
    for spec in specs():
        if spec.name == name:
            return _arrow_schema(spec)
    raise KeyError(name)

def _exp(type_: str, rule: str, **kwargs) -> dict:
    return {"type": type_, "kwargs": kwargs, "meta": {"rule": rule}}


def build_suite(spec: SuiteSpec) -> dict:
    c = spec.contract
    types = {f.name: str(f.type) for f in _arrow_schema(spec)}
    exps = [_exp("expect_table_columns_to_match_ordered_list", "columns", column_list=list(spec.columns))]
    if spec.control_count:
        exps.append(_exp("expect_table_row_count_to_equal", "control-count",
                         value={"$PARAMETER": "control_count"}))
    for col in c.columns:
        if col.kind == "drop" or col.name not in spec.columns:
            continue
        n = col.name
        if col.kind == "cpr" or (col.required and col.source_suppression is None):
            # A CPR that is not valid is rejected by the reader: person_key is never null.
            exps.append(_exp("expect_column_values_to_not_be_null", "required", column=n))
        if col.codes:
            exps.append(_exp("expect_column_values_to_be_in_set", "code", column=n,
                             value_set=sorted(seed_values(*col.codes))))
            exps[-1]["meta"]["seed"] = f"{col.codes[0]}.{col.codes[1]}"
        if col.values:
            exps.append(_exp("expect_column_values_to_be_in_set", "code", column=n, value_set=list(col.values)))
        if col.pattern:
            exps.append(_exp("expect_column_values_to_match_regex", "pattern", column=n, regex=f"^(?:{col.pattern})$"))
        if col.kind == "date":
            kwargs = {"column": n, "min_value": {"$PARAMETER": "earliest_date"}}
            # A start may not lie after the extract date; an end or deadline up to a year after it.
            kwargs["max_value"] = {"$PARAMETER": "extract_date" if col.not_after_extract else "latest_date"}
            exps.append(_exp("expect_column_values_to_be_between", "date-range", **kwargs))
    if c.period:
        a, b = c.period
        exps.append(_exp("expect_column_pair_values_a_to_be_greater_than_b", "period",
                         column_A=b, column_B=a, or_equal=True, ignore_row_if="either_value_is_missing"))
    if len(c.unique) == 1:
        exps.append(_exp("expect_column_values_to_be_unique", "unique", column=c.unique[0]))
    elif c.unique:
        exps.append(_exp("expect_compound_columns_to_be_unique", "unique", column_list=list(c.unique)))
    if c.duplicates:
        exps.append(_exp("expect_compound_columns_to_be_unique", "duplicate",
                         column_list=[*spec.file_key, *c.duplicates]))
    return {
        "name": spec.name,
        "expectations": exps,
        "meta": {
            "generated_by": "warehouse.expectations (from the reader contract; do not edit by hand)",
            "file": c.file,
            "arrow_types": types,
            "parameters": ["earliest_date", "extract_date", "latest_date"] + (["control_count"] if spec.control_count else []),
        },
    }


def build_suites() -> dict[str, dict]:
    return {s.name: build_suite(s) for s in specs()}


def render(suite: dict) -> str:
    return json.dumps(suite, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def write_suites(directory: Path = SUITES_DIR) -> list[Path]:
    out = []
    for name, suite in build_suites().items():
        p = directory / f"{name}.json"
        p.write_text(render(suite), encoding="utf-8")
        out.append(p)
    return out


def load_suite(name: str, directory: Path = SUITES_DIR) -> dict:
    return json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))


# --- validation ---------------------------------------------------------------------------

def sample(table: pa.Table, limit: int = SAMPLE_ROWS) -> tuple[pa.Table, int]:
    """Every k-th row (deterministic) when the table has more than `limit` rows; and k."""
    if table.num_rows <= limit:
        return table, 1
    step = -(-table.num_rows // limit)
    import numpy as np

    # Row i*step of the table, taken chunk by chunk: Table.take first concatenates every chunk
    # of every column (a copy of the whole table: ~2 s for momentum/samtale at 1 000 000 persons).
    batches, offset = [], 0
    for batch in table.to_batches():
        first = -(-offset // step) * step  # the first sampled row at or after this batch
        local = np.arange(first - offset, batch.num_rows, step)
        if len(local):
            batches.append(batch.take(pa.array(local)))
        offset += batch.num_rows
    return pa.Table.from_batches(batches, schema=table.schema), step


_CONTEXT = None


def _gx():
    """great_expectations, imported with scipy.stats loaded only when first used. GX imports
    every expectation class it ships, and one of them (expect_column_kl_divergence_to_be_less_than,
    not in our suites) does `from scipy import stats` at import: over a third of GX's import
    time (1.2-1.6 of 4-5 s measured on the 2-core machine, `python -X importtime`). A lazy
    module set as `scipy.stats` answers that import; touching any of its attributes loads the
    real module, so an expectation that needs scipy still gets it."""
    import sys

    if "great_expectations" not in sys.modules and "scipy.stats" not in sys.modules:
        import importlib.util

        import scipy

        spec = importlib.util.find_spec("scipy.stats")
        if spec is not None and spec.loader is not None:
            spec.loader = importlib.util.LazyLoader(spec.loader)
            stats = importlib.util.module_from_spec(spec)
            sys.modules["scipy.stats"] = stats
            spec.loader.exec_module(stats)
            # As an attribute of scipy, so `from scipy import stats` does not go through the
            # import system (whose check of __spec__ would load the module at once).
            scipy.stats = stats
    import great_expectations

    return great_expectations


def _cache_data_docs_templates() -> None:
    """GX builds the Data Docs with a new jinja Environment per page view, so every build
    parses and compiles the same ~50 templates again (~0.2 s of the ~0.45 s a validation
    with Data Docs costs, measured in docs/benchmarks.md). A bytecode cache shared by those
    Environments keeps the compiled templates for the process; the pages are the same,
    byte for byte, apart from GX's own time stamps. GX 1.24's view module names its
    Environment once; if a GX version does not, nothing is changed."""
    import jinja2

    try:
        from great_expectations.render.view import view
    except ImportError:  # pragma: no cover - a GX without this module
        return
    if getattr(view, "Environment", None) is not jinja2.Environment:
        return  # already cached, or not GX 1.24's layout

    class _Memory(jinja2.BytecodeCache):
        def __init__(self):
            self.codes: dict[str, object] = {}

        def load_bytecode(self, bucket):
            code = self.codes.get(bucket.key)
            if code is not None and bucket.checksum == self.codes.get((bucket.key, "checksum")):
                bucket.code = code

        def dump_bytecode(self, bucket):
            self.codes[bucket.key] = bucket.code
            self.codes[(bucket.key, "checksum")] = bucket.checksum

    memory = _Memory()

    class CachedEnvironment(jinja2.Environment):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("bytecode_cache", memory)
            super().__init__(*args, **kwargs)

    view.Environment = CachedEnvironment


def _context(docs_dir: Path | None):
    gx = _gx()

    global _CONTEXT
    if _CONTEXT is None:
        _cache_data_docs_templates()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        _CONTEXT = gx.get_context(mode="ephemeral")
        _CONTEXT.variables.progress_bars = ProgressBarsConfig(globally=False)
        _CONTEXT.data_sources.add_pandas("readers")
    ctx = _CONTEXT
    if docs_dir is not None:
        site = {"class_name": "SiteBuilder", "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)}}
        sites = ctx.get_config().data_docs_sites or {}
        # Each change of the context's configuration writes all of it out as YAML (~10 ms): the
        # site and the results store are set when they move to another folder, not at every
        # validation.
        if sites.get("home") != site:
            if "home" in sites:
                ctx.delete_data_docs_site("home")
            ctx.add_data_docs_site("home", site)
        # Results on disk beside the docs (not in memory): the index then lists the runs
        # before this process too, up to DATA_DOCS_RUNS of them (prune_validations).
        store = f"results_{abs(hash(str(docs_dir)))}"
        if store not in ctx.stores:
            ctx.add_store(store, {"class_name": "ValidationResultsStore", "store_backend": {
                "class_name": "TupleFilesystemStoreBackend", "base_directory": str(results_dir(docs_dir))}})
        if ctx.validation_results_store_name != store:
            ctx.validation_results_store_name = store
    return ctx


def _batch_definition(ctx, name: str):
    """Suite `name`'s data asset and its batch definition ('the whole data frame'), made once."""
    ds = ctx.data_sources.get("readers")
    try:
        asset = ds.get_asset(name)
    except LookupError:
        asset = ds.add_dataframe_asset(name)
    try:
        return asset.get_batch_definition("whole")
    except (KeyError, LookupError, ValueError):
        return asset.add_batch_definition_whole_dataframe("whole")


RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0, "include_unexpected_rows": False}

# Suite name -> (the expectations and docs action it was registered with, its checkpoint).
_REGISTERED: dict[str, tuple[str, object]] = {}


def _suite(suite_name: str, expectations: list[dict]):
    gx = _gx()
    from great_expectations.core.expectation_suite import ExpectationSuite

    return ExpectationSuite(name=suite_name, expectations=[
        getattr(gx.expectations, _class_name(e["type"]))(**e["kwargs"], meta=e.get("meta")) for e in expectations])


def _checkpoint(ctx, name: str, suite_name: str, expectations: list[dict], defer_docs: bool):
    """Suite `name`'s checkpoint (its suite and validation definition in the context's stores)
    for exactly these expectations, registered once: each `add_or_update` rewrites the context's
    configuration (~10-15 ms apiece, three per validation), and the night waits for its
    validations. Registered again when the expectations or the docs action differ from the
    last registration (a table sampled or without a control count leaves out the row count)."""
    gx = _gx()
    key = json.dumps([id(ctx), suite_name, expectations, defer_docs], sort_keys=True, default=str)
    known = _REGISTERED.get(name)
    if known is not None and known[0] == key:
        return known[1]
    suite_obj = ctx.suites.add_or_update(_suite(suite_name, expectations))
    vd = ctx.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=_batch_definition(ctx, name), suite=suite_obj))
    actions = [] if defer_docs else [gx.checkpoint.UpdateDataDocsAction(name="docs", site_names=["home"])]
    cp = ctx.checkpoints.add_or_update(gx.Checkpoint(
        name=name, validation_definitions=[vd], result_format=RESULT_FORMAT, actions=actions))
    _REGISTERED[name] = (key, cp)
    return cp


def warm_context() -> None:
    """The context with every suite's data asset, batch definition and checkpoint made before
    any table arrives (GX's worker does this as it starts, on the other core while the night
    loads Dagster). Each of them writes the context's whole configuration out as YAML (~10 ms):
    48 such writes otherwise fell inside the night's validations, which the night waits for.
    The checkpoints are those of a night's validations (every expectation: a table with a
    control count, not sampled; the Data Docs rendered later, `defer_docs`); a validation
    that needs another registers its own (`_checkpoint`)."""
    ctx = _context(None)
    for spec in specs():
        _batch_definition(ctx, spec.name)
        try:
            data = load_suite(spec.name)
            _checkpoint(ctx, spec.name, data["name"], data["expectations"], defer_docs=True)
        except Exception as e:  # noqa: BLE001 - the worker must start: that suite's own validation
            # registers it again and reports what GX says, naming the suite (gx_worker._validate)
            log.warning("GX suite %s not registered at warm-up: %s: %s", spec.name, type(e).__name__, e)


def results_dir(docs_dir: Path) -> Path:
    """Where the validation results behind the Data Docs in `docs_dir` are kept."""
    return docs_dir.parent / "validations"


@dataclass
class SuiteResult:
    suite: str
    success: bool
    rows: int  # rows handed over
    rows_validated: int  # rows GX saw (a sample above SAMPLE_ROWS)
    failed: list[dict]  # expectation, column, rule, unexpected_count: never a value
    evaluated: int
    seconds: float
    # What build_docs() renders for this result (validation result and suite identifiers);
    # empty when the Data Docs were built with the validation, or none are kept.
    docs_ids: list = field(default_factory=list)

    def violations(self, file: str) -> list:
        """The failed expectations as contract violations of `file`, for a quarantine report:
        expectation, column, rule and counts; GX is asked for no values, so none can appear."""
        from sources.contract import Violation

        out = []
        for f in self.failed:
            n = f["unexpected_count"]
            what = f"{n} of {f['element_count']} rows validated" if n is not None else "failed"
            out.append(Violation(file, f["expectation"], f"Great Expectations suite {self.suite}, "
                                 f"column {f['column'] or '(table)'}, rule {f['rule']}: {what}", [], n or 1))
        return out

    def metadata(self) -> dict:
        return {"suite": self.suite, "rows": self.rows, "rows_validated": self.rows_validated,
                "expectations_evaluated": self.evaluated, "expectations_failed": len(self.failed),
                "seconds": round(self.seconds, 3)}


def summarise(result) -> list[dict]:
    out = []
    for r in result.results:
        if r.success:
            continue
        cfg = r.expectation_config
        res = r.result or {}
        out.append({"expectation": cfg.type, "column": cfg.kwargs.get("column") or cfg.kwargs.get("column_A"),
                    "rule": (cfg.meta or {}).get("rule"),
                    "unexpected_count": res.get("unexpected_count"),
                    "element_count": res.get("element_count"),
                    "error": bool(r.exception_info and r.exception_info.get("raised_exception"))})
    return out


def validate(name: str, table: pa.Table, extract_date: date | None = None, control_count: int | None = None,
             docs_dir: Path | None = None, limit: int = SAMPLE_ROWS, suite: dict | None = None,
             run_name: str | None = None, defer_docs: bool = False) -> SuiteResult:
    """Validate a reader's output against suite `name` (the JSON in expectations/). With
    `docs_dir`, the result is kept and rendered there, under `run_name` (the pipeline run).
    `defer_docs`: the result is kept but not rendered yet; `build_docs` renders the results of
    several validations at once (one index page instead of one per validation), exactly the
    pages GX's UpdateDataDocsAction renders for each."""
    part, step = sample(table, limit)
    return validate_sample(name, part, table.num_rows, step, extract_date, control_count, docs_dir,
                           suite, run_name, defer_docs)


def validate_sample(name: str, part: pa.Table, rows: int, step: int, extract_date: date | None = None,
                    control_count: int | None = None, docs_dir: Path | None = None, suite: dict | None = None,
                    run_name: str | None = None, defer_docs: bool = False) -> SuiteResult:
    """`validate` on `part`, what `sample()` took of a table of `rows` rows (every `step`-th):
    the worker process (warehouse/gx_worker.py) is sent the sample, not the table."""
    t0 = time.perf_counter()
    docs_ids: list = []
    data = suite or load_suite(name)
    df = part.to_pandas()  # dates as Python dates: GX compares them with its date bounds
    found = {f.name: str(f.type) for f in part.schema}
    schema_failed = [{"expectation": "arrow_schema_matches", "column": n, "rule": "type",
                      "unexpected_count": None, "element_count": rows, "error": False}
                     for n, t in data["meta"]["arrow_types"].items() if found.get(n, t) != t]
    params = {"earliest_date": EARLIEST_DATE.isoformat(),
              "extract_date": (extract_date or date(9999, 12, 31)).isoformat(),
              "latest_date": (latest_date(extract_date) if extract_date else date(9999, 12, 31)).isoformat()}
    if control_count is not None:
        params["control_count"] = control_count
        if step > 1 and rows != control_count:  # a sample cannot count: compare the whole table here
            schema_failed.append({"expectation": "expect_table_row_count_to_equal", "column": None,
                                  "rule": "control-count", "unexpected_count": abs(rows - control_count),
                                  "element_count": rows, "error": False})
    ctx = _context(docs_dir)
    wanted = [e for e in data["expectations"]
              if not (e["type"] == "expect_table_row_count_to_equal" and (control_count is None or step > 1))]
    if docs_dir is not None:
        cp = _checkpoint(ctx, name, data["name"], wanted, defer_docs)
        from great_expectations.core.run_identifier import RunIdentifier

        prune_validations(results_dir(docs_dir), DATA_DOCS_RUNS, run_name)
        cres = cp.run(batch_parameters={"dataframe": df}, expectation_parameters=params,
                      run_id=RunIdentifier(run_name=run_name) if run_name else None)
        result_id, result = next(iter(cres.run_results.items()))
        if defer_docs:
            from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

            docs_ids = [result_id, ExpectationSuiteIdentifier(name=result.suite_name)]
    else:
        batch = _batch_definition(ctx, name).get_batch(batch_parameters={"dataframe": df})
        result = batch.validate(_suite(data["name"], wanted), expectation_parameters=params, result_format=RESULT_FORMAT)
    failed = schema_failed + summarise(result)
    return SuiteResult(name, bool(result.success) and not schema_failed, rows, part.num_rows, failed, len(result.results) + len(data["meta"]["arrow_types"]),
                       time.perf_counter() - t0, docs_ids)


def build_docs(docs_dir: Path, results: list[SuiteResult]) -> None:
    """Render the Data Docs pages of validations run with `defer_docs` (each result's page,
    its suite's page) and the index once: what UpdateDataDocsAction does per validation."""
    ids = [i for r in results for i in r.docs_ids]
    if ids:
        _context(docs_dir).build_data_docs(site_names=["home"], resource_identifiers=ids, build_index=True)


def _run_key(path: Path, store: Path) -> tuple[str, str]:
    """(run name, run time) of a stored result: <suite>/<run_name>/<run_time>/<batch>.json."""
    parts = path.relative_to(store).parts
    return parts[-3], parts[-2]


def prune_validations(store: Path, keep: int = DATA_DOCS_RUNS, current: str | None = None) -> int:
    """Delete the stored validation results of all but the newest `keep` runs (the current
    one counted among them); GX then drops their Data Docs pages when it next builds the
    index. A run is a pipeline run (its results carry its run id as run name); results
    without one (`__none__`, a validation outside a run) count one run each. Returns the
    number of results deleted."""
    if not store.is_dir():
        return 0
    newest: dict[str, str] = {}
    files = list(store.rglob("*.json"))
    for p in files:
        name, when = _run_key(p, store)
        run = name if name != "__none__" else f"__none__/{when}"
        newest[run] = max(newest.get(run, ""), when)
    others = sorted((r for r in newest if r != current), key=lambda r: newest[r], reverse=True)
    drop = set(others[max(keep - 1, 0):])
    gone = 0
    for p in files:
        name, when = _run_key(p, store)
        if (name if name != "__none__" else f"__none__/{when}") in drop:
            p.unlink()
            gone += 1
    for d in sorted((d for d in store.rglob("*") if d.is_dir()), key=lambda d: len(d.parts), reverse=True):
        if not any(d.iterdir()):
            d.rmdir()
    return gone


def _class_name(type_: str) -> str:
    return "".join(w.capitalize() for w in type_.split("_"))


if __name__ == "__main__":
    for p in write_suites():
        print(p.relative_to(SUITES_DIR.parent))
