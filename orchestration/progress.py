"""A concise console logger for `helhedsdata run`: stages, materialisations, failed
checks and errors, instead of Dagster's full event stream."""
from __future__ import annotations

import logging
import sys
import time

import dagster as dg

_EVENTS = {"STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "ASSET_MATERIALIZATION", "ASSET_CHECK_EVALUATION"}


class _ProgressHandler(logging.Handler):
    def __init__(self, quiet: bool, stream=None):
        super().__init__()
        self.quiet = quiet
        self.out = stream or sys.stdout
        self.started: dict[str, float] = {}
        self.counts = {"materialized": 0, "checks_passed": 0, "checks_failed": 0}

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            if record.levelno >= logging.WARNING:
                print(f"  ! {meta.get('orig_message', record.getMessage())}", file=sys.stderr)
            return
        kind = event.event_type_value
        if kind not in _EVENTS:
            return
        step = event.step_key or ""
        if kind == "STEP_START":
            self.started[step] = time.perf_counter()
            self._print(f"▶ {step}")
        elif kind == "STEP_SUCCESS":
            self._print(f"  done {step} in {time.perf_counter() - self.started.get(step, time.perf_counter()):.1f} s")
        elif kind == "STEP_FAILURE":
            err = event.step_failure_data.error
            print(f"  FAILED {step}: {err.message.strip() if err else ''}", file=sys.stderr)
        elif kind == "ASSET_MATERIALIZATION":
            mat = event.event_specific_data.materialization
            rows = mat.metadata.get("dagster/row_count")
            if not self.quiet or step != "dbt_models":
                extra = f" ({rows.value} rows)" if rows is not None else ""
                self._print(f"  ✓ {mat.asset_key.to_user_string()}{extra}")
        elif kind == "ASSET_CHECK_EVALUATION":
            ev = event.event_specific_data
            if not ev.passed:
                print(f"  ✗ check {ev.asset_key.to_user_string()}:{ev.check_name} failed "
                      f"({ev.severity.value})", file=sys.stderr)


@dg.logger(config_schema={"quiet": dg.Field(bool, default_value=False)},
           description="Concise progress for the command line.")
def progress_logger(init_context):
    log = logging.getLogger("helhedsdata.progress")
    # sys.__stdout__: the command line redirects sys.stdout (dbt's raw output) to a file.
    log.handlers = [_ProgressHandler(init_context.logger_config["quiet"], sys.__stdout__)]
    log.setLevel(logging.DEBUG)  # Dagster logs its structured events at DEBUG
    log.propagate = False
    return log


def progress_run_config(quiet: bool) -> dict:
    return {"loggers": {"progress": {"config": {"quiet": quiet}}}}
