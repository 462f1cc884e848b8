"""Sensors: start a run when the inbox changes; tell someone when a run did not publish.

The inbox sensor never opens the DuckDB warehouse (one writer: a read connection fails
while a run writes). It compares file fingerprints (warehouse.inbox_state) with what it
last requested, kept in its cursor, so one inbox state is requested once. WHAT a run
rebuilds is measured against the last successful run instead: a failed run's sources are
rebuilt again by the next one."""
from __future__ import annotations

import json

import dagster as dg

from warehouse import inbox_state
from warehouse.config import Settings
from warehouse.runlock import is_locked
from orchestration.jobs import LAUNCHED_BY_TAG, nightly_job, run_request_for


@dg.sensor(job=nightly_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Starts a run when a new complete Momentum/Opera extract (control file present) or a "
                       "changed LBF, roster, address or plan file appears; rebuilds only what it changes.")
def inbox_sensor(context: dg.SensorEvaluationContext):
    s = Settings.from_env()
    if is_locked(s.home):
        return dg.SkipReason(f"a `helhedsdata run` holds {s.home}; looking again next tick")
    current = inbox_state.fingerprints(s.inbox, s.plans)
    last_requested = json.loads(context.cursor) if context.cursor else None
    if last_requested == current:
        return dg.SkipReason("inbox unchanged since the last request")
    request = run_request_for(context.instance, context.repository_def, s, current)
    context.update_cursor(json.dumps(current, sort_keys=True))
    if request is None:  # e.g. the daemon restarted with an empty cursor on a processed inbox
        return dg.SkipReason("inbox unchanged since the last successful run")
    return request


@dg.run_failure_sensor(monitored_jobs=[nightly_job], default_status=dg.DefaultSensorStatus.RUNNING,
                       description="A failed or blocked run: its row in published.publication_log (file and "
                                   "PostgreSQL) and a notice by e-mail or webhook (docs/runbook.md).")
def not_published_sensor(context: dg.RunFailureSensorContext):
    from warehouse.notify import handle_not_published

    run = context.dagster_run
    if run.tags.get(LAUNCHED_BY_TAG) == "cli":
        return dg.SkipReason("`helhedsdata run` recorded and noticed this run itself")
    published = context.instance.get_latest_materialization_event(dg.AssetKey("publication"))
    if published is not None and published.run_id == run.run_id:
        # Only a step after the publication failed (the status reports): the publication stands.
        return dg.SkipReason("the run published; a step after the publication failed (see its run log)")
    handle_not_published(Settings.from_env(), context.instance, run.run_id)

