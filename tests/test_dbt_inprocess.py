"""dbt in the Dagster process (orchestration/dbt_inprocess.py), with dbtRunner replaced by a fake:
what the stand-in for the subprocess gives dagster-dbt. The real dbt build runs in the slow
pipeline tests (tests/test_operations.py, tests/test_crash.py, ...)."""
from types import SimpleNamespace

import pytest

from orchestration import dbt_inprocess


def _msg(level: str, name: str = "Note", text: str = "x"):
    return SimpleNamespace(info=SimpleNamespace(level=level, name=name, msg=text))


@pytest.fixture
def fake_dbt(monkeypatch):
    import dbt.cli.main
    import dbt_common.events.functions

    seen = {}

    class Runner:
        def __init__(self, callbacks):
            self.callbacks = callbacks

        def invoke(self, args):
            import os

            seen["args"], seen["target"] = args, os.environ.get("DBT_TARGET_PATH")
            for level, name in seen.get("emit", [("debug", "Note"), ("info", "Note"), ("error", "Note")]):
                for cb in self.callbacks:
                    cb(_msg(level, name, text=f"a {level} event"))
            # what dbt's RunExecutionResult is asked for here: written as run_results.json
            written = SimpleNamespace(write=lambda path: seen.setdefault("written", []).append(path))
            return SimpleNamespace(success=seen.get("success", True), exception=seen.get("exception"),
                                   result=None if seen.get("exception") else written)

    monkeypatch.setattr(dbt.cli.main, "dbtRunner", Runner)
    monkeypatch.setattr(dbt_common.events.functions, "msg_to_dict",
                        lambda m: {"info": {"name": m.info.name, "level": m.info.level, "msg": m.info.msg}, "data": {}})
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    return seen


def test_events_above_debug_are_read_once_and_the_environment_is_restored(fake_dbt):
    import os

    proc = dbt_inprocess.InProcessDbt(["dbt", "build"], {"DBT_TARGET_PATH": "/tmp/t", "PATH": "ignored"})
    first = list(proc.events())
    assert [e["info"]["level"] for e in first] == ["info", "error"]  # as the subprocess printed them
    assert list(proc.events()) == []  # read once, like a pipe: dagster-dbt asks again at the end
    assert proc.wait() == 0
    # no console log of dbt's own, and no file log (dbt.log) unless asked for; no JSON artifacts
    # of dbt's own (manifest.json twice): run_results.json is written here, in the target folder
    assert fake_dbt["args"] == ["build", "--log-level", "none", "--log-level-file", "none", "--no-write-json"]
    assert fake_dbt["target"] == "/tmp/t" and fake_dbt["written"] == ["/tmp/t/run_results.json"]
    assert "DBT_TARGET_PATH" not in os.environ


@pytest.mark.parametrize("args, env, expected", [
    (["dbt", "parse"], {"DBT_TARGET_PATH": "/tmp/t"}, None),  # writes the manifest: dbt's own way
    (["dbt", "build"], {}, None),  # no target folder known: dbt's own way
    (["dbt", "build", "--write-json"], {"DBT_TARGET_PATH": "/tmp/t"}, None),  # asked for: left alone
    (["dbt", "build", "--target-path", "/x"], {"DBT_TARGET_PATH": "/tmp/t"}, None),  # a target of its own
    (["dbt", "test"], {"DBT_TARGET_PATH": "t", "DBT_PROJECT_DIR": "/p"}, "/p/t/run_results.json"),  # as dbt resolves it
])
def test_run_results_are_written_here_only_for_commands_that_run_nodes_into_a_known_target(fake_dbt, args, env,
                                                                                            expected):
    proc = dbt_inprocess.InProcessDbt(args, env)
    list(proc.events())
    assert proc.wait() == 0
    assert ("--no-write-json" in fake_dbt["args"]) == (expected is not None)
    assert fake_dbt.get("written", [None]) == [expected]


def test_of_the_debug_events_only_dbts_elapsed_for_the_command_is_passed_on(fake_dbt):
    fake_dbt["emit"] = [("debug", "SQLQuery"), ("info", "LogModelResult"), ("debug", "CommandCompleted"),
                        ("debug", "ConnectionClosed")]
    proc = dbt_inprocess.InProcessDbt(["dbt", "build"], {})
    assert [e["info"]["name"] for e in proc.events()] == ["LogModelResult", "CommandCompleted"]
    assert proc.wait() == 0


