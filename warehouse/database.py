"""The working warehouse (DuckDB). One writer at a time: the run is in-process and
sequential, and nothing writes while dbt builds."""
from __future__ import annotations

import queue
import threading
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


class RawLoad:
    """Replace the raw tables of one source in one transaction (all or nothing), each table
    written as soon as it is handed over (`add`), in a thread of its own, while the reader
    still reads the source's other files; `finish` records the load in meta.loads and commits,
    or rolls everything back. Momentum at 1 000 000 persons, read and written: 10.25-10.64 s
    written after the last file was read, 10.05-10.29 s written as each file came, at the same
    CPU time and peak memory (docs/benchmarks.md, stop 31): the reading threads leave a core
    idle now and then, and the writing fills it.

    `record_ids`: by table, the columns whose every value differs (the contract's `unique`),
    stored uncompressed: no dictionary can pay on them, and DuckDB weighing its compressions
    per block cost the load of Momentum's ids (4.6 + 1.8 million) 0.5 s of 2.4 s at 1 000 000
    persons, for 51 MB more on disk (docs/benchmarks.md, stop 30). No model keeps them.

    Use it as a context manager (or call `close`): leaving it without `finish` rolls back."""

    def __init__(self, path: Path, source: str, record_ids: Mapping[str, Iterable[str]] | None = None):
        self._source = source
        self._record_ids = {name: set(cols) for name, cols in (record_ids or {}).items()}
        self._added: set[str] = set()
        self._error: BaseException | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(str(path))
        try:
            # The raw tables need not keep the readers' row order (every row carries its
            # source_row; no model, check or archive relies on the order, and the published
            # checksums are the same either way): DuckDB then writes the tables without buffering
            # them to restore that order. Measured on the four Momentum tables at 1 000 000 persons:
            # 10.8-12.4 s and a 330 MB file with the order kept, 3.0-6.1 s and 176 MB without.
            self._con.execute("SET preserve_insertion_order = false")
            self._con.execute("CREATE SCHEMA IF NOT EXISTS raw")
            self._con.execute("CREATE SCHEMA IF NOT EXISTS meta")
            self._con.execute("""CREATE TABLE IF NOT EXISTS meta.loads (
                loaded_at TIMESTAMP, source VARCHAR, table_name VARCHAR, extract_date DATE,
                origin VARCHAR, row_count BIGINT)""")
            self._con.execute("BEGIN")
        except BaseException:
            self._con.close()
            raise
        self._open = True
        self._thread = threading.Thread(target=self._write, name=f"load raw.{source}", daemon=True)
        self._thread.start()

    def __enter__(self) -> "RawLoad":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add(self, name: str, table: pa.Table) -> None:
        """Write `table` as raw.<source>__<name> (in the transaction; seen by others only at the commit)."""
        self._added.add(name)
        self._queue.put((name, table))

    def _write(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is not None:
                continue  # the load failed: the rest is not written, only waited for
            name, table = item
            try:
                self._con.register("incoming", table)
                plain = self._record_ids.get(name, ())
                # The columns as DuckDB types the Arrow table (what CREATE TABLE AS would make)
                columns = ", ".join(f'"{col}" {typ}' + (" USING COMPRESSION uncompressed" if col in plain else "")
                                    for col, typ, *_ in self._con.execute("DESCRIBE SELECT * FROM incoming").fetchall())
                self._con.execute(f"CREATE OR REPLACE TABLE raw.{self._source}__{name} ({columns})")
                self._con.execute(f"INSERT INTO raw.{self._source}__{name} SELECT * FROM incoming")
                self._con.unregister("incoming")
            except BaseException as e:  # noqa: BLE001 - raised by finish, in the caller's thread
                self._error = e

    def _stop_writing(self) -> None:
        """Wait until every table handed over is written (or skipped after an error)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def finish(self, tables: dict[str, pa.Table], extract_date, origin: str,
               commit_if: Callable[[], bool] | None = None) -> bool:
        """Write what of `tables` was not handed over yet, record every table of `tables` in
        meta.loads, and commit. `commit_if`: asked once the tables are written, before the
        commit; False (returned) leaves the load to be rolled back by `close`, the tables as
        they were. An error writing a table is raised here, in the caller's thread."""
        for name, table in tables.items():
            if name not in self._added:
                self.add(name, table)
        self._stop_writing()
        if self._error is not None:
            raise self._error
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        for name, table in tables.items():
            self._con.execute("INSERT INTO meta.loads VALUES (?, ?, ?, ?, ?, ?)",
                              [now, self._source, name, extract_date, origin, table.num_rows])
        if commit_if is not None and not commit_if():
            return False
        self._con.execute("COMMIT")
        self._open = False
        return True

    def close(self) -> None:
        """Roll back whatever was not committed and close the connection (idempotent)."""
        self._stop_writing()
        if self._open:
            self._open = False
            try:
                self._con.execute("ROLLBACK")
            except duckdb.Error:  # a failed statement may have ended the transaction already
                pass
        self._con.close()


def load_raw(path: Path, source: str, tables: dict[str, pa.Table], extract_date, origin: str,
             commit_if: Callable[[], bool] | None = None,
             record_ids: Mapping[str, Iterable[str]] | None = None) -> bool:
    """Replace the raw tables of one source in one transaction (all or nothing) and record
    the load in meta.loads: `RawLoad` with every table at once. `commit_if`: asked once the
    tables are written, before the commit; False rolls the load back and is returned."""
    with RawLoad(path, source, record_ids) as load:
        return load.finish(tables, extract_date, origin, commit_if)


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
