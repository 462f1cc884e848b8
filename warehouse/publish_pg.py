"""Publication to PostgreSQL (HELHEDSDATA_PUBLISH_URL): the tables of a finished DuckDB
publication file are loaded with COPY into the schema `published_next` and swapped in for
`published`, all in ONE transaction. A reader sees the whole old or the whole new
publication; a failure at any point rolls everything back and leaves the previous one.

Grants are given to the staging schema before the swap; privileges belong to the objects,
so they travel with the rename. The read-only group role is created when missing.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable

import duckdb

SCHEMA = "published"
NEXT_SCHEMA = "published_next"
OLD_SCHEMA = "published_old"
READER_ROLE = "helhedsdata_reader"
LOG_TABLE = "publication_log"
# A BI query still running on the old tables holds the DROP of the old schema; after this
# long the publication gives up (and the old publication stays) instead of hanging the run.
LOCK_TIMEOUT = "300s"
_COPY_CHUNK = 1 << 20

# DuckDB type -> PostgreSQL type (docs/published.md: text, date, double, boolean, integer).
_TYPES = {
    "VARCHAR": "text", "DATE": "date", "DOUBLE": "double precision", "FLOAT": "real",
    "BOOLEAN": "boolean", "INTEGER": "integer", "BIGINT": "bigint", "SMALLINT": "smallint",
    "TINYINT": "smallint", "HUGEINT": "numeric", "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
}


class PostgresPublicationError(RuntimeError):
    pass


def sqlalchemy_url(url: str) -> str:
    """`postgresql://…` would make SQLAlchemy look for psycopg2; the project pins psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def safe_url(url: str) -> str:
    """The URL for messages: never the password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(sqlalchemy_url(url)).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is reported without its content
        return "<unparsable HELHEDSDATA_PUBLISH_URL>"


def _pg_type(duck_type: str) -> str:
    if duck_type.startswith("DECIMAL"):
        return duck_type.replace("DECIMAL", "numeric")
    try:
        return _TYPES[duck_type]
    except KeyError:
        raise PostgresPublicationError(f"no PostgreSQL type for DuckDB type {duck_type}") from None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def publish_postgres(url: str, source: Path, publication_id: str,
                     before_swap: Callable | None = None) -> dict[str, int]:
    """Publish every table of schema `published` in the DuckDB file `source` to PostgreSQL.
    The publication log is PostgreSQL's own, carried forward, plus the row(s) of
    `publication_id` from the source's log. Returns row counts per table.
    `before_swap(connection)` runs after loading, before the swap (tests inject faults there)."""
    try:
        return _publish(url, source, publication_id, before_swap)
    except Exception as e:  # noqa: BLE001 - re-raised with the target named, the cause chained
        raise PostgresPublicationError(
            f"PostgreSQL publication to {safe_url(url)} failed; the previous PostgreSQL publication "
            f"is unchanged: {type(e).__name__}: {str(e).strip()[:500]}") from e


def _publish(url, source, publication_id, before_swap):
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    src = duckdb.connect(str(source), read_only=True)
    engine = create_engine(sqlalchemy_url(url), poolclass=NullPool)
    counts: dict[str, int] = {}
    try:
        columns: dict[str, list[tuple[str, str]]] = {}
        for t, c, ty in src.execute(
                "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE schema_name = ? "
                "ORDER BY table_name, column_index", [SCHEMA]).fetchall():
            columns.setdefault(t, []).append((c, ty))
        if not columns:
            raise PostgresPublicationError(f"{source} has no schema {SCHEMA}")
        with tempfile.TemporaryDirectory(prefix="helhedsdata-pg-") as tmp, engine.begin() as conn:
            conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            # One publisher at a time per database (the staging schema has one name).
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('warehouse.publish'))"))
            _ensure_reader_role(conn, text)
            conn.execute(text(f"DROP SCHEMA IF EXISTS {NEXT_SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {NEXT_SCHEMA}"))
            raw = conn.connection.driver_connection  # psycopg: COPY in the same transaction
            old_tables = {r[0] for r in conn.execute(text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
                {"s": SCHEMA}).fetchall()}
            for table, cols in columns.items():
                coldefs = ", ".join(f"{_q(c)} {_pg_type(ty)}" for c, ty in cols)
                conn.execute(text(f"CREATE TABLE {NEXT_SCHEMA}.{_q(table)} ({coldefs})"))
                select = f"SELECT * FROM {SCHEMA}.{_q(table)}"
                if table == LOG_TABLE:
                    if LOG_TABLE in old_tables:
                        _carry_log_forward(conn, text, cols)
                    select += " WHERE publication_id = '" + publication_id.replace("'", "''") + "'"
                csv = Path(tmp) / f"{table}.csv"
                src.execute(f"COPY ({select}) TO '{str(csv).replace(chr(39), chr(39) * 2)}' "
                            "(FORMAT csv, HEADER false)")
                names = ", ".join(_q(c) for c, _ in cols)
                with raw.cursor() as cur, cur.copy(
                        f"COPY {NEXT_SCHEMA}.{_q(table)} ({names}) FROM STDIN WITH (FORMAT csv)") as cp, \
                        open(csv, "rb") as fh:
                    while chunk := fh.read(_COPY_CHUNK):
                        cp.write(chunk)
                csv.unlink()
                counts[table] = conn.execute(text(f"SELECT count(*) FROM {NEXT_SCHEMA}.{_q(table)}")).scalar_one()
                conn.execute(text(f"ANALYZE {NEXT_SCHEMA}.{_q(table)}"))
            _copy_comments(src, conn, text)
            conn.execute(text(f"GRANT USAGE ON SCHEMA {NEXT_SCHEMA} TO {READER_ROLE}"))
            conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {NEXT_SCHEMA} TO {READER_ROLE}"))
            if before_swap is not None:
                before_swap(conn)
            exists = conn.execute(text("SELECT count(*) FROM pg_namespace WHERE nspname = :s"),
                                  {"s": SCHEMA}).scalar_one()
            if exists:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {OLD_SCHEMA} CASCADE"))
                conn.execute(text(f"ALTER SCHEMA {SCHEMA} RENAME TO {OLD_SCHEMA}"))
            conn.execute(text(f"ALTER SCHEMA {NEXT_SCHEMA} RENAME TO {SCHEMA}"))
            if exists:
                conn.execute(text(f"DROP SCHEMA {OLD_SCHEMA} CASCADE"))
        return {t: n for t, n in counts.items() if t != LOG_TABLE}
    finally:
        src.close()
        engine.dispose()


def _literal(value: str) -> str:
    # COMMENT takes no bound parameter; standard_conforming_strings (PostgreSQL's default since
    # 9.1) leaves backslashes alone, so doubling the quotes is the whole escape. A colon is
    # escaped for SQLAlchemy's text(), which would read ":name" as a parameter.
    return "'" + value.replace("'", "''").replace(":", "\\:") + "'"


def _copy_comments(src, conn, text) -> None:
    """The published file's table and column comments (the dbt descriptions), for BI tools."""
    for table, comment in src.execute("SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = ? "
                                      "AND comment IS NOT NULL", [SCHEMA]).fetchall():
        conn.execute(text(f"COMMENT ON TABLE {NEXT_SCHEMA}.{_q(table)} IS {_literal(comment)}"))
    for table, column, comment in src.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name = ? "
            "AND comment IS NOT NULL", [SCHEMA]).fetchall():
        conn.execute(text(f"COMMENT ON COLUMN {NEXT_SCHEMA}.{_q(table)}.{_q(column)} IS {_literal(comment)}"))