def test_dbt_log_file_at_the_level_asked_for_and_a_wrong_level_stops_before_dbt_starts(fake_dbt, monkeypatch):
    monkeypatch.setenv(dbt_inprocess.FILE_LOG_ENV, " Debug ")
    proc = dbt_inprocess.InProcessDbt(["dbt", "build"], {})
    list(proc.events())
    assert proc.wait() == 0
    assert fake_dbt["args"] == ["build", "--log-level", "none", "--log-level-file", "debug"]

    fake_dbt.clear()
    monkeypatch.setenv(dbt_inprocess.FILE_LOG_ENV, "verbose")
    with pytest.raises(ValueError, match="HELHEDSDATA_DBT_FILE_LOG='verbose': expected one of none, error"):
        dbt_inprocess.InProcessDbt(["dbt", "build"], {})
    assert "args" not in fake_dbt  # dbt never started
    assert dbt_inprocess._RUN_LOCK.acquire(blocking=False)  # and the lock was not taken
    dbt_inprocess._RUN_LOCK.release()


def test_a_failed_build_gives_exit_code_1_and_an_exception_code_2(fake_dbt):
    fake_dbt["success"] = False
    proc = dbt_inprocess.InProcessDbt(["dbt", "build"], {})
    list(proc.events())
    assert proc.wait() == 1

    fake_dbt["exception"] = RuntimeError("boom")
    proc = dbt_inprocess.InProcessDbt(["dbt", "build"], {})
    events = list(proc.events())
    assert proc.wait() == 2
    assert events[-1]["info"]["level"] == "error" and "boom" in events[-1]["info"]["msg"]


def test_subprocess_on_request(monkeypatch):
    monkeypatch.setenv(dbt_inprocess.SUBPROCESS_ENV, "1")
    assert not dbt_inprocess.in_process_enabled()
    monkeypatch.setenv(dbt_inprocess.SUBPROCESS_ENV, "0")
    assert dbt_inprocess.in_process_enabled()



