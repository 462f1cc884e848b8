"""Checksums of every published table, to show that a change moves no published figure.

    python bench/checksums.py <publication.duckdb> [--schema published] [--complete-only]

Prints one line per table of the schema (sorted by name):

    <table>  rows=<n>  columns=<k>  schema=<hash of column names and types>  hash=<row hash>

The row hash is the sum (as HUGEINT, so it cannot overflow) of DuckDB's `hash()` of each whole
row (the table's row as one STRUCT), so it does not depend on the order in which rows were
written, but does change with any value, column order, and duplicated or missing rows; the
schema hash covers column names and types (DuckDB's struct hash does not). Compare two files with `diff <(python bench/checksums.py a.duckdb)
<(python bench/checksums.py b.duckdb)`. The file is opened read-only; a copy is not needed.
DuckDB's `hash()` is stable for one DuckDB version; compare files checksummed with the same
version.

--complete-only compares a publication with running periods against one from before them
(docs/published.md, "Running periods"): the rows of a running period (`period_complete`
false) and the two columns `period_complete` and `data_through` are left out wherever a
table has them, and named in the output line; a table without them is hashed as it is.
"""
from __future__ import annotations

import argparse
import sys

import duckdb

# Columns that differ from run to run by design (ids, clock time, the code's version, the
# file dates of sources whose folders carry no date, freshness relative to today): left out
# of the hash, and named in the output line.
VOLATILE = {"publication_log": ["publication_id", "published_at", "code_version", "extract_dates",
                                "freshness"]}


# What --complete-only leaves out: the running rows, and the columns that say so.
RUNNING_COLUMNS = ["period_complete", "data_through"]


def checksums(path: str, schema: str = "published",
              complete_only: bool = False) -> list[tuple[str, int, int, int, int]]:
    con = duckdb.connect(path, read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "order by table_name", [schema]).fetchall()]
        out = []
        for t in tables:
            ident = f'"{schema}"."{t}"'
            names = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
                [schema, t]).fetchall()]
            running = complete_only and all(c in names for c in RUNNING_COLUMNS)
            hidden = RUNNING_COLUMNS if running else []
            ncols, shash = con.execute(
                "select count(*), hash(string_agg(column_name || ' ' || data_type, ',' "
                "order by ordinal_position)) "
                "from information_schema.columns where table_schema = ? and table_name = ? "
                "and list_position(?, column_name) is null",
                [schema, t, hidden]).fetchone()
            drop = VOLATILE.get(t, []) + hidden
            cols = f"columns(* exclude ({', '.join(drop)}))" if drop else "*"
            where = " where period_complete" if running else ""
            rows, h = con.execute(
                f"select count(*), coalesce(sum(hash(t)::hugeint), 0) "
                f"from (select {cols} from {ident}{where}) as t").fetchone()
            label = t + (f" (without {', '.join(drop)})" if drop else "") + (" (complete rows)" if running else "")
            out.append((label, rows, ncols, shash, h))
        return out
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("publication")
    p.add_argument("--schema", default="published")
    p.add_argument("--complete-only", action="store_true",
                   help="leave out running periods' rows and the columns period_complete, data_through")
    a = p.parse_args(argv)
    rows = checksums(a.publication, a.schema, a.complete_only)
    if not rows:
        print(f"no tables in schema {a.schema!r} of {a.publication}", file=sys.stderr)
        return 1
    for t, n, k, sh, h in rows:
        print(f"{t}  rows={n}  columns={k}  schema={sh}  hash={h}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
