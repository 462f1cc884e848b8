"""Publication: copy the publish_stage schema of the warehouse to the published file,
atomically (write a new file, then rename it over the old one).

A reader that holds the old file open keeps a consistent view of it; a reader that
opens the path gets either the whole old or the whole new publication.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

import duckdb

from warehouse.publication_log import LOG_COLUMN_DESCRIPTIONS, LOG_COLUMNS, LOG_DESCRIPTION, insert_log_row
from warehouse.publish_pg import publish_postgres

STAGE_SCHEMA = "publish_stage"
SCHEMA = "published"
# Storage format v1.0.0 is read by DuckDB 0.10 and every later release, so BI tools
# with an older bundled DuckDB driver can open the file (docs/published.md).
STORAGE_VERSION = "v1.0.0"


def pause_for_crash_test(moment: str) -> None:
    """Crash tests only: when HELHEDSDATA_TEST_PAUSE_AT names this moment, write
    `<HELHEDSDATA_TEST_PAUSE_FILE>` and sleep, so a test can SIGKILL the run exactly here.
    Unset (always, outside tests) it does nothing."""
    if os.environ.get("HELHEDSDATA_TEST_PAUSE_AT") != moment:
        return
    import time

    marker = os.environ.get("HELHEDSDATA_TEST_PAUSE_FILE")
    if marker:
        Path(marker).write_text(moment)
    time.sleep(float(os.environ.get("HELHEDSDATA_TEST_PAUSE_SECONDS", "600")))


def _sql_path(p: Path) -> str:
    return str(p).replace("'", "''")


def publish_duckdb(warehouse: Path, target: Path, log_entry: dict,
                   before_replace: Callable[[Path], object] | None = None) -> dict[str, int]:
    """Publish every table of publish_stage plus the carried-forward publication log.
    Returns row counts per published table. `before_replace(new_file)` runs on the finished
    new file before it replaces the old one; when it raises, the old file stays."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # One writer per home: a temporary file left here is a run that died (killed mid-copy).
    for stale in target.parent.glob(f".{target.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{_sql_path(warehouse)}' AS wh (READ_ONLY)")
        con.execute(f"ATTACH '{_sql_path(tmp)}' AS pub (STORAGE_VERSION '{STORAGE_VERSION}')")
        con.execute(f"CREATE SCHEMA pub.{SCHEMA}")
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'wh' AND schema_name = ? ORDER BY 1",
            [STAGE_SCHEMA]).fetchall()]
        counts = {}
        for t in tables:
            con.execute(f"CREATE TABLE pub.{SCHEMA}.{t} AS SELECT * FROM wh.{STAGE_SCHEMA}.{t} ORDER BY ALL")
            counts[t] = con.execute(f"SELECT count(*) FROM pub.{SCHEMA}.{t}").fetchone()[0]
        _write_log(con, target, {**log_entry, "row_counts": counts})
        _copy_comments(con, tables)
        con.execute("DETACH pub")
        pause_for_crash_test("publication")
        con.execute("DETACH wh")
        con.close()
        if before_replace is not None:
            before_replace(tmp)
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    _replace(tmp, target)
    return counts


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _copy_comments(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    """The descriptions dbt wrote as comments (persist_docs) go with the tables, and the log's
    own: BI tools show them beside the names."""
    for t, comment in con.execute(
            "SELECT table_name, comment FROM duckdb_tables() WHERE database_name = 'wh' AND schema_name = ? "
            "AND comment IS NOT NULL", [STAGE_SCHEMA]).fetchall():
        if t in tables:
            con.execute(f"COMMENT ON TABLE pub.{SCHEMA}.{t} IS {_literal(comment.strip())}")
    for t, c, comment in con.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE database_name = 'wh' "
            "AND schema_name = ? AND comment IS NOT NULL", [STAGE_SCHEMA]).fetchall():
        if t in tables:
            con.execute(f'COMMENT ON COLUMN pub.{SCHEMA}.{t}."{c}" IS {_literal(comment)}')
    con.execute(f"COMMENT ON TABLE pub.{SCHEMA}.publication_log IS {_literal(LOG_DESCRIPTION)}")
    for c, comment in LOG_COLUMN_DESCRIPTIONS.items():
        con.execute(f'COMMENT ON COLUMN pub.{SCHEMA}.publication_log."{c}" IS {_literal(comment)}')


def _write_log(con: duckdb.DuckDBPyConnection, previous: Path, entry: dict) -> None:
    """The log travels with the file: previous rows are carried forward, one row added."""
    con.execute(f"CREATE TABLE pub.{SCHEMA}.publication_log ({LOG_COLUMNS})")
    if previous.exists():
        con.execute(f"ATTACH '{_sql_path(previous)}' AS old (READ_ONLY)")
        has_log = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name='old' AND schema_name=? "
            "AND table_name='publication_log'", [SCHEMA]).fetchone()[0]
        if has_log:
            con.execute(f"INSERT INTO pub.{SCHEMA}.publication_log BY NAME "
                        f"SELECT * FROM old.{SCHEMA}.publication_log")
        con.execute("DETACH old")
    insert_log_row(con, f"pub.{SCHEMA}.publication_log", entry)


def record_not_published(target: Path, log_entry: dict) -> bool:
    """Add one row to published.publication_log of the EXISTING publication (a blocked or
    failed run) without touching its tables: the file is copied, the row added to the copy,
    and the copy renamed over the file, so a reader sees the whole old publication either
    way. False (nothing written) when there is no publication yet: an empty file would be
    a publication with no tables."""
    if not target.exists():
        return False
    tmp = target.with_name(f".{target.name}.{os.getpid()}.log.tmp")
    tmp.unlink(missing_ok=True)
    try:
        shutil.copyfile(target, tmp)
        con = duckdb.connect(str(tmp))
        try:
            con.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.publication_log ({LOG_COLUMNS})")
            insert_log_row(con, f"{SCHEMA}.publication_log", log_entry)
        finally:
            con.close()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _replace(tmp, target)
    return True


def _replace(tmp: Path, target: Path) -> None:
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)
    dfd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def publish(warehouse: Path, target: Path, log_entry: dict, publish_url: str | None = None) -> dict[str, int]:
    """Publish to the DuckDB file and, when a URL is configured, to PostgreSQL.

    PostgreSQL is loaded from the finished new file and committed before that file is
    renamed into place: when PostgreSQL fails, neither target changes, so both always
    hold the same publication (a crash between the commit and the rename, a few
    milliseconds, leaves PostgreSQL one publication ahead of the file)."""
    if not publish_url:
        return publish_duckdb(warehouse, target, log_entry)
    return publish_duckdb(warehouse, target, log_entry,
                          before_replace=lambda new: publish_postgres(publish_url, new, log_entry["publication_id"]))
