"""dbt run inside the Dagster process (dbt-core's `dbtRunner`), fed to dagster-dbt's own event
parsing, instead of a `dbt` subprocess per build.

dagster-dbt 0.29's `DbtCliResource.cli` always starts `dbt` as a subprocess and reads its JSON log
lines from stdout (`DbtCliInvocation`). That subprocess pays a Python start, dbt-core's and the
adapter's imports and dbt's set-up again, beside a Dagster process that has imported most of dbt
already (dagster-dbt imports dbt-core's artifacts and adapters). Here the same invocation runs
`dbtRunner.invoke` in a thread of this process; dbt's events reach dagster-dbt through a callback,
as the same dicts dbt would have printed as JSON lines (`msg_to_dict`), so everything downstream
(materializations, asset check results, metadata, the UI) is dagster-dbt's unchanged code.

What the thread stands in for is the part of `subprocess.Popen` that `DbtCliInvocation` uses:
`args`, `stdout` (here a queue of events), `wait()`, `returncode`, `send_signal()`.

DuckDB has one writer per file: when dbt finishes, dbt-duckdb's connection is closed (dbt's own
adapter clean-up, then the adapter's environment explicitly) before the next step opens the
warehouse.

`HELHEDSDATA_DBT_SUBPROCESS=1` runs dbt as dagster-dbt does by default (a subprocess), for
comparison (docs/benchmarks.md) or should the in-process run ever misbehave.
"""
from __future__ import annotations

import logging
import os
import queue
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from dagster_dbt.core.dbt_cli_invocation import PARTIAL_PARSE_FILE_NAME, DbtCliInvocation, _get_dbt_target_path

from warehouse.config import WAREHOUSE_ENV

SUBPROCESS_ENV = "HELHEDSDATA_DBT_SUBPROCESS"

_DONE = object()
_RUN_LOCK = threading.Lock()  # dbt keeps global state (flags, event manager, adapters): one run at a time


def in_process_enabled() -> bool:
    return os.environ.get(SUBPROCESS_ENV, "") in ("", "0")


# dbt's own file log (dbt.log in the home's dbt/target): every SQL statement with its timing, at
# `debug`. Off by default: dbt formats and writes ~3 900 lines a night (the sample inbox) through a rotating file
# handler that stats the file per line, and the file logger alone cost 1.5-2 s of a ~12 s build
# on a small warehouse (docs/benchmarks.md, stop 28). The night's record of dbt stays: every
# event above debug in logs/dbt-last-run.log and the run's Dagster log, the compiled SQL in
# dbt/target/run. An operator chasing a statement sets `HELHEDSDATA_DBT_FILE_LOG=debug`.
FILE_LOG_ENV = "HELHEDSDATA_DBT_FILE_LOG"
FILE_LOG_LEVELS = ("none", "error", "warn", "info", "debug")


def file_log_level() -> str:
    level = os.environ.get(FILE_LOG_ENV, "").strip().lower() or "none"
    if level not in FILE_LOG_LEVELS:
        raise ValueError(f"{FILE_LOG_ENV}={level!r}: expected one of {', '.join(FILE_LOG_LEVELS)}")
    return level


