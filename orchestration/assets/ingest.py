"""Source assets: each reader's typed, pseudonymised output loaded into the warehouse's
raw schema. Asset keys equal the dbt sources' (source, table), so lineage runs
unbroken from files to the published tables."""

from dataclasses import dataclass

import dagster as dg
import pyarrow as pa

from warehouse import expectations as gx_suites
from warehouse import gx_worker
from warehouse import history
from warehouse.plans import load_plans, plan_activities_table, plan_areas_table, plan_indicators_table
from warehouse.quarantine import CONTRACT, GX_SUITE, quarantine
from warehouse.database import RawLoad, load_raw
from orchestration.metadata import source_preview
from orchestration.resources import HelhedsdataResource
from sources import lbf, momentum, omraader, opera, roster
from sources.contract import ContractError, output_schema, read_control_file

GROUP = "sources"


def _schema(table: pa.Table) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(f.name, str(f.type)) for f in table.schema])


def _metadata(table: pa.Table, **extra) -> dict:
    return {"dagster/row_count": table.num_rows, "dagster/column_schema": _schema(table),
            **source_preview(table), **extra}


GX_CHECK = "gx_suite"


def _gx_spec(source: str, name: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        GX_CHECK, asset=[source, name], blocking=True,
        description=f"The reader's output keeps Great Expectations suite expectations/{source}__{name}.json "
                    "(generated from the contract); a table that fails it is not loaded.")


def _run_name(context) -> str | None:
    try:
        return context.run.run_id
    except Exception:  # a context built outside a run (tests) has none
        return None


def check_selected(context, asset: list[str], check: str) -> bool:
    """Whether this run asked for the check: a run launched without checks (the UI's
    choice, or the benchmark's ungated run) must not evaluate or report it."""
    try:
        selected = context.selected_asset_check_keys
    except Exception:  # a context built outside a run (tests) selects everything
        return True
    return dg.AssetCheckKey(dg.AssetKey(asset), check) in selected


def _selected_assets(context) -> set:
    try:
        return set(context.selected_asset_keys)
    except Exception:  # a context built outside a run (tests) selects everything
        return {dg.AssetKey([src, n]) for m in (momentum, opera) for src in [m.SOURCE] for n in m.CONTRACTS}


def _gx_submit(context, s, source: str, tables: dict[str, pa.Table], extract_date=None,
               control_counts: dict[str, int] | None = None) -> dict:
    """Start validating each selected table against its suite in GX's worker process
    (warehouse/gx_worker.py); futures by table."""
    docs = s.home / "gx" / "data_docs"
    return {name: gx_worker.validate(f"{source}__{name}", table, extract_date, (control_counts or {}).get(name),
                                     docs, run_name=_run_name(context))
            for name, table in tables.items() if check_selected(context, [source, name], GX_CHECK)}


def _gx_gather(s, futures: dict) -> dict[str, gx_suites.SuiteResult]:
    """The results of `_gx_submit`, taken out of `futures` (gathering again gives nothing);
    their Data Docs are rendered later, in the worker (which keeps the newest
    gx_suites.DATA_DOCS_RUNS runs)."""
    results: dict[str, gx_suites.SuiteResult] = {}
    error = None
    for name in list(futures):  # every table's answer, in table order, also after one raised
        f = futures.pop(name)
        try:
            results[name] = gx_worker.result(f)
        except Exception as e:  # noqa: BLE001 - raised below, once the others are in
            error = error or e
    # the pages of what was validated, also when another table raised
    gx_worker.build_docs(s.home / "gx" / "data_docs", list(results.values()))
    if error is not None:
        raise error
    return results


def _discard(futures: dict) -> None:
    """Wait for validations started for an extract that was rejected meanwhile; their results
    are not reported (the extract's report names what rejected it)."""
    for name in list(futures):
        try:
            gx_worker.result(futures.pop(name))
        except Exception:  # noqa: BLE001 - a worker fault shows at the next extract's own validation
            pass


