"""The publication log's columns and rows, shared by both publication targets (the DuckDB
file, warehouse/publish.py; PostgreSQL, warehouse/publish_pg.py): docs/published.md."""
from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from warehouse import __version__

LOG_COLUMNS = """
    publication_id VARCHAR, published_at TIMESTAMP, status VARCHAR,
    momentum_extract_date DATE, extract_dates VARCHAR, row_counts VARCHAR,
    checks_passed INTEGER, checks_failed INTEGER, checks VARCHAR,
    code_version VARCHAR, message VARCHAR, freshness VARCHAR
"""
# Columns added after the first release: a log carried forward from an older file gets them.
ADDED_LOG_COLUMNS = {"freshness": "VARCHAR"}
# Shown by BI tools as the table's and the columns' comments (the dbt models' are in
# dbt_project/models/marts/published/_published.yml; this table is written here, not by dbt).
LOG_DESCRIPTION = ("One row per run that wrote the warehouse: its publication, or why it did not publish "
                   "(status blocked or failed; the tables then stay the previous publication's).")
LOG_COLUMN_DESCRIPTIONS = {
    "publication_id": "The run's id (Dagster's run id).",
    "published_at": "When the row was written (UTC).",
    "status": "published, blocked (a gate failed) or failed (a step failed).",
    "momentum_extract_date": "The Momentum extract the figures were computed from.",
    "extract_dates": "JSON: the extract (or file) date of each source the run read.",
    "row_counts": "JSON: rows of each published table.",
    "checks_passed": "Checks (GX suites, dbt tests, gates) the run passed.",
    "checks_failed": "Checks the run failed (a warning counts; an error blocks the publication).",
    "checks": "JSON: every check of the run: asset, check, passed, severity.",
    "code_version": "The helhedsdata version and git commit that computed the figures.",
    "message": "What happened, in one line.",
    "freshness": "JSON per source with a freshness demand: as_of, age_days, max_age_days, cadence, fresh.",
}


def code_version() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"{__version__}+{sha}" if sha else __version__


def insert_log_row(con: duckdb.DuckDBPyConnection, table: str, entry: dict) -> None:
    for col, ty in ADDED_LOG_COLUMNS.items():
        con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {col} {ty}")
    checks = entry.get("checks", [])
    row = log_row(entry, checks)
    con.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))


def log_row(entry: dict, checks: list[dict] | None = None) -> dict:
    """One publication_log row by column name (docs/published.md); the PostgreSQL log too."""
    checks = entry.get("checks", []) if checks is None else checks
    return {
        "publication_id": entry["publication_id"],
        "published_at": entry.get("published_at") or datetime.now(timezone.utc).replace(tzinfo=None),
        "status": entry.get("status", "published"),
        "momentum_extract_date": entry.get("extract_dates", {}).get("momentum"),
        "extract_dates": json.dumps(entry.get("extract_dates", {}), sort_keys=True, default=str),
        "row_counts": json.dumps(entry.get("row_counts", {}), sort_keys=True),
        "checks_passed": sum(1 for c in checks if c["passed"]),
        "checks_failed": sum(1 for c in checks if not c["passed"]),
        "checks": json.dumps(checks, sort_keys=True, ensure_ascii=False),
        "code_version": entry.get("code_version") or code_version(),
        "message": entry.get("message", ""),
        # Per source with a freshness demand: date, age, allowed age, fresh (inbox_state).
        "freshness": json.dumps(entry["freshness"], sort_keys=True) if entry.get("freshness") is not None else None,
    }