def test_the_behavior_flag_source_is_dbts_answer_without_inspect_stack(tmp_path, monkeypatch):
    """dbt_common names the module that built a behavior flag with inspect.stack(), ~1 s per
    night; the frame walk that stands in for it during a run gives the same name, from this
    module and from another one on disk (as dbt's adapter module is), and dbt's own is back
    afterwards."""
    import importlib

    import dbt_common.behavior_flags as bf

    original = vars(bf.BehaviorFlagRendered)["_default_source"]
    flag = {"name": "some_flag", "default": False, "description": "d"}
    (tmp_path / "flag_maker.py").write_text(
        "from dbt_common.behavior_flags import BehaviorFlagRendered\n"
        "def made(flag):\n    return BehaviorFlagRendered(flag, {})._behavior_change_event.flag_source\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    maker = importlib.import_module("flag_maker")

    def sources():
        return bf.BehaviorFlagRendered(flag, {})._behavior_change_event.flag_source, maker.made(flag)

    dbts = sources()
    restore = dbt_inprocess._cheaper_behavior_flag_source()
    try:
        assert bf.BehaviorFlagRendered._default_source is dbt_inprocess._module_of_caller
        assert sources() == dbts == (__name__, "flag_maker")
    finally:
        restore()
    assert vars(bf.BehaviorFlagRendered)["_default_source"] is original


def test_debug_events_no_one_hears_are_neither_built_nor_fired_and_the_rest_are_dbts_own():
    """During a run dbt's events build their protobuf message when first read, and a debug event
    that none of dbt's listeners takes (the run's callback drops it, dbt's behaviour-change
    tracker reads another event) is not fired: what is fired is what dbt would fire, field for
    field; with a listener not known or a logger of dbt's own every event is fired; afterwards
    dbt's constructor and fire_event are back and an event made during the run still reads."""
    from dbt.adapters.events.types import SQLQuery
    from dbt.events.types import CommandCompleted
    from dbt.tracking import track_behavior_change_warn
    from dbt_common.events.base_types import BaseEvent, msg_from_base_event
    from dbt_common.events.event_manager import EventManager
    from dbt_common.events.types import Note
    from google.protobuf.json_format import MessageToDict

    def made():
        return [SQLQuery(conn_name="c", sql="select 1", node_info={}), Note(msg="a note"),
                CommandCompleted(command="build", success=True, completed_at="2026-12-04T10:00:00.5Z", elapsed=1.5)]

    def as_dicts(msgs):
        return [(m.info.name, m.info.level, m.info.msg, MessageToDict(m.data)) for m in msgs]

    dbts = as_dicts(msg_from_base_event(e) for e in made())
    heard = []
    manager = EventManager()
    manager.callbacks = [heard.append, track_behavior_change_warn]  # as dbtRunner sets them up
    constructor, fire = vars(BaseEvent)["__init__"], vars(EventManager)["fire_event"]
    restore = dbt_inprocess._unheard_debug_events_unbuilt(heard.append, frozenset({"CommandCompleted"}))
    try:
        events = made()
        assert all("pb_msg" not in vars(e) for e in events)  # nothing built yet
        for e in events:
            manager.fire_event(e)
        assert "pb_msg" not in vars(events[0])  # the SQL statement: never built, never fired
        assert as_dicts(heard) == dbts[1:]
        assert events[0].sql == "select 1"  # read, it is built as dbt builds it

        for listeners, loggers in (([heard.append, [].append], []),  # a listener not known: all fired
                                   ([heard.append], [SimpleNamespace(filter=lambda msg: False)])):  # dbt.log
            heard.clear()
            manager.callbacks, manager.loggers = listeners, loggers
            for e in made():
                manager.fire_event(e)
            assert as_dicts(heard) == dbts
        late = SQLQuery(conn_name="c", sql="select 2", node_info={})
    finally:
        restore()
    assert vars(BaseEvent)["__init__"] is constructor and vars(EventManager)["fire_event"] is fire
    assert late.sql == "select 2" and "pb_msg" in vars(SQLQuery(conn_name="c", sql="s", node_info={}))


def _state(tmp_path, parsed_for: str | None, checksum: str):
    import msgpack

    source = tmp_path / "project" / "partial_parse.msgpack"
    source.parent.mkdir()
    source.write_bytes(msgpack.packb({"state_check": {"profile_hash": {"name": "sha256", "checksum": checksum},
                                                      "vars_hash": {"name": "sha256", "checksum": "v"}},
                                      "files": {"a.sql": [1, 2.5, None, "x"]}}))
    if parsed_for is not None:
        dbt_inprocess.record_parsed_for(source.parent, parsed_for)
    return source, tmp_path / "home" / "partial_parse.msgpack"


def test_a_homes_partial_parse_state_names_its_own_warehouse(tmp_path):
    """The project's partial-parse state, parsed for one warehouse path, is seeded into a new
    home with the profile checksum dbt computes for the home's path, and nothing else changed."""
    import msgpack

    from warehouse.config import DBT_PROJECT_DIR

    prepared, home = "/srv/prepare/warehouse.duckdb", "/srv/home/warehouse.duckdb"
    expected = dbt_inprocess.profile_hash(DBT_PROJECT_DIR, home)
    assert expected and expected != dbt_inprocess.profile_hash(DBT_PROJECT_DIR, prepared)
    source, dest = _state(tmp_path, prepared, dbt_inprocess.profile_hash(DBT_PROJECT_DIR, prepared))
    dest.parent.mkdir()
    assert dbt_inprocess.seed_partial_parse(source, dest, DBT_PROJECT_DIR, home)
    state, before = msgpack.unpackb(dest.read_bytes()), msgpack.unpackb(source.read_bytes())
    assert state["state_check"]["profile_hash"] == {"name": "sha256", "checksum": expected}
    before["state_check"]["profile_hash"]["checksum"] = expected
    assert state == before


@pytest.mark.parametrize("case", ["another file name", "checksum not reproduced", "no note of the path",
                                  "same path"])
def test_a_partial_parse_state_not_shown_to_fit_is_copied_as_it_is(tmp_path, case):
    """Only a checksum reproduced exactly for the noted path, and the same database (file) name,
    is replaced; otherwise the state is copied byte for byte and dbt decides (a full parse)."""
    from warehouse.config import DBT_PROJECT_DIR

    prepared = "/srv/prepare/warehouse.duckdb"
    home = {"another file name": "/srv/home/other.duckdb", "same path": prepared}.get(case, "/srv/home/warehouse.duckdb")
    checksum = "0" * 64 if case == "checksum not reproduced" else dbt_inprocess.profile_hash(DBT_PROJECT_DIR, prepared)
    source, dest = _state(tmp_path, None if case == "no note of the path" else prepared, checksum)
    dest.parent.mkdir()
    assert not dbt_inprocess.seed_partial_parse(source, dest, DBT_PROJECT_DIR, home)
    assert dest.read_bytes() == source.read_bytes()


def test_the_dbt_subprocess_writes_dbt_log_at_the_same_level(monkeypatch):
    from dagster_dbt import DbtCliResource

    from orchestration.assets.dbt import dbt_resource

    seen = {}
    monkeypatch.setattr(DbtCliResource, "cli", lambda self, args, **kw: seen.setdefault("args", list(args)))
    monkeypatch.setenv(dbt_inprocess.SUBPROCESS_ENV, "1")
    monkeypatch.delenv(dbt_inprocess.FILE_LOG_ENV, raising=False)
    dbt_resource().cli(["build", "--exclude-resource-type", "unit_test"])
    assert seen["args"] == ["build", "--exclude-resource-type", "unit_test", "--log-level-file", "none"]
    seen.clear()
    monkeypatch.setenv(dbt_inprocess.FILE_LOG_ENV, "debug")
    dbt_resource().cli(["build"])
    assert seen["args"] == ["build", "--log-level-file", "debug"]