def _gx_checks(context, s, source: str, results: dict[str, gx_suites.SuiteResult]) -> list[dg.AssetCheckResult]:
    """One check result per table. Metadata holds expectation, column and counts only:
    never a value from a file."""
    docs = s.home / "gx" / "data_docs"
    out = []
    for name, r in results.items():
        if not r.success:
            context.log.error(f"Great Expectations suite {r.suite} failed: " + "; ".join(
                f"{f['expectation']}({f['column'] or 'table'}): {f['unexpected_count'] if f['unexpected_count'] is not None else 'failed'}"
                for f in r.failed))
        out.append(dg.AssetCheckResult(
            asset_key=[source, name], check_name=GX_CHECK, passed=r.success,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={**r.metadata(), "failed_expectations": dg.MetadataValue.json(r.failed),
                      "data_docs": dg.MetadataValue.path(str(docs / "index.html"))}))
    return out


def _load_if_suites_pass(s, source_module, tables: dict[str, pa.Table], futures: dict, extract_date,
                         origin: str, load: RawLoad | None = None) -> tuple[bool, dict[str, gx_suites.SuiteResult]]:
    """Write `tables` as the raw tables of `source_module`'s source while GX's worker validates
    them (`futures`, from `_gx_submit`) and commit only if every suite passed: a table that fails
    one is never seen loaded, and the writing does not wait for GX. `load`: a load the reader
    already handed tables to as it read them (closed here, and by its owner). (loaded, the
    suites' results by table)."""
    results: dict[str, gx_suites.SuiteResult] = {}

    def suites_passed() -> bool:
        results.update(_gx_gather(s, futures))
        return all(r.success for r in results.values())

    try:
        with load or _raw_load(s, source_module) as load:  # closing rolls back what did not commit
            loaded = load.finish(tables, extract_date, origin, commit_if=suites_passed)
    finally:  # the load failed before it asked: the validations still count
        results.update(_gx_gather(s, futures))
    return loaded, results


def _gated_load(context, s, source_module, tables: dict[str, pa.Table], extract_date, origin: str,
                control_counts: dict[str, int] | None = None):
    """Load `tables` as the raw tables of `source_module`'s source if every one keeps its suite,
    and yield the check results; a failed suite stops the asset with nothing loaded (sources
    without a fallback extract: rosters, LBF, the address register; an empty or archived
    extract)."""
    source = source_module.SOURCE
    futures = _gx_submit(context, s, source, tables, extract_date, control_counts)
    _, results = _load_if_suites_pass(s, source_module, tables, futures, extract_date, origin)
    checks = _gx_checks(context, s, source, results)
    yield from checks
    failed = [c for c in checks if not c.passed]
    if failed:
        raise dg.Failure(f"{source}: Great Expectations suite(s) failed, nothing loaded: "
                         + ", ".join(c.asset_key.to_user_string() for c in failed))


@dataclass
class Accepted:
    extract: object | None  # the newest extract that kept its contract and its suites, loaded; None: none did
    checks: list[dg.AssetCheckResult] | None  # its gx_suite results (None: no extract accepted and
    # none failed a suite); with no extract accepted, the newest suite failure's, to show why
    rejected: list[str]


def _reject(context, s, source_module, folder, error: ContractError, reason: str, rejected: list[str]) -> None:
    dest = quarantine(folder, source_module.SOURCE, s.quarantine, error, reason)
    rejected.append(folder.name)
    context.log.error(f"Rejected {source_module.SOURCE}/{folder.name} ({reason}); moved to {dest}:\n{error}")