class InProcessDbt:
    """A dbt invocation running in a thread of this process, shaped like the `subprocess.Popen`
    that `DbtCliInvocation` expects."""

    def __init__(self, args: Sequence[str], env: Mapping[str, str]):
        self.args = list(args)
        self.returncode: int | None = None
        self.exception: BaseException | None = None
        self._read = False
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        # dagster-dbt hands the subprocess its settings as environment variables (DBT_TARGET_PATH,
        # DBT_LOG_PATH, DBT_PROFILES_DIR, DBT_PROJECT_DIR, DBT_LOG_FORMAT, ...). dbt reads them when
        # its command line is parsed: set them for the run, restore them after.
        self._env = {k: v for k, v in env.items() if k.startswith("DBT_") or k == "DAGSTER_DBT_CLI"}
        self._saved = {k: os.environ.get(k) for k in self._env}
        self._file_log = file_log_level()  # a wrong value stops the step here, before dbt starts
        _RUN_LOCK.acquire()
        os.environ.update(self._env)
        self._thread = threading.Thread(target=self._main, name="dbt", daemon=True)
        self._thread.start()

    # Debug events passed on all the same: dbt's own elapsed time for the whole command, its one
    # line in logs/dbt-last-run.log ("Command `cli build` succeeded at ... after 16.18 seconds"),
    # which was only in dbt.log (the benchmark reads dbt's start-up from it: bench/run.py).
    PASSED_DEBUG_EVENTS = frozenset({"CommandCompleted"})

    def _callback(self, msg) -> None:
        # The subprocess printed events of level info and above on stdout; dagster-dbt's result
        # events (Log*Result) are among them. Debug events (every SQL statement) go to dbt.log
        # only, when it is asked for (`file_log_level`).
        if msg.info.level != "debug" or msg.info.name in self.PASSED_DEBUG_EVENTS:
            self._events.put(msg)

    # dbt writes manifest.json (1.4 MB) into the target folder twice per `dbt build`, once after
    # loading the project and again with run_results.json at the end (~0.3 s a night on the
    # 2-core machine). A home's manifest is the project's own (dbt_project/target/manifest.json,
    # `helhedsdata prepare`, which is what Dagster's definitions read); run_results.json is
    # the night's record (the benchmark, an operator): for the commands that run nodes, dbt is
    # told not to write its JSON artifacts (`--no-write-json`) and run_results.json is written
    # here, from the result dbt returns, as dbt writes it.
    RESULTS_COMMANDS = frozenset({"build", "run", "test", "seed"})

    def _run_results_file(self, args: Sequence[str]) -> Path | None:
        target = self._env.get("DBT_TARGET_PATH")
        if (not target or not args or args[0] not in self.RESULTS_COMMANDS
                or any(a in ("--write-json", "--no-write-json", "--target-path") for a in args)):
            return None
        target = Path(target)
        if not target.is_absolute():  # as dbt reads it: under the project
            target = Path(self._env.get("DBT_PROJECT_DIR") or ".") / target
        return target / "run_results.json"

    def _main(self) -> None:
        restore = []
        try:  # everything inside: the finally must release the lock and end the event stream
            from dbt.cli.main import dbtRunner

            restore.append(_cheaper_behavior_flag_source())
            restore.append(_unheard_debug_events_unbuilt(self._callback, self.PASSED_DEBUG_EVENTS))
            # args[0] is the executable's name; --log-level none: no console logger of dbt's own
            # (dagster-dbt writes each event to stdout itself, as it did with the subprocess: the
            # home's logs/dbt-last-run.log). --log-level-file: dbt.log in the target folder only
            # when asked for (`file_log_level`; `--log-level` alone silences the file too).
            args = [*self.args[1:], "--log-level", "none", "--log-level-file", self._file_log]
            results_file = self._run_results_file(args)
            if results_file is not None:
                args.append("--no-write-json")
            result = dbtRunner(callbacks=[self._callback]).invoke(args)
            if results_file is not None and hasattr(getattr(result, "result", None), "write"):
                result.result.write(str(results_file))
            self.exception = result.exception
            self.returncode = 0 if result.success else (2 if result.exception is not None else 1)
        except BaseException as e:  # noqa: BLE001 - reported through the error event below
            self.exception = e
            self.returncode = 2
        finally:
            for undo in reversed(restore):
                undo()
            _release_duckdb()
            for k, v in self._saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            _RUN_LOCK.release()
            self._events.put(_DONE)

    def events(self) -> Iterator[dict[str, Any]]:
        """dbt's events as the dicts its JSON log lines hold, in the order dbt fired them."""
        from dbt_common.events.functions import msg_to_dict

        # Read once, like a pipe: dagster-dbt asks again after the end (is_successful), and a
        # closed stdout then gives nothing.
        if self._read:
            return
        self._read = True
        while True:
            msg = self._events.get()
            if msg is _DONE:
                break
            yield msg_to_dict(msg)
        if self.exception is not None:
            # What the subprocess would have printed before exiting with code 2.
            yield {"info": {"name": "MainEncounteredError", "level": "error", "msg": f"Encountered an error:\n{self.exception}"},
                   "data": {}}

    def wait(self, timeout: float | None = None) -> int:
        self._thread.join(timeout)
        return self.returncode if self.returncode is not None else 2

    def send_signal(self, sig) -> None:
        # A running dbtRunner cannot be interrupted from outside; Dagster's interrupt ends the
        # process, and dbt with it (as a killed subprocess would end).
        pass


def _module_of_caller() -> str:
    """The name of the first module on the call stack other than dbt_common.behavior_flags:
    what dbt_common's `BehaviorFlagRendered._default_source` returns, found by walking the
    frames instead of `inspect.stack()`."""
    import sys

    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__")
        if name and name != "dbt_common.behavior_flags":
            return name
        frame = frame.f_back
    return "Unknown"


