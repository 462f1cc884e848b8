"""A BI-like reader in its own process (tests/test_readers_during_publication.py): reads
published.indicator_values over and over until a stop file appears, and writes one JSON line
per read. No retries: every exception is written down as it happened.

DuckDB: a fresh read-only connection per read, on the path (as a BI tool opening the file).
PostgreSQL: one long-lived connection, one statement per read (a statement sees one snapshot)."""
import json
import sys
import time
from pathlib import Path

import duckdb
import psycopg

SQL = """
SELECT (SELECT count(*) FROM published.indicator_values),
       (SELECT count(DISTINCT extract_date) FROM published.indicator_values),
       (SELECT CAST(min(extract_date) AS VARCHAR) FROM published.indicator_values),
       (SELECT row_counts FROM published.publication_log ORDER BY published_at DESC LIMIT 1)
"""


def read_duckdb(path: str):
    con = duckdb.connect(path, read_only=True)
    try:
        return con.execute(SQL).fetchone()
    finally:
        con.close()


def main(duck_path: str, pg_url: str, out: str, stop: str) -> None:
    pg = psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    readers = {"duckdb": lambda: read_duckdb(duck_path), "postgres": lambda: pg.execute(SQL).fetchone()}
    with open(out, "a", encoding="utf-8", buffering=1) as fh:
        while not Path(stop).exists():
            for target, read in readers.items():
                t = time.time()
                try:
                    rows, dates, extract_date, log_counts = read()
                    rec = {"target": target, "rows": rows, "dates": dates, "extract_date": extract_date,
                           "log_rows": json.loads(log_counts)["indicator_values"]}
                except Exception as e:  # noqa: BLE001 - recorded, never retried
                    rec = {"target": target, "error": f"{type(e).__name__}: {e}"}
                    if target == "postgres" and pg.closed:
                        pg = psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://"),
                                             autocommit=True)
                rec["t"] = t
                fh.write(json.dumps(rec) + "\n")
    pg.close()


if __name__ == "__main__":
    main(*sys.argv[1:5])