def _accept_newest(context, s, source_module, pseudo) -> Accepted:
    """Load the newest complete extract that keeps its contract and passes its GX suites. One
    that does not is moved, whole, to the quarantine with a report, and the next newest is
    tried: the pipeline goes on with the last good extract."""
    rejected, failed_checks = [], None
    src = source_module.SOURCE
    for folder in source_module.find_extracts(s.inbox):
        # The suites run in GX's worker while this process reads the other files and writes
        # the tables; the load commits only if every suite passed, so a table that fails one
        # is never seen loaded. Each file's suite starts as soon as the file is read: GX's
        # worker validates one table at a time (~0.15 s each), and a small night waited for
        # Momentum's four after the last file was read (docs/benchmarks.md, stop 27).
        # Each file is also written to the warehouse as soon as it is read, in one transaction
        # that commits only once the whole extract and its suites are accepted (RawLoad).
        pending: dict = {}
        # Closing it rolls back what did not commit, however this extract's turn ends.
        with _raw_load(s, source_module) as load:

            def submit(name: str, table, rows: int, date=momentum.extract_date_of(folder)):
                pending.update(_gx_submit(context, s, src, {name: table}, date, {name: rows}))
                load.add(name, table)

            try:
                ext = source_module.read_extract(folder, pseudo, s.inbox, on_table=submit)
            except ContractError as e:
                _discard(pending)  # this extract is rejected whatever its suites say
                _reject(context, s, source_module, folder, e, CONTRACT, rejected)
                continue
            # Normally every table was handed over already; one that was not (a reader that
            # ignores on_table) gets its suite here, or it would load ungated.
            pending.update(_gx_submit(context, s, src, {n: t for n, t in ext.tables.items() if n not in pending},
                                      ext.extract_date, ext.row_counts))
            # In contract order, as before: the files finish in any order, and the check results
            # and a quarantine report's failures are listed in the order of this dict.
            pending = {n: pending[n] for n in source_module.CONTRACTS if n in pending}
            loaded, results = _load_if_suites_pass(s, source_module, ext.tables, pending, ext.extract_date,
                                                   str(ext.folder), load)
        checks = _gx_checks(context, s, src, results)
        if loaded:
            return Accepted(ext, checks, rejected)
        violations = [v for name, r in results.items() if not r.success
                      for v in r.violations(f"{src}/{folder.name}/{source_module.CONTRACTS[name].file}")]
        failed_checks = failed_checks or checks
        _reject(context, s, source_module, folder, ContractError(violations), GX_SUITE, rejected)
    return Accepted(None, failed_checks, rejected)


def _raw_load(s, source_module) -> RawLoad:
    """A load of `source_module`'s raw tables into the home's warehouse, its record ids uncompressed."""
    return RawLoad(s.warehouse, source_module.SOURCE, _record_ids(source_module))


def _record_ids(source_module) -> dict[str, tuple[str, ...]]:
    """The columns that identify a record (each value once, by contract), by table: loaded
    uncompressed (warehouse/database.py `RawLoad`). Sources of one table (`CONTRACT`) have none."""
    return {name: c.unique for name, c in getattr(source_module, "CONTRACTS", {}).items() if c.unique}


def _extract_specs(source_module, what: str) -> list[dg.AssetSpec]:
    return [dg.AssetSpec([source_module.SOURCE, name], group_name=GROUP, kinds={"csv", "duckdb"},
                         description=f"{what} `{c.file}` of the newest accepted extract, pseudonymised.")
            for name, c in source_module.CONTRACTS.items()]


def _gx_specs(source_module) -> list[dg.AssetCheckSpec]:
    return [_gx_spec(source_module.SOURCE, name) for name in source_module.CONTRACTS]


def _materialize_extract(context, s, source_module, acc: Accepted):
    ext, rejected = acc.extract, acc.rejected
    extra = {"rejected_extracts": ", ".join(rejected) or "none"}
    if ext is None:
        tables = {n: output_schema(c).empty_table() for n, c in source_module.CONTRACTS.items()}
        yield from _gated_load(context, s, source_module, tables, None, "none delivered")
        extra = {"extract_date": "none", **extra}
    else:
        tables = ext.tables
        yield from acc.checks  # all passed: the accepted extract's suites (and it is loaded)
        extra = {"extract_date": str(ext.extract_date), "extract_folder": ext.folder.name, **extra}
    for name, table in tables.items():
        # all tables of an extract load together; a subset run reports the ones it selected
        if dg.AssetKey([source_module.SOURCE, name]) in _selected_assets(context):
            yield dg.MaterializeResult(asset_key=[source_module.SOURCE, name], metadata=_metadata(table, **extra))



def _is_archive_entry(s) -> bool:
    """A rebuild's inbox is an archive entry of the readers' tables (warehouse/history.py)."""
    return (s.inbox / history.ARCHIVE_INFO).exists() and history.entry_format(s.inbox) == history.FORMAT


def _archived_control_counts(folder, source_module) -> dict[str, int]:
    """The archived control file's counts, by table: the suites check the rows against them."""
    control = source_module.CONTROL_FILE
    counts, _ = read_control_file(folder / control, source_module.CONTROL_ENCODING,
                                  f"{source_module.SOURCE}/{folder.name}/{control}", source_module.CONTROL_HEADERS)
    return {n: counts[c.file] for n, c in source_module.CONTRACTS.items() if c.file in counts}


