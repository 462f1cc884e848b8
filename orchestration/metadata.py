"""Metadata that answers questions in the Dagster UI, without showing a person.

- Source assets: a small aggregated preview (rows per code, or per year of a date), with
  counts of 1–4 shown as "<5", the same threshold as the published figures
  (warehouse.disclosure). Never a row, never a key or a free-text value.
- dbt models: row count, column schema (from the warehouse's information_schema) and column
  lineage (sqlglot over dbt's compiled SQL), computed once `dbt build` has exited and
  recorded as an observation of each model (its materialization was recorded as dbt built it).
  dagster-dbt's own `.fetch_row_counts()` / `.fetch_column_metadata()` were tried first:
  for DuckDB they wait for dbt to exit too, but then leave dbt-duckdb's read-write
  connection open in the Dagster process, so the next step's read-only open of the same
  file fails ("Can't open a connection to same database file with a different
  configuration"); see docs/runbook.md.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.disclosure import is_small

log = logging.getLogger("helhedsdata")

SMALL = "<5"
PREVIEW_MAX_ROWS = 25  # a preview, not a report: the rest is summed into one line

# The columns a source table is previewed by, first present wins: coded values only (code
# lists of the contracts, plan ids, areas, postnummer), never a person key, a name or free
# text. A table with none of them is previewed by the year of its first date column.
PREVIEW_BY = ("maalgruppe_code", "tilbudstype", "status", "lab_grp", "tilbud_art", "boligomraade",
              "aar", "aktivitet", "indicator_id", "postnummer", "plan_id")


def shown(n: int) -> str:
    """A count as the preview shows it: 1–4 as "<5" (disclosure.SUPPRESS_MAX)."""
    return SMALL if is_small(n) else str(n)


def _group_column(table: pa.Table) -> tuple[str, str] | None:
    """(label, column) to group by, or None when the table has nothing safe to group by."""
    for col in PREVIEW_BY:
        if col in table.column_names:
            return col, col
    for field in table.schema:
        if pa.types.is_date(field.type) or pa.types.is_timestamp(field.type):
            return f"year of {field.name}", field.name
    return None


def preview_counts(table: pa.Table) -> tuple[str, list[tuple[str, int]]] | None:
    """(label, [(value, rows)]) sorted by value; the year for a date column."""
    g = _group_column(table)
    if g is None:
        return None
    label, col = g
    values = table.column(col)
    if label.startswith("year of "):
        values = pc.year(values)
    counts = pc.value_counts(values)
    pairs = [("(empty)" if v is None else str(v), int(n))
             for v, n in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist())]
    return label, sorted(pairs)


def preview_markdown(table: pa.Table) -> str:
    found = preview_counts(table)
    if found is None:
        return f"{table.num_rows} rows (no coded column to group by)"
    label, pairs = found
    lines = [f"| {label} | rows |", "| --- | ---: |"]
    for value, n in pairs[:PREVIEW_MAX_ROWS]:
        lines.append(f"| {value.replace('|', '/')} | {shown(n)} |")
    rest = pairs[PREVIEW_MAX_ROWS:]
    if rest:
        lines.append(f"| ({len(rest)} more values) | {shown(sum(n for _, n in rest))} |")
    lines.append(f"| **total** | {shown(table.num_rows)} |")
    return "\n".join(lines)


def source_preview(table: pa.Table) -> dict[str, dg.MetadataValue]:
    """The `preview` metadata entry of a source asset (counts only; 1–4 as "<5")."""
    return {"preview": dg.MetadataValue.md(preview_markdown(table))}


# --- dbt models -------------------------------------------------------------------------

def _relation(node: Mapping[str, Any]) -> tuple[str, str]:
    """(schema, table) of a manifest node or source, as information_schema names it."""
    return node["schema"], node.get("identifier") or node.get("alias") or node["name"]


def warehouse_facts(warehouse: Path, nodes: Iterable[Mapping[str, Any]]) -> tuple[dict, dict]:
    """(columns, row_counts) for the given manifest nodes, read from the finished warehouse
    in one read-only connection: columns {(schema, table): {column: data_type}} from
    information_schema (every relation, so parents resolve too), and row counts of the nodes
    that are tables or staging views. Any other view holds no rows: counting it runs its
    query again, which for the three status views (int_assign_*_status*, kept as
    statements of the rules) cost 2.9 s at 1 000 000 persons, for a figure no table holds."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        columns: dict[tuple[str, str], dict[str, str]] = {}
        for schema, table, column, dtype in con.execute(
                "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_catalog = current_database() ORDER BY table_schema, table_name, ordinal_position"
        ).fetchall():
            columns.setdefault((schema, table), {})[column] = dtype
        tables = set(con.execute("SELECT table_schema, table_name FROM information_schema.tables "
                                 "WHERE table_catalog = current_database() AND table_type = 'BASE TABLE'").fetchall())
        counts = {}
        for node in nodes:
            rel = _relation(node)
            # a staging view is one source table renamed and typed: as cheap to count
            if rel in tables or (rel in columns and (node.get("fqn") or [None, None])[1:2] == ["staging"]):
                counts[node["unique_id"]] = con.execute(
                    f'SELECT count(*) FROM "{rel[0]}"."{rel[1]}"').fetchone()[0]
        return columns, counts
    finally:
        con.close()