def _cheaper_behavior_flag_source():
    """dbt's adapter builds one BehaviorFlagRendered per behavior flag at every start, and each
    calls `_default_source()` (even when the flag names its source), which calls
    `inspect.stack()`: a source-line lookup for every frame and a walk of `inspect.getmodule`
    over every module in sys.modules, which also loads the scipy.stats that warehouse/
    expectations.py defers (0.6 s). ~1 s of a 10 000-person night (py-spy, docs/benchmarks.md).
    The name is only shown in dbt's message about the flag; `_module_of_caller` finds the same
    one (tests/test_dbt_inprocess.py compares them). Swapped for the run only, like
    `DbtCliInvocation` in orchestration/assets/dbt.py; returns what puts dbt's back."""
    try:
        from dbt_common.behavior_flags import BehaviorFlagRendered
    except ImportError:  # pragma: no cover - a dbt_common without behavior flags
        return lambda: None
    original = vars(BehaviorFlagRendered).get("_default_source")
    if not isinstance(original, staticmethod):
        return lambda: None  # not the dbt_common this was written for: leave it
    BehaviorFlagRendered._default_source = staticmethod(_module_of_caller)

    def restore():
        BehaviorFlagRendered._default_source = original

    return restore


def _unheard_debug_events_unbuilt(callback, passed: frozenset[str]):
    """dbt fires ~3 000 debug events a build (every SQL statement, connection and cache action:
    ~90 % of its events) and builds each one twice through protobuf's pure-Python `ParseDict`:
    the event from its fields, then the message handed to loggers and callbacks. Here nobody
    hears them: dbt has no logger (`--log-level none`, no dbt.log unless asked for), and of its
    two callbacks `InProcessDbt._callback` drops debug events but `passed` and dbt's own
    `track_behavior_change_warn` reads `BehaviorChangeEvent` only. For the run, then:

    - an event's protobuf message is built when it is first read (`pb_msg`), not when the event
      is made (dbt's own constructor, run then);
    - a debug event is not fired while dbt has no logger and no callback but these two (with
      dbt.log asked for, or another callback, every event is fired as before).

    `dbt build` alone on a warm 10 000-person home 4.50 -> 4.10 s; the count of events does not
    grow with the data (docs/benchmarks.md, stop 36).
    Swapped for the run only, like `_cheaper_behavior_flag_source`; returns what puts dbt's back.
    The event's attribute readers stay: an event made during the run may be read after it, and
    for an event built at once they do what dbt's do."""
    try:
        from dbt_common.events import base_types
        from dbt_common.events.event_manager import EventManager
    except ImportError:  # pragma: no cover - a dbt_common without this event system
        return lambda: None
    event = base_types.BaseEvent
    build, fire = vars(event).get("__init__"), vars(EventManager).get("fire_event")
    if not _lazy_event_readers(event) or build is None or fire is None:
        return lambda: None  # not the dbt_common this was written for: leave it
    debug = base_types.EventLevel.DEBUG
    try:
        from dbt.tracking import track_behavior_change_warn
    except ImportError:  # pragma: no cover - a dbt without it
        track_behavior_change_warn = None
    # each listener known here, and the events it takes
    takes = {callback: passed, track_behavior_change_warn: frozenset({"BehaviorChangeEvent"})}

    def __init__(self, *args, **kwargs):
        object.__setattr__(self, "_unbuilt", (build, args, kwargs))

    def fire_event(self, e, level=None, node=None, force_warn_or_error_handling=False):
        name = type(e).__name__
        if (not self.loggers and not force_warn_or_error_handling and (level or e.level_tag()) == debug
                and all(cb in takes and name not in takes[cb] for cb in self.callbacks)):
            return  # every listener is known here, and none takes it
        return fire(self, e, level, node, force_warn_or_error_handling)

    event.__init__, EventManager.fire_event = __init__, fire_event

    def restore():
        event.__init__, EventManager.fire_event = build, fire

    return restore


def _built(self):
    """An event's protobuf message, built by dbt's constructor if it has not been yet."""
    fields = vars(self)
    if "pb_msg" not in fields:
        build, args, kwargs = fields.pop("_unbuilt")
        build(self, *args, **kwargs)
    return fields["pb_msg"]


def _getattr(self, key):  # only asked for what is not an attribute of the event itself
    return _built(self) if key == "pb_msg" else getattr(_built(self), key)


def _setattr(self, key, value):
    if key == "pb_msg":
        object.__setattr__(self, key, value)
    else:
        setattr(_built(self), key, value)


def _lazy_event_readers(event) -> bool:
    """Give dbt's BaseEvent readers that build its message first when it is not built yet (once;
    the same answers for an event built at once). False: not the BaseEvent this was written for."""
    if vars(event).get("__getattr__") is _getattr:
        return True
    if "__getattr__" not in vars(event) or "__setattr__" not in vars(event):
        return False
    event.__getattr__, event.__setattr__ = _getattr, _setattr
    return True