def _materialize_archived(context, s, source_module, names: list[str]):
    """A rebuild: load the tables the readers handed over when the entry was published. The
    readers do not run again (the deliveries are not kept); the suites and every gate after
    them do."""
    from pathlib import Path

    source = source_module.SOURCE
    tables, extract_date, origin = history.read_archived(s.inbox, source)
    for n in names:  # not delivered then: empty, as the reader hands it over
        tables.setdefault(n, gx_suites.reader_schema(f"{source}__{n}").empty_table())
    counts = _archived_control_counts(Path(origin), source_module) if source in history.DATED and extract_date else None
    yield from _gated_load(context, s, source_module, tables, extract_date, origin, counts)
    extra = {"archive_entry": s.inbox.name, "extract_date": str(extract_date) if extract_date else "none"}
    for name, table in tables.items():
        if len(names) == 1 or dg.AssetKey([source, name]) in _selected_assets(context):
            yield dg.MaterializeResult(asset_key=[source, name], metadata=_metadata(table, **extra))

@dg.multi_asset(specs=_extract_specs(momentum, "Momentum"), check_specs=_gx_specs(momentum), name="momentum_extract",
                can_subset=True)
def momentum_extract(context: dg.AssetExecutionContext, helhedsdata: HelhedsdataResource):
    """The newest accepted Momentum extract (nightly, full snapshot)."""
    s = helhedsdata.settings
    if _is_archive_entry(s):
        yield from _materialize_archived(context, s, momentum, list(momentum.CONTRACTS))
        return
    acc = _accept_newest(context, s, momentum, helhedsdata.pseudonymizer())
    if acc.extract is None:
        # Show why in the UI: the failed suites of the newest extract that failed one.
        yield from acc.checks or []
        raise dg.Failure(f"No accepted Momentum extract in {s.inbox / momentum.SOURCE} "
                         f"(rejected: {', '.join(acc.rejected) or 'none'}); see {s.quarantine}")
    yield from _materialize_extract(context, s, momentum, acc)


@dg.multi_asset(specs=_extract_specs(opera, "Opera (legacy)"), check_specs=_gx_specs(opera), name="opera_extract",
                can_subset=True)
def opera_extract(context: dg.AssetExecutionContext, helhedsdata: HelhedsdataResource):
    """The newest accepted Opera extract: history before Momentum. Optional: without one
    the tables are empty and the history starts with Momentum."""
    s = helhedsdata.settings
    if _is_archive_entry(s):
        yield from _materialize_archived(context, s, opera, list(opera.CONTRACTS))
        return
    yield from _materialize_extract(context, s, opera, _accept_newest(context, s, opera, helhedsdata.pseudonymizer()))


def _source_asset(key: list[str], kinds: set[str], description: str, check_specs: list[dg.AssetCheckSpec]):
    """One source table with its checks. A multi-asset only so that a run may leave its
    checks out (`can_subset`): a plain @asset with check specs cannot be run without them."""
    return dg.multi_asset(specs=[dg.AssetSpec(key, group_name=GROUP, kinds=kinds, description=description)],
                          check_specs=check_specs, can_subset=True, name="__".join(key))


@_source_asset(["omraader", "adresser"], {"csv", "duckdb"},
               "The housing organisation's address register; streets replaced by address keys.",
               [_gx_spec("omraader", "adresser")])
def omraader_adresser(context: dg.AssetExecutionContext, helhedsdata: HelhedsdataResource):
    s = helhedsdata.settings
    if _is_archive_entry(s):
        yield from _materialize_archived(context, s, omraader, ["adresser"])
        return
    table, as_of = omraader.read_register(s.inbox, helhedsdata.pseudonymizer())
    yield from _gated_load(context, s, omraader, {"adresser": table}, as_of, str(s.inbox / omraader.PATH))
    yield dg.MaterializeResult(asset_key=["omraader", "adresser"], metadata=_metadata(table, file_date=str(as_of)))


@_source_asset(["lbf", "beboerdata"], {"csv", "xlsx", "duckdb"},
               "LBF Beboerdata, every year delivered; LBF's own suppression kept as flags.",
               [_gx_spec("lbf", "beboerdata")])
