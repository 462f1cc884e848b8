"""Operations without a pipeline run: what the sensor and the schedule ask for, freshness,
the one-writer lock, the instance configuration (SQLite default and PostgreSQL variant)."""
import json
import os
import shutil
from datetime import datetime
from pathlib import Path

import dagster as dg
import pytest
import yaml

from warehouse import inbox_state
from warehouse.config import REPO
from warehouse.runlock import WarehouseBusy, is_locked, warehouse_lock
from tests.conftest import SAMPLES

SOURCE_ROOTS = ("lbf", "roster", "omraader", "plans", "opera")


@dg.op
def nothing():
    return None


@dg.job
def nightly():
    """A stand-in job named like the real one: these tests are about storage and run queues."""
    nothing()


@pytest.fixture()
def home_inbox(tmp_path, monkeypatch):
    inbox, home, plans = tmp_path / "inbox", tmp_path / "home", tmp_path / "plans"
    shutil.copytree(SAMPLES, inbox)
    shutil.copytree(REPO / "plans", plans)
    home.mkdir()
    monkeypatch.setenv("HELHEDSDATA_HOME", str(home))
    monkeypatch.setenv("HELHEDSDATA_INBOX", str(inbox))
    monkeypatch.setenv("HELHEDSDATA_PLANS", str(plans))
    return home, inbox, plans


def _succeeded_run(instance, inbox, plans):
    """A successful run tagged with the inbox's present state: the baseline of 'changed'."""
    @dg.job
    def baseline():
        nothing()

    fps = inbox_state.fingerprints(inbox, plans)
    assert baseline.execute_in_process(instance=instance, tags={
        inbox_state.STATE_TAG: inbox_state.state_tag(inbox, fps)}).success


def _new_momentum_extract(inbox: Path, name: str = "20210302", control: bool = True) -> Path:
    src = inbox / "momentum" / "20210301"
    dst = inbox / "momentum" / name
    shutil.copytree(src, dst)
    if not control:
        (dst / "_kontrol.csv").unlink()
    return dst


def _keys(request) -> set[str]:
    return {k.to_user_string() for k in request.asset_selection}


def test_momentum_selection_is_momentum_and_downstream_only():
    from orchestration.definitions import defs

    keys = {k.to_user_string() for k in inbox_state.resolve_selection(defs, ["momentum"])}
    assert "publication" in keys
    assert {f"momentum/{t}" for t in ("borger_adresse", "maalgruppe", "samtale", "tilbud")} <= keys
    assert not [k for k in keys if k.split("/")[0] in SOURCE_ROOTS]
    every = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys < every  # a subset: seeds, LBF, rosters are not rebuilt


def test_sensor_requests_once_per_state_and_only_the_changed_source(home_inbox):
    from orchestration.definitions import defs
    from orchestration.sensors import inbox_sensor

    home, inbox, plans = home_inbox
    with dg.instance_for_test() as instance:
        first = inbox_sensor(dg.build_sensor_context(instance=instance, definitions=defs))
        assert isinstance(first, dg.RunRequest)
        assert first.asset_selection is None  # no warehouse, no baseline: everything
        assert set(first.tags[inbox_state.SOURCES_TAG].split(",")) == set(inbox_state.SOURCES)

        # The run succeeds: its state is the baseline; the warehouse exists now.
        (home / "warehouse.duckdb").write_bytes(b"")  # the sensor only looks whether it exists
        _succeeded_run(instance, inbox, plans)
        cursor = json.dumps(inbox_state.fingerprints(inbox, plans), sort_keys=True)
        same = inbox_sensor(dg.build_sensor_context(instance=instance, definitions=defs, cursor=cursor))
        assert isinstance(same, dg.SkipReason)

        # A Momentum folder still being copied (no control file) is not an extract yet.
        folder = _new_momentum_extract(inbox, control=False)
        ctx = dg.build_sensor_context(instance=instance, definitions=defs, cursor=cursor)
        assert isinstance(inbox_sensor(ctx), dg.SkipReason)
        shutil.copy(inbox / "momentum" / "20210301" / "_kontrol.csv", folder / "_kontrol.csv")
        ctx = dg.build_sensor_context(instance=instance, definitions=defs, cursor=cursor)
        req = inbox_sensor(ctx)
        assert isinstance(req, dg.RunRequest)
        assert req.tags[inbox_state.SOURCES_TAG] == "momentum"
        keys = _keys(req)
        assert "publication" in keys and "momentum/maalgruppe" in keys
        assert not [k for k in keys if k.split("/")[0] in SOURCE_ROOTS]
        assert json.loads(ctx.cursor)["momentum"].startswith("20210302:")
        # The same state again: not requested twice.
        again = inbox_sensor(dg.build_sensor_context(instance=instance, definitions=defs, cursor=ctx.cursor))
        assert isinstance(again, dg.SkipReason)

        # A roster edited too, while the Momentum run has not succeeded: both are rebuilt.
        roster = next((inbox / "roster").iterdir())
        roster.write_bytes(roster.read_bytes())
        os.utime(roster, ns=(roster.stat().st_atime_ns, roster.stat().st_mtime_ns + 10**9))
        both = inbox_sensor(dg.build_sensor_context(instance=instance, definitions=defs, cursor=ctx.cursor))
        assert set(both.tags[inbox_state.SOURCES_TAG].split(",")) == {"momentum", "roster"}
        assert "roster/deltagere" in _keys(both) and "lbf/beboerdata" not in _keys(both)