def _release_duckdb() -> None:
    """Close dbt-duckdb's database: it is opened read-write, and DuckDB allows no other
    configuration beside it in the same process."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
        if env is not None:
            env.close()


# Beside the project's partial-parse state: the warehouse path it was parsed with (`helhedsdata prepare`).
PARSED_FOR_FILE = "partial_parse.warehouse"


def record_parsed_for(target_dir: Path, warehouse: str) -> None:
    """Note which warehouse path the partial-parse state in `target_dir` was parsed with."""
    (target_dir / PARSED_FOR_FILE).write_text(f"{warehouse}\n")


def profile_hash(project_dir: Path, warehouse: str) -> str | None:
    """The checksum dbt keeps of the profile in its partial-parse state (the sha256 of its
    credentials' sorted connection info, dbt/parser/manifest.py), for this project's profile
    with `path` set to `warehouse`; None for a profile of another shape (not DuckDB)."""
    import hashlib
    import pprint

    import yaml
    from dbt.adapters.duckdb.credentials import DuckDBCredentials

    name = yaml.safe_load((project_dir / "dbt_project.yml").read_text())["profile"]
    profile = yaml.safe_load((project_dir / "profiles.yml").read_text())[name]
    output = dict(profile["outputs"][profile["target"]])
    if output.pop("type", None) != "duckdb":
        return None
    output.pop("threads", None)
    output["path"] = warehouse
    credentials = DuckDBCredentials.from_dict(DuckDBCredentials.translate_aliases(output))
    return hashlib.sha256(pprint.pformat(sorted(credentials.connection_info())).encode()).hexdigest()


def seed_partial_parse(source: Path, dest: Path, project_dir: Path, warehouse: str | None) -> bool:
    """Copy the project's partial-parse state (`source`) into a home's dbt target folder, made
    valid for the home's warehouse; True when it was adapted.

    dbt throws its partial-parse state away when the profile's connection info changed, and the
    warehouse path is part of it: every home's first `dbt build` parsed the project in full
    (~2.6 s more on the 2-core machine; 17 of the test suite's dbt runs). The parse does not depend on
    the path as long as the database's name (the file's name) is the same, so the state's profile
    checksum is replaced by the home's. Only when the checksum is reproduced here exactly for the
    path the state was parsed with (`helhedsdata prepare` noted it): a profile of another shape, a
    state parsed by some other dbt command, or another file name is copied as it is, and dbt
    parses in full as before. (dagster-dbt's preparer edits the same file the same way: it marks
    the seeds changed so that their paths are refreshed.)"""
    import msgpack

    adapted = None
    try:
        parsed_for = (source.parent / PARSED_FOR_FILE).read_text().strip()
        if warehouse and parsed_for and parsed_for != warehouse and Path(parsed_for).name == Path(warehouse).name:
            state = msgpack.unpackb(source.read_bytes(), raw=False, strict_map_key=False)
            stored = state["state_check"]["profile_hash"]
            if stored.get("name") == "sha256" and stored.get("checksum") == profile_hash(project_dir, parsed_for):
                stored["checksum"] = profile_hash(project_dir, warehouse)
                adapted = msgpack.packb(state)
    except Exception as e:  # noqa: BLE001 - a courtesy: without it dbt parses in full, as it always did
        # The type only: a parser's message could quote the profile (another target's password).
        logging.getLogger("helhedsdata").info(
            "dbt's partial-parse state copied as it is, not adapted to this home (%s): "
            "its first dbt build parses in full", type(e).__name__)
        adapted = None
    if adapted is None:
        shutil.copy(source, dest)
        return False
    # A file of this writer's own, renamed into place: two nights seeding the same new home at
    # once each put a whole file there.
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f"{dest.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(adapted)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


class InProcessDbtCliInvocation(DbtCliInvocation):
    """`DbtCliInvocation` over `InProcessDbt` instead of a subprocess."""

    @classmethod
    def run(cls, args, env, manifest, dagster_dbt_translator, project_dir: Path, target_path: Path, raise_on_error,
            context, adapter, cli_version, dbt_project=None) -> "InProcessDbtCliInvocation":
        # As dagster-dbt does: seed the target folder with the project's partial parse state.
        current = _get_dbt_target_path()
        source = (current if current.is_absolute() else project_dir / current) / PARTIAL_PARSE_FILE_NAME
        dest = target_path / PARTIAL_PARSE_FILE_NAME
        if source.exists() and not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            seed_partial_parse(source, dest, project_dir, env.get(WAREHOUSE_ENV) or os.environ.get(WAREHOUSE_ENV))
        # dbt resolves the project and profiles folders from these (the subprocess ran in project_dir).
        env = {**env, "DBT_PROJECT_DIR": str(project_dir)}
        return cls(process=InProcessDbt(args, env), manifest=manifest, project=dbt_project,
                   dagster_dbt_translator=dagster_dbt_translator, project_dir=project_dir, target_path=target_path,
                   raise_on_error=raise_on_error, context=context, adapter=adapter, cli_version=cli_version)

    def _stream_stdout(self) -> Iterator[str | dict[str, Any]]:
        for raw_event in self.process.events():
            if raw_event["info"]["level"] == "error":
                self._error_messages.append(raw_event["info"]["msg"])
            yield raw_event