LINEAGE = "dagster/column_lineage"


def _lineage(node, manifest, columns, translator, target_path: Path, cache: dict | None = None,
             used: dict | None = None) -> dict[str, Any]:
    """dagster/column_lineage by dagster-dbt's own sqlglot builder, fed with the columns
    read above instead of a live dbt adapter. Python models have no SQL to parse.

    sqlglot's optimizer costs ~0.1-3 s per model (~15-30 s for the project) and its answer
    depends only on the compiled SQL and the column types it reads from, never on the
    data: `cache` maps a hash of those to the answer, so a night whose models did not
    change reuses it. Every answer given is written to `used` (the next cache)."""
    if node.get("language") != "sql" or node["resource_type"] != "model":
        return {}
    import hashlib
    import json

    from dagster_dbt.core.dbt_cli_event import EventHistoryMetadata, _build_column_lineage_metadata

    def cols(n):
        return {c: {"data_type": t} for c, t in columns.get(_relation(n), {}).items()}

    parents = {}
    for pid in manifest["parent_map"].get(node["unique_id"], []):
        parent = manifest["nodes"].get(pid) or manifest["sources"].get(pid)
        if parent and parent.get("relation_name"):
            parents[parent["relation_name"]] = cols(parent)
    sql_path = target_path / "compiled" / node["package_name"] / node["original_file_path"]
    sql = sql_path.read_text() if sql_path.exists() else ""
    key = hashlib.sha256(json.dumps([node["unique_id"], sql, cols(node), parents], sort_keys=True).encode()).hexdigest()
    if cache is not None and key in cache:
        if used is not None:
            used[key] = cache[key]
        return _lineage_from_json(cache[key])
    try:
        found = _build_column_lineage_metadata(
            event_history_metadata=EventHistoryMetadata(columns=cols(node), parents=parents),
            dbt_resource_props=node, manifest=manifest, dagster_dbt_translator=translator,
            target_path=target_path, project=None)
    except Exception as e:  # lineage is a courtesy: a model sqlglot cannot read keeps its other metadata
        log.info("no column lineage for %s: %s", node["unique_id"], type(e).__name__)
        found = {}
    if used is not None and sql:
        used[key] = _lineage_to_json(found)
    return found


def _lineage_to_json(md: dict) -> dict | None:
    lineage = md.get(LINEAGE)
    if lineage is None:
        return None
    return {col: [[list(d.asset_key.path), d.column_name] for d in deps]
            for col, deps in lineage.deps_by_column.items()}


def _lineage_from_json(data: dict | None) -> dict:
    if data is None:
        return {}
    return {LINEAGE: dg.TableColumnLineage(deps_by_column={
        col: [dg.TableColumnDep(asset_key=dg.AssetKey(k), column_name=c) for k, c in deps]
        for col, deps in data.items()})}


def _load_cache(path: Path | None) -> dict:
    import json

    try:
        return json.loads(path.read_text()) if path and path.exists() else {}
    except ValueError:  # a cache cut short is rebuilt
        return {}


def _save_cache(path: Path | None, cache: dict) -> None:
    import json
    import os

    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # two runs may save at once
    tmp.write_text(json.dumps(cache, sort_keys=True))
    os.replace(tmp, path)


