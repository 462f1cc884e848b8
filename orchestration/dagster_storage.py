"""Dagster's SQLite event log, with the same files and tables, at a fraction of the cost per event.

Dagster's `SqliteEventLogStorage` opens a new SQLAlchemy engine and SQLite connection for every
write, commits it with a full fsync and closes it again, which (the last connection of a WAL
database closing) checkpoints the WAL into the database file and deletes it: two to four such
cycles per event (an asset or check event is mirrored into the cross-run `index.db`). A night
writes ~1 000 events (planned materializations and checks, materializations, check evaluations,
outputs), at 35-45 ms each on the 2-core machine: most of the fixed cost of a night
(docs/benchmarks.md, "Fixed cost of a night").

This subclass changes only how it connects, never what it stores:

- one engine (one pooled connection) per shard, kept open; a shard not used recently is closed
  (the UI reads many runs' shards);
- `synchronous=NORMAL` in WAL mode (SQLite's documented setting for WAL): a commit no longer
  waits for the disk; the database stays consistent after a crash of the process or the machine,
  and only a power loss or OS crash can lose the last transactions, which Dagster's run
  monitoring then treats like a run whose process died;
- whether a table exists in `index.db` is asked of SQLite once: the stock `has_table` opens a
  new engine and connection on every call, and it is called for every asset check event
  (`supports_asset_checks`) and every asset event with tags; a table, once there, stays (Dagster's
  migrations add tables, never drop them), so a "yes" is kept for the storage's life;
- so are the other schema and migration facts the stock storage asks again on every asset event
  and every read of an asset's record (a check's target, a model's inputs): whether
  `asset_keys` has a column (a reflection of the table each time) and whether a data migration
  has completed (a query of `secondary_indexes`); a night asked ~700 times (~1.6 s). Migrations
  add columns and completed-migration rows, never remove them, so only a "yes" is kept;
- the run shard is checkpointed into `<run_id>.db` at most every `CHECKPOINT_SECONDS` and at once
  at the run's end, because the UI's live log view of a run (a file watcher on `<run_id>.db`,
  `SqliteEventLogStorageWatchdog`) is woken by that file changing, which the stock storage did on
  every event by closing its connection.

The files are the stock storage's: a home written by it is read by the stock class (the UI of
another Dagster install) and vice versa; `dagster.yaml` selects it.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

import sqlalchemy as db
from dagster._config import Field, StringSource
from dagster._core.events import EVENT_TYPE_TO_PIPELINE_RUN_STATUS
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import _event_logs_directory
from dagster._serdes import ConfigurableClassData

CHECKPOINT_SECONDS = 0.5  # how stale the UI's live view of a running run may get
MAX_OPEN_SHARDS = 8  # index.db, this run's shard, and a few the UI read last


def _on_connect(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class FastSqliteEventLogStorage(SqliteEventLogStorage):
    """Configured in dagster.yaml (no config: the files are where the stock storage keeps
    them, <instance directory>/history/runs, known once the instance registers itself)::

        event_log_storage:
          module: orchestration.dagster_storage
          class: FastSqliteEventLogStorage
    """

    def __init__(self, base_dir: str | None = None, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, db.engine.Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        self._last_checkpoint: dict[str, float] = {}
        self._timers: dict[str, threading.Timer] = {}
        self._lazy_inst_data = inst_data
        self._facts_seen: set[tuple[str, str]] = set()  # ("table" | "column" | "migration", name): yes answers
        if base_dir is not None:
            super().__init__(base_dir, inst_data=inst_data)

    @property
    def inst_data(self) -> ConfigurableClassData | None:
        return self._lazy_inst_data

    @classmethod
    def config_type(cls):
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(config_value.get("base_dir"), inst_data=inst_data)

    def register_instance(self, instance) -> None:
        if not hasattr(self, "_base_dir"):  # no base_dir configured: the instance's own folder
            super().__init__(_event_logs_directory(instance.root_directory), inst_data=self._lazy_inst_data)
        super().register_instance(instance)

    def _engine(self, shard: str) -> db.engine.Engine:
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is not None:
                self._engines.move_to_end(shard)
                return engine
            engine = db.create_engine(self.conn_string_for_shard(shard), pool_size=1, max_overflow=4,
                                      connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
            db.event.listen(engine, "connect", _on_connect)
            self._engines[shard] = engine
            while len(self._engines) > MAX_OPEN_SHARDS:
                old_shard, old = self._engines.popitem(last=False)
                self._last_checkpoint.pop(old_shard, None)
                old.dispose()  # closing the last connection checkpoints that shard
            return engine

    def _kept_yes(self, fact: tuple[str, str], ask: Callable[[], object]) -> bool:
        """The answer of `ask`, remembered once it is yes (tables, columns and completed
        migrations are only ever added)."""
        if fact in self._facts_seen:
            return True
        found = bool(ask())
        if found:
            self._facts_seen.add(fact)
        return found

    def has_table(self, table_name: str) -> bool:
        return self._kept_yes(("table", table_name), partial(self._ask_has_table, table_name))

    def _ask_has_table(self, table_name: str) -> bool:
        # Not through _connect: its lock is not reentrant and callers may hold it.
        engine = self._engine(INDEX_SHARD_NAME)
        with engine.connect() as conn:
            return engine.dialect.has_table(conn, table_name)

    def has_asset_key_col(self, column_name: str) -> bool:
        return self._kept_yes(("column", column_name), partial(super().has_asset_key_col, column_name))

    def _has_asset_key_col_on_connection(self, conn, column_name: str) -> bool:
        return self._kept_yes(("column", column_name),
                              partial(super()._has_asset_key_col_on_connection, conn, column_name))

    def has_secondary_index(self, name: str) -> bool:
        return self._kept_yes(("migration", name), partial(super().has_secondary_index, name))

    @contextmanager
    def _connect(self, shard: str) -> Iterator[db.engine.Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn:
                with conn.begin():
                    yield conn

    def store_event(self, event) -> None:
        super().store_event(event)
        run_id = event.run_id
        if not run_id:
            return
        run_ended = event.is_dagster_event and event.dagster_event_type in EVENT_TYPE_TO_PIPELINE_RUN_STATUS
        wait = CHECKPOINT_SECONDS - (time.monotonic() - self._last_checkpoint.get(run_id, 0.0))
        if run_ended or wait <= 0:
            self._checkpoint(run_id)
            return
        with self._db_lock:
            if run_id not in self._timers:  # the last events of a burst reach the UI too
                timer = threading.Timer(wait, self._checkpoint, args=(run_id,))
                timer.daemon = True
                self._timers[run_id] = timer
                timer.start()

    def _checkpoint(self, shard: str) -> None:
        """Copy the shard's WAL into its database file (which wakes the UI's file watcher)."""
        with self._db_lock:
            timer = self._timers.pop(shard, None)
            if timer is not None:
                timer.cancel()
            self._last_checkpoint[shard] = time.monotonic()
            engine = self._engines.get(shard)
            if engine is None:
                return
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def _close_all(self) -> None:
        with self._db_lock, self._engines_lock:
            for timer in self._timers.values():
                timer.cancel()
            self._timers.clear()
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
            self._last_checkpoint.clear()
            self._facts_seen.clear()

    def wipe(self) -> None:
        self._close_all()  # wipe deletes the run shards' files
        super().wipe()

    def delete_events(self, run_id: str) -> None:
        super().delete_events(run_id)
        if run_id in self._engines:
            self._checkpoint(run_id)

    def dispose(self) -> None:
        self._close_all()
        super().dispose()

