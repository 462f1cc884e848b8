"""The working warehouse (DuckDB). One writer at a time: the run is in-process and
sequential, and nothing writes while dbt builds."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa


@contextmanager
def connect(path: Path, read_only: bool = False):
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def load_raw(path: Path, source: str, tables: dict[str, pa.Table], extract_date, origin: str,
             commit_if: Callable[[], bool] | None = None,
             record_ids: Mapping[str, Iterable[str]] | None = None) -> bool:
    """Replace the raw tables of one source in one transaction (all or nothing) and
    record the load in meta.loads. `commit_if`: asked once the tables are written, before
    the commit; False rolls the load back (the tables stay as they were) and is returned.
    `record_ids`: by table, the columns whose every value differs (the contract's `unique`),
    stored uncompressed: no dictionary can pay on them, and DuckDB weighing its compressions
    per block cost the load of Momentum's ids (4.6 + 1.8 million) 0.5 s of 2.4 s at 1 000 000
    persons, for 51 MB more on disk (docs/benchmarks.md, stop 30). No model keeps them."""
    with connect(path) as con:
        # The raw tables need not keep the readers' row order (every row carries its
        # source_row; no model, check or archive relies on the order, and the published
        # checksums are the same either way): DuckDB then writes the tables without buffering
        # them to restore that order. Measured on the four Momentum tables at 1 000 000 persons:
        # 10.8-12.4 s and a 330 MB file with the order kept, 3.0-6.1 s and 176 MB without.
        con.execute("SET preserve_insertion_order = false")
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        con.execute("CREATE SCHEMA IF NOT EXISTS meta")
        con.execute("""CREATE TABLE IF NOT EXISTS meta.loads (
            loaded_at TIMESTAMP, source VARCHAR, table_name VARCHAR, extract_date DATE,
            origin VARCHAR, row_count BIGINT)""")
        con.execute("BEGIN")
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        for name, table in tables.items():
            con.register("incoming", table)
            plain = set((record_ids or {}).get(name, ()))
            # The columns as DuckDB types the Arrow table (what CREATE TABLE AS would make)
            columns = ", ".join(f'"{col}" {typ}' + (" USING COMPRESSION uncompressed" if col in plain else "")
                                for col, typ, *_ in con.execute("DESCRIBE SELECT * FROM incoming").fetchall())
            con.execute(f"CREATE OR REPLACE TABLE raw.{source}__{name} ({columns})")
            con.execute(f"INSERT INTO raw.{source}__{name} SELECT * FROM incoming")
            con.unregister("incoming")
            con.execute("INSERT INTO meta.loads VALUES (?, ?, ?, ?, ?, ?)",
                        [now, source, name, extract_date, origin, table.num_rows])
        if commit_if is not None and not commit_if():
            con.execute("ROLLBACK")
            return False
        con.execute("COMMIT")
        return True


def upgrade_person_keys(path: Path) -> list[str]:
    """Turn a raw table's textual `person_key` (loaded before person keys were integers, stop
    26) into today's BIGINT, in place, without the pseudonym key (the same person, the same
    key: sources/pseudonym.py). A night loads only the sources that changed, so a frozen Opera
    extract would otherwise keep text beside Momentum's integers and every join between them
    would fail. The raw tables converted (none on every night after the first)."""
    from sources.pseudonym import HEX_TO_BIGINT

    if not path.exists():
        return []
    with connect(path) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'raw' "
            "AND column_name = 'person_key' AND data_type = 'VARCHAR' ORDER BY 1").fetchall()]
        if not tables:
            return []
        con.execute("BEGIN")
        try:
            for t in tables:
                con.execute(f'ALTER TABLE raw."{t}" ALTER person_key SET DATA TYPE BIGINT '
                            f"USING {HEX_TO_BIGINT.format('person_key')}")
        except duckdb.Error:
            con.execute("ROLLBACK")
            # DuckDB's message would quote the value (a pseudonym): not carried along
            raise RuntimeError(f"raw tables {', '.join(tables)}: a textual person_key is not 32 hexadecimal "
                               "characters; nothing converted") from None
        con.execute("COMMIT")
    return tables


def row_count(path: Path, table: str) -> int | None:
    with connect(path, read_only=True) as con:
        try:
            return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        except duckdb.CatalogException:
            return None
