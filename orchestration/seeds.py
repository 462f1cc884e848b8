"""dbt seeds are loaded again only when they changed.

A seed's table depends on nothing but its CSV file, its configuration (column types, schema,
alias) and what loads it (dbt-core, dbt-duckdb and DuckDB's CSV reader), never on the night's
data. Loading the nine code lists again every night, each a dbt node with four Dagster events,
cost a warm 10 000-person night ~0.5-1 s (docs/benchmarks.md, stop 34).

So each seed table carries, as its DuckDB table comment, the fingerprint of what it was loaded
from, and `helhedsdata run` leaves out of its selection the seeds whose table holds the
fingerprint of today's file and configuration (`unchanged`). The dbt asset takes the
fingerprints of the seeds it is about to load before dbt starts (`fingerprints`), clears their
comments (`forget`: a table dbt reloads in place must not keep an old one should the build stop
half-way), and writes them once dbt has let go of the warehouse, for the seeds dbt built
(`record`): a file edited while dbt runs then only costs a reload next night. The comment is in
the warehouse itself, so a warehouse that was deleted, replaced or restored from a backup is
judged by what it holds. Runs launched from the UI, the schedule or the sensor select as before.
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
    relation, and the versions of dbt-core, dbt-duckdb and DuckDB (whose CSV reader parses it)."""
    h = hashlib.sha256()
    h.update((Path(project_dir) / node["original_file_path"]).read_bytes())
    h.update(json.dumps([node.get("config"), node.get("relation_name"),
                         metadata.version("dbt-core"), metadata.version("dbt-duckdb"),
                         metadata.version("duckdb")],
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


def fingerprints(manifest: Mapping[str, Any], project_dir: Path, unique_ids: Iterable[str]) -> dict[str, str]:
    """{unique_id: fingerprint} of these seeds as their files are now (before dbt loads them)."""
    nodes = [n for n in (manifest["nodes"].get(u) for u in unique_ids) if n and n["resource_type"] == "seed"]
    return {n["unique_id"]: fingerprint(n, project_dir) for n in nodes}


def _comment(manifest: Mapping[str, Any], warehouse: Path, texts: Mapping[str, str | None]) -> None:
    """Set (or, with None, clear) the comment of these seeds' tables that exist."""
    import duckdb

    relations = {_relation(manifest["nodes"][u]): t for u, t in texts.items()}
    if not relations or not Path(warehouse).exists():
        return
    con = duckdb.connect(str(warehouse))
    try:
        existing = set(con.execute("SELECT schema_name, table_name FROM duckdb_tables() "
                                   "WHERE database_name = current_database()").fetchall())
        for (schema, table), text in relations.items():
            if (schema, table) in existing:
                con.execute(f'COMMENT ON TABLE "{schema}"."{table}" IS '
                            + ("NULL" if text is None else f"'{COMMENT_PREFIX}{text}'"))
    finally:
        con.close()


def forget(manifest: Mapping[str, Any], warehouse: Path, unique_ids: Iterable[str]) -> None:
    """Clear the fingerprints of the seeds dbt is about to load. Call before dbt opens the
    warehouse."""
    _comment(manifest, warehouse, dict.fromkeys(unique_ids))


def record(manifest: Mapping[str, Any], warehouse: Path, loaded: Mapping[str, str]) -> None:
    """Write `loaded` ({unique_id: fingerprint taken before dbt loaded it}) on the seeds'
    tables. Call once dbt has let go of the warehouse."""
    _comment(manifest, warehouse, loaded)
