"""Checksums of every published table, to show that a change moves no published figure.

    python bench/checksums.py <publication.duckdb> [--schema published]

Prints one line per table of the schema (sorted by name):

    <table>  rows=<n>  columns=<k>  schema=<hash of column names and types>  hash=<row hash>

The row hash is the sum (as HUGEINT, so it cannot overflow) of DuckDB's `hash()` of each whole
row (the table's row as one STRUCT), so it does not depend on the order in which rows were
written, but does change with any value, column order, and duplicated or missing rows; the
schema hash covers column names and types (DuckDB's struct hash does not). Compare two files with `diff <(python bench/checksums.py a.duckdb)
<(python bench/checksums.py b.duckdb)`. The file is opened read-only; a copy is not needed.
DuckDB's `hash()` is stable for one DuckDB version; compare files checksummed with the same
version.
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


def checksums(path: str, schema: str = "published") -> list[tuple[str, int, int, int, int]]:
    con = duckdb.connect(path, read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "order by table_name", [schema]).fetchall()]
        out = []
        for t in tables:
            ident = f'"{schema}"."{t}"'
            ncols, shash = con.execute(
                "select count(*), hash(string_agg(column_name || ' ' || data_type, ',' "
                "order by ordinal_position)) "
                "from information_schema.columns where table_schema = ? and table_name = ?",
                [schema, t]).fetchone()
            drop = VOLATILE.get(t, [])
            cols = f"columns(* exclude ({', '.join(drop)}))" if drop else "*"
            rows, h = con.execute(
                f"select count(*), coalesce(sum(hash(t)::hugeint), 0) "
                f"from (select {cols} from {ident}) as t").fetchone()
            out.append((t + (f" (without {', '.join(drop)})" if drop else ""), rows, ncols, shash, h))
        return out
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("publication")
    p.add_argument("--schema", default="published")
    a = p.parse_args(argv)
    rows = checksums(a.publication, a.schema)
    if not rows:
        print(f"no tables in schema {a.schema!r} of {a.publication}", file=sys.stderr)
        return 1
    for t, n, k, sh, h in rows:
        print(f"{t}  rows={n}  columns={k}  schema={sh}  hash={h}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