def with_model_metadata(events: Iterable, manifest: Mapping[str, Any], warehouse: Path, translator,
                        target_path: Path, timings: dict | None = None,
                        lineage_cache: Path | None = None) -> Iterator:
    """Pass dagster-dbt's events on as they come (the UI follows the build node by node,
    and Dagster records each event while dbt works), then, once `dbt build` has exited and
    released its write lock, one observation per built model with its row count, column
    schema and column lineage. Holding the events back until then instead cost ~20 s per
    run: Dagster records an event in ~35 ms, and 540 of them then ran after dbt, not
    beside it. When dbt fails (a failed test), the observations of what it did build are
    yielded, then its error raised."""
    seen, held, error = [], [], None
    try:
        for ev in events:
            if isinstance(ev, (dg.Output, dg.AssetMaterialization)) and "unique_id" in ev.metadata:
                seen.append(ev)
            if _is_failed_row_rules(ev, manifest):
                held.append(ev)  # named with its broken rules once dbt lets go of the warehouse
                continue
            yield ev
    except Exception as e:
        error = e
    except BaseException as e:  # an interrupt: the held checks go on as they came, then it stops
        if not isinstance(e, GeneratorExit):
            yield from held
        raise
    for ev in held:
        yield _with_broken_rules(ev, manifest, warehouse, target_path)
    t0 = time.perf_counter()
    try:
        extra = _model_metadata(seen, manifest, warehouse, translator, target_path, timings, lineage_cache)
    except Exception as e:  # metadata is a courtesy: it never fails a build that succeeded
        log.warning("dbt model metadata not added: %s: %s", type(e).__name__, e)
        extra = {}
    if timings is not None:
        timings["model_metadata_seconds"] = time.perf_counter() - t0
    for uid, md in extra.items():
        yield dg.AssetObservation(asset_key=translator.get_asset_key(manifest["nodes"][uid]),
                                  metadata={"unique_id": uid, **md})
    if error is not None:
        raise error


def _test_node(ev, manifest: Mapping[str, Any]) -> Mapping[str, Any] | None:
    uid = ev.metadata.get("unique_id")
    return manifest["nodes"].get(getattr(uid, "text", uid)) if uid is not None else None


def _is_failed_row_rules(ev, manifest: Mapping[str, Any]) -> bool:
    if not isinstance(ev, dg.AssetCheckResult) or ev.passed:
        return False
    node = _test_node(ev, manifest)
    return node is not None and (node.get("test_metadata") or {}).get("name") == "row_rules"


def compiled_test_sql(node: Mapping[str, Any], target_path: Path) -> Path:
    """Where dbt writes a YAML-declared test's compiled SQL: under the YAML file's path."""
    return Path(target_path) / "compiled" / node["package_name"] / node["original_file_path"] / node["path"]


def _with_broken_rules(ev: dg.AssetCheckResult, manifest, warehouse: Path, target_path: Path) -> dg.AssetCheckResult:
    """A failed row_rules check (dbt_project/tests/generic/row_rules.sql), with the rules its
    rows broke and how many rows broke each: the test's own compiled SQL, run again on the
    finished warehouse. It returns rule texts and counts only, never a value from a row."""
    node = _test_node(ev, manifest)
    sql_path = compiled_test_sql(node, target_path)
    try:
        import duckdb

        with duckdb.connect(str(warehouse), read_only=True) as con:
            broken = con.execute(sql_path.read_text()).fetchall()
        # one line of text, shown in the check's metadata table as it is (markdown would hide it
        # behind a link); a rule's own line breaks are folded
        text = "; ".join(f"{' '.join(r.split())}: {n} rows" for r, n in broken)
        extra = {"broken_rules": dg.MetadataValue.text(text)}
        log.error("dbt test %s failed: %s", node["name"], text)
    except Exception as e:  # the check's own result stands; the detail is a courtesy
        extra = {"broken_rules": dg.MetadataValue.text(f"not found: {type(e).__name__}; run {sql_path} by hand")}
    return dg.AssetCheckResult(asset_key=ev.asset_key, check_name=ev.check_name, passed=ev.passed,
                               severity=ev.severity, description=ev.description, metadata={**ev.metadata, **extra})


def _model_metadata(buffered, manifest, warehouse, translator, target_path, timings, lineage_cache) -> dict:
    t0 = time.perf_counter()
    nodes = {}
    for ev in buffered:
        uid = ev.metadata.get("unique_id") if isinstance(ev, (dg.Output, dg.AssetMaterialization)) else None
        node = manifest["nodes"].get(getattr(uid, "text", uid)) if uid is not None else None
        if node is not None and node["resource_type"] in ("model", "seed", "snapshot"):
            nodes[node["unique_id"]] = node
    columns, counts = warehouse_facts(warehouse, nodes.values()) if nodes else ({}, {})
    if timings is not None:
        timings["row_counts_and_schema_seconds"] = time.perf_counter() - t0
    old_cache = _load_cache(lineage_cache)
    cache: dict = {}  # only this build's entries are kept: the file does not grow
    extra = {}
    for uid, node in nodes.items():
        cols = columns.get(_relation(node), {})
        md = {"dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(c, t, description=(node.get("columns", {}).get(c) or {}).get("description") or None)
                     for c, t in cols.items()])}
        if uid in counts:
            md["dagster/row_count"] = counts[uid]
        md.update(_lineage(node, manifest, columns, translator, target_path, old_cache, cache))
        extra[uid] = md
    if lineage_cache is not None and cache != old_cache:
        _save_cache(lineage_cache, cache)
    return extra