def test_schedule_skips_when_nothing_changed_and_is_0200_copenhagen(home_inbox):
    from orchestration.definitions import defs
    from orchestration.schedules import nightly_schedule

    home, inbox, plans = home_inbox
    assert nightly_schedule.cron_schedule == "0 2 * * *"
    assert nightly_schedule.execution_timezone == "Europe/Copenhagen"
    with dg.instance_for_test() as instance:
        (home / "warehouse.duckdb").write_bytes(b"")
        _succeeded_run(instance, inbox, plans)
        ctx = dg.build_schedule_context(instance=instance, repository_def=defs.get_repository_def())
        assert isinstance(nightly_schedule(ctx), dg.SkipReason)
        _new_momentum_extract(inbox)
        req = nightly_schedule(dg.build_schedule_context(instance=instance, repository_def=defs.get_repository_def()))
        assert isinstance(req, dg.RunRequest)
        assert req.tags[inbox_state.SOURCES_TAG] == "momentum"
        assert req.tags["helhedsdata/warehouse"] == "write"
        assert not [k for k in _keys(req) if k.split("/")[0] in SOURCE_ROOTS]


def test_sensor_and_schedule_skip_while_a_cli_run_holds_the_warehouse(home_inbox):
    from orchestration.definitions import defs
    from orchestration.schedules import nightly_schedule
    from orchestration.sensors import inbox_sensor

    home, _, _ = home_inbox
    with dg.instance_for_test() as instance:
        with warehouse_lock(home):
            assert is_locked(home)
            with pytest.raises(WarehouseBusy, match="one writer"):
                with warehouse_lock(home):
                    pass
            assert isinstance(inbox_sensor(dg.build_sensor_context(instance=instance, definitions=defs)),
                              dg.SkipReason)
            ctx = dg.build_schedule_context(instance=instance, repository_def=defs.get_repository_def())
            assert isinstance(nightly_schedule(ctx), dg.SkipReason)
        assert not is_locked(home)
        assert isinstance(inbox_sensor(dg.build_sensor_context(instance=instance, definitions=defs)), dg.RunRequest)


def test_freshness_by_extract_date_and_demand(home_inbox):
    _, inbox, plans = home_inbox
    # The sample Momentum extract is dated 1 March 2021 (its folder name).
    fresh = inbox_state.freshness(inbox, plans, now=datetime(2021, 3, 2, 8))
    assert fresh["momentum"] == {"as_of": "2021-03-01", "age_days": 1, "max_age_days": 2, "cadence": "daily",
                                 "fresh": True}
    late = inbox_state.freshness(inbox, plans, now=datetime(2021, 3, 4, 8))
    assert late["momentum"]["fresh"] is False and late["momentum"]["age_days"] == 3
    assert "momentum" in inbox_state.stale(late)
    assert "opera" not in late and "plans" not in late  # legacy/frozen and not delivered: no demand
    assert {s: late[s]["max_age_days"] for s in ("roster", "lbf", "omraader")} == {"roster": 7, "lbf": 400,
                                                                                 "omraader": 92}
    shutil.rmtree(inbox / "roster")
    assert inbox_state.freshness(inbox, plans)["roster"]["fresh"] is False  # nothing delivered: stale


def test_default_instance_retries_crashes_only_and_limits_warehouse_runs(tmp_path):
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 2
        assert instance.run_retries_retry_on_asset_or_op_failure is False  # a blocked gate never retries
        runs = instance.get_concurrency_config().run_queue_config
        assert runs.max_concurrent_runs == 1
        assert {"key": "helhedsdata/warehouse", "limit": 1} in runs.tag_concurrency_limits
    from orchestration.jobs import nightly_job

    assert nightly_job.tags["helhedsdata/warehouse"] == "write"