def _carry_log_forward(conn, text, cols):
    """Previous rows of PostgreSQL's own log, by column name (older logs may lack a column)."""
    have = {r[0] for r in conn.execute(text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = :s AND table_name = :t"),
        {"s": SCHEMA, "t": LOG_TABLE}).fetchall()}
    common = ", ".join(_q(c) for c, _ in cols if c in have)
    conn.execute(text(f"INSERT INTO {NEXT_SCHEMA}.{LOG_TABLE} ({common}) "
                      f"SELECT {common} FROM {SCHEMA}.{LOG_TABLE}"))


def _ensure_reader_role(conn, text):
    # Roles are cluster-wide: two databases publishing at once may race to create it.
    conn.execute(text(f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{READER_ROLE}') THEN
            CREATE ROLE {READER_ROLE} NOLOGIN;
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$"""))


def record_not_published_pg(url: str, log_entry: dict) -> bool:
    """Add a blocked/failed run's row to PostgreSQL's published.publication_log, leaving the
    published tables as they are. False (nothing written) when PostgreSQL has no
    publication yet."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from warehouse.publication_log import ADDED_LOG_COLUMNS, log_row

    _pg = {"VARCHAR": "text"}
    engine = create_engine(sqlalchemy_url(url), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            # Not while a publication swaps the schema (publish_postgres holds the same lock).
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('warehouse.publish'))"))
            exists = conn.execute(text("SELECT count(*) FROM information_schema.tables "
                                       "WHERE table_schema = :s AND table_name = :t"),
                                  {"s": SCHEMA, "t": LOG_TABLE}).scalar_one()
            if not exists:
                return False
            for col, ty in ADDED_LOG_COLUMNS.items():
                conn.execute(text(f"ALTER TABLE {SCHEMA}.{LOG_TABLE} ADD COLUMN IF NOT EXISTS {_q(col)} {_pg[ty]}"))
            row = log_row(log_entry)
            conn.execute(text(f"INSERT INTO {SCHEMA}.{LOG_TABLE} ({', '.join(_q(c) for c in row)}) "
                              f"VALUES ({', '.join(':' + c for c in row)})"), row)
        return True
    finally:
        engine.dispose()
