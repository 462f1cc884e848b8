"""dbt seeds are loaded again only when they changed.

A seed's table depends on nothing but its CSV file, its configuration (column types, schema,
alias) and the dbt that loads it, never on the night's data. Loading the nine code lists again
every night cost a warm 10 000-person night ~0.5 s (dbt loads a seed row by row in Python, then
runs its row_rules test, and Dagster records ~5 events per seed; docs/benchmarks.md, stop 34).

So each seed table carries, as its DuckDB table comment, the fingerprint of what it was loaded
from (`record`, once dbt has built it), and `helhedsdata run` leaves out of its selection the
seeds whose table holds the fingerprint of today's file and configuration (`unchanged_keys`).
The comment is in the warehouse itself, so a warehouse that was deleted, replaced or restored
from a backup is judged by what it holds; a table dbt loads again is a new table without the
comment until `record` writes it (a build that stops in between only costs a reload next night).
Runs launched from the UI, the schedule or the sensor select as before.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

COMMENT_PREFIX = "helhedsdata seed fingerprint: "


def fingerprint(node: Mapping[str, Any], project_dir: Path) -> str:
    """What the seed's table is loaded from: the file's bytes, the node's configuration and
    relation, and the versions of dbt-core and dbt-duckdb (which do the loading)."""
    h = hashlib.sha256()
    h.update((Path(project_dir) / node["original_file_path"]).read_bytes())
    h.update(json.dumps([node.get("config"), node.get("relation_name"),
                         metadata.version("dbt-core"), metadata.version("dbt-duckdb")],
                        sort_keys=True, default=str).encode())
    return h.hexdigest()


def _relation(node: Mapping[str, Any]) -> tuple[str, str]:
    return node["schema"], node.get("alias") or node["name"]


def seed_nodes(manifest: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [n for n in manifest["nodes"].values() if n["resource_type"] == "seed"]


def loaded_fingerprints(warehouse: Path) -> dict[tuple[str, str], str]:
    """{(schema, table): fingerprint} of the tables that carry one; {} without a warehouse or
    when it cannot be read now (then every seed is loaded, as before)."""
    import duckdb

    if not Path(warehouse).exists():
        return {}
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return {}
    try:
        rows = con.execute("SELECT schema_name, table_name, comment FROM duckdb_tables() "
                           "WHERE database_name = current_database() AND starts_with(comment, ?)",
                           [COMMENT_PREFIX]).fetchall()
    finally:
        con.close()
    return {(s, t): c[len(COMMENT_PREFIX):] for s, t, c in rows}


def unchanged(manifest: Mapping[str, Any], warehouse: Path, project_dir: Path) -> list[Mapping[str, Any]]:
    """The seed nodes whose table in the warehouse was loaded from today's file and
    configuration."""
    loaded = loaded_fingerprints(warehouse)
    if not loaded:
        return []
    return [n for n in seed_nodes(manifest) if loaded.get(_relation(n)) == fingerprint(n, project_dir)]


def record(manifest: Mapping[str, Any], warehouse: Path, project_dir: Path, unique_ids: Iterable[str]) -> None:
    """Write the fingerprint of each of these seeds (built by this dbt run) on its table. Call
    once dbt has let go of the warehouse."""
    import duckdb

    nodes = [n for n in (manifest["nodes"].get(u) for u in unique_ids) if n and n["resource_type"] == "seed"]
    if not nodes:
        return
    con = duckdb.connect(str(warehouse))
    try:
        for n in nodes:
            schema, table = _relation(n)
            con.execute(f"COMMENT ON TABLE \"{schema}\".\"{table}\" IS "
                        f"'{COMMENT_PREFIX}{fingerprint(n, project_dir)}'")
    finally:
        con.close()