def test_default_instance_event_log_is_dagsters_files_written_faster(tmp_path, monkeypatch):
    """dagster.yaml's event log (orchestration/dagster_storage.py) keeps Dagster's SQLite files in
    the instance's own folder, whatever DAGSTER_HOME says; the stock class reads them back; a
    second instance watching the run (the UI's live log view) sees every event, the last ones
    of a burst too, while the run goes on."""
    import time

    from dagster._core.storage.event_log import SqliteEventLogStorage

    from orchestration.dagster_storage import FastSqliteEventLogStorage

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "elsewhere"))
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")

    seen = []
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance, \
            dg.DagsterInstance.from_config(str(tmp_path)) as ui:
        assert isinstance(instance.event_log_storage, FastSqliteEventLogStorage)
        assert instance.event_log_storage._base_dir == str(tmp_path / "history" / "runs")
        run = instance.create_run_for_job(nightly)
        ui.watch_event_logs(run.run_id, None, lambda event, cursor: seen.append(event))
        for burst in range(2):
            for i in range(10):
                instance.report_engine_event(f"burst {burst} event {i}", run)
            deadline = time.monotonic() + 10
            while len(seen) < 10 * (burst + 1) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(seen) == 10 * (burst + 1)  # without a further event to wake the watcher
        result = nightly.execute_in_process(instance=instance)
        assert result.success
        stored = len(instance.all_logs(result.run_id))
    assert not (tmp_path / "elsewhere").exists()
    stock = SqliteEventLogStorage(str(tmp_path / "history" / "runs"))
    assert len(stock.get_logs_for_run(result.run_id)) == stored > 5
    assert len(stock.get_logs_for_run(run.run_id)) == 20


def test_event_log_asks_sqlite_once_whether_a_table_exists(tmp_path, monkeypatch):
    """A table found in index.db is remembered (the stock storage opened a new engine for every
    asset check event to ask); a table not found is asked for again, so one added later is seen."""
    from sqlalchemy.dialects.sqlite.base import SQLiteDialect

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "elsewhere"))
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    asked = []
    original = SQLiteDialect.has_table

    def counting(self, connection, table_name, *args, **kwargs):
        asked.append(table_name)
        return original(self, connection, table_name, *args, **kwargs)

    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        storage = instance.event_log_storage
        assert storage.supports_asset_checks  # a property; the index shard exists once asked
        monkeypatch.setattr(SQLiteDialect, "has_table", counting)
        asked.clear()
        assert storage.supports_asset_checks and storage.supports_asset_checks
        assert storage.has_table("asset_check_executions")
        assert asked == []  # remembered from the first call, before the counter
        assert not storage.has_table("no_such_table") and not storage.has_table("no_such_table")
        assert asked == ["no_such_table", "no_such_table"]


def test_event_log_keeps_the_schema_and_migration_facts_it_found(tmp_path, monkeypatch):
    """Whether `asset_keys` has a column and whether a data migration completed are asked of
    SQLite until the answer is yes, then remembered: the stock storage asked on every asset
    event and every read of an asset's record. A "no" is asked again (a migration may add it)."""
    from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage
    from sqlalchemy.engine.reflection import Inspector

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "elsewhere"))
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    asked = []
    columns, index = Inspector.get_columns, SqlEventLogStorage.has_secondary_index
    key = dg.AssetKey(["marts", "x"])
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        storage = instance.event_log_storage
        instance.report_runless_asset_event(dg.AssetMaterialization(key))  # facts found, remembered
        assert instance.get_asset_records([key])
        monkeypatch.setattr(Inspector, "get_columns", lambda self, table, *a, **k: asked.append(table) or
                            columns(self, table, *a, **k))
        monkeypatch.setattr(SqlEventLogStorage, "has_secondary_index", lambda self, name: asked.append(name) or
                            index(self, name))
        for _ in range(3):
            instance.report_runless_asset_event(dg.AssetMaterialization(key))
            assert instance.get_asset_records([key])[0].asset_entry.last_materialization is not None
        assert storage.has_asset_key_index_cols() and storage.can_read_asset_status_cache()
        assert asked == []
        assert not storage.has_asset_key_col("no_such_column") and not storage.has_asset_key_col("no_such_column")
        assert not storage.has_secondary_index("no_such_migration")
        assert not storage.has_secondary_index("no_such_migration")
        assert asked == ["asset_keys", "asset_keys", "no_such_migration", "no_such_migration"]