def lbf_beboerdata(context: dg.AssetExecutionContext, helhedsdata: HelhedsdataResource):
    s = helhedsdata.settings
    if _is_archive_entry(s):
        yield from _materialize_archived(context, s, lbf, ["beboerdata"])
        return
    table, files = lbf.read_lbf(s.inbox)
    if table is None:
        schema = output_schema(lbf.CONTRACT, with_extract_date=False).append(pa.field("source_file", pa.string()))
        table = schema.empty_table()
    yield from _gated_load(context, s, lbf, {"beboerdata": table}, None, ", ".join(files) or "none delivered")
    years = sorted(set(table.column("aar").to_pylist()))
    yield dg.MaterializeResult(asset_key=["lbf", "beboerdata"],
                               metadata=_metadata(table, files=", ".join(files) or "none",
                                                  years=", ".join(map(str, years)) or "none"))


@_source_asset(["roster", "deltagere"], {"csv", "xlsx", "duckdb"},
               "Participants of every project activity (one roster per activity); names never loaded.",
               [dg.AssetCheckSpec("rows_valid", asset=["roster", "deltagere"],
                                  description="Every roster row keeps the contract (bad rows are left out and listed)."),
                _gx_spec("roster", "deltagere")])
def roster_deltagere(context: dg.AssetExecutionContext, helhedsdata: HelhedsdataResource):
    s = helhedsdata.settings
    if _is_archive_entry(s):
        yield from _materialize_archived(context, s, roster, ["deltagere"])
        if check_selected(context, ["roster", "deltagere"], "rows_valid"):
            # The faulty rows were left out (and reported) when the entry was published.
            yield dg.AssetCheckResult(asset_key=["roster", "deltagere"], check_name="rows_valid", passed=True,
                                      severity=dg.AssetCheckSeverity.WARN, metadata={"archive_entry": s.inbox.name})
        return
    res = roster.read_rosters(s.inbox, helhedsdata.pseudonymizer())
    yield from _gated_load(context, s, roster, {"deltagere": res.table}, None, ", ".join(res.files) or "none delivered")
    errors = [v for v in res.row_faults if v.level == "error"] + res.file_faults
    for v in errors + [v for v in res.row_faults if v.level != "error"]:
        (context.log.warning if v.level == "error" else context.log.info)(str(v))
    faults = [{"file": v.file, "row": v.lines[0] if v.lines else None, "rule": v.rule, "detail": v.detail,
               "level": v.level} for v in res.file_faults + res.row_faults]
    yield dg.MaterializeResult(asset_key=["roster", "deltagere"],
                               metadata=_metadata(res.table, files=", ".join(res.files) or "none",
                                                  row_faults=dg.MetadataValue.json(faults)))
    if not check_selected(context, ["roster", "deltagere"], "rows_valid"):
        return
    yield dg.AssetCheckResult(
        asset_key=["roster", "deltagere"], check_name="rows_valid", passed=not errors, severity=dg.AssetCheckSeverity.WARN,
        metadata={"rows_left_out": len([v for v in res.row_faults if v.level == "error"]),
                  "rosters_rejected": len(res.file_faults),
                  "duplicates_collapsed": len([v for v in res.row_faults if v.level != "error"])})


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["plans", "plan_omraader"], group_name=GROUP, kinds={"yaml", "duckdb"},
                     description="The boligområder each plan (plans/*.yaml) covers."),
        dg.AssetSpec(["plans", "plan_indicators"], group_name=GROUP, kinds={"yaml", "duckdb"},
                     description="Each plan's delmål indicators with filters, baseline and target."),
        dg.AssetSpec(["plans", "plan_activities"], group_name=GROUP, kinds={"yaml", "duckdb"},
                     description="Each plan's activities and the roster (file stem) each is read from."),
    ],
    name="plans",
)
def plans(context: dg.AssetExecutionContext, helhedsdata: HelhedsdataResource):
    """Plans, validated on load: an invalid plan fails this step with file and field named."""
    s = helhedsdata.settings
    loaded = load_plans(s.plans)
    tables = {"plan_omraader": plan_areas_table(loaded), "plan_indicators": plan_indicators_table(loaded),
              "plan_activities": plan_activities_table(loaded)}
    load_raw(s.warehouse, "plans", tables, None, str(s.plans))
    for name, table in tables.items():
        yield dg.MaterializeResult(asset_key=["plans", name],
                                   metadata=_metadata(table, plans=", ".join(p.id for p in loaded)))