def test_postgres_instance_round_trip(tmp_path, monkeypatch):
    """dagster.postgres.yaml against the real PostgreSQL: a run stored and read back, event
    log, schedule storage."""
    import psycopg

    db = f"helhedsdata_i6_ops_dagster_{os.getpid()}"
    admin = "host=127.0.0.1 port=5432 user=postgres dbname=test"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        con.execute(f"CREATE DATABASE {db}")
    try:
        for k, v in {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": "5432", "DAGSTER_PG_DB": db,
                     "DAGSTER_PG_USERNAME": "postgres", "DAGSTER_PG_PASSWORD": ""}.items():
            monkeypatch.setenv(k, v)
        shutil.copy(REPO / "dagster.postgres.yaml", tmp_path / "dagster.yaml")
        cfg = yaml.safe_load((tmp_path / "dagster.yaml").read_text())
        assert "postgres" in cfg["storage"]
        with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
            assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"

            @dg.asset
            def tiny():
                return 1

            result = dg.materialize([tiny], instance=instance, tags={"helhedsdata/warehouse": "write"})
            assert result.success
            stored = instance.get_run_by_id(result.run_id)
            assert stored.status == dg.DagsterRunStatus.SUCCESS and stored.tags["helhedsdata/warehouse"] == "write"
            assert instance.get_latest_materialization_event(dg.AssetKey("tiny")).run_id == result.run_id

            # Schedule storage: the nightly schedule's state stored and read back.
            from dagster._core.remote_origin import (RegisteredCodeLocationOrigin, RemoteInstigatorOrigin,
                                                     RemoteRepositoryOrigin)
            from dagster._core.scheduler.instigation import (InstigatorState, InstigatorStatus, InstigatorType,
                                                             ScheduleInstigatorData)

            origin = RemoteInstigatorOrigin(RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("helhedsdata"),
                                                                   "__repository__"), "nightly_schedule")
            instance.add_instigator_state(InstigatorState(origin, InstigatorType.SCHEDULE, InstigatorStatus.RUNNING,
                                                          ScheduleInstigatorData("0 2 * * *")))
            back = instance.get_instigator_state(origin.get_id(), origin.get_selector().get_id())
            assert back is not None and back.status == InstigatorStatus.RUNNING
            assert back.instigator_data.cron_schedule == "0 2 * * *"
        with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={db}") as con:
            tables = {r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
        assert {"runs", "event_logs", "jobs", "job_ticks"} <= tables  # run, event-log and schedule storage
    finally:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


def test_cli_refuses_to_start_beside_a_daemon_run(tmp_path):
    """`helhedsdata run` bypasses the queue: it must not start while a run the daemon
    launched is queued or running on the warehouse; a killed CLI run does not block it."""
    from cli.main import _refuse_while_daemon_runs
    from orchestration.jobs import LAUNCHED_BY_TAG, WAREHOUSE_TAG

    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        _refuse_while_daemon_runs(instance)  # nothing running
        def started(tags):
            run = instance.create_run_for_job(nightly, tags=tags)
            instance.handle_run_event(run.run_id, dg.DagsterEvent(dg.DagsterEventType.RUN_START.value,
                                                                  job_name="nightly"))
            assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED
            return run

        started({**WAREHOUSE_TAG, LAUNCHED_BY_TAG: "cli"})
        _refuse_while_daemon_runs(instance)  # a (killed) CLI run: its lock is the guard
        daemon = started(WAREHOUSE_TAG)
        with pytest.raises(WarehouseBusy, match=daemon.run_id[:8]):
            _refuse_while_daemon_runs(instance)


def test_a_home_takes_up_the_new_dagster_yaml_unless_it_was_edited(tmp_path, monkeypatch):
    import hashlib

    import cli.main as cli
    from warehouse.config import Settings

    settings = Settings(tmp_path / "home", tmp_path / "inbox")
    target = settings.dagster_home / "dagster.yaml"
    cli.ensure_dagster_home(settings)  # a new home: the current one
    assert target.read_bytes() == (REPO / "dagster.yaml").read_bytes()

    old = b"telemetry:\n  enabled: false\n"  # stands for an earlier shipped version
    monkeypatch.setattr(cli, "SHIPPED_DAGSTER_YAML", {hashlib.sha256(old).hexdigest()})
    target.write_bytes(old)
    cli.ensure_dagster_home(settings)
    assert target.read_bytes() == (REPO / "dagster.yaml").read_bytes()

    edited = old + b"# mine\n"
    target.write_bytes(edited)
    cli.ensure_dagster_home(settings)
    assert target.read_bytes() == edited  # edited by hand (e.g. the PostgreSQL variant): kept
