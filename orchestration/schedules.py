"""The nightly schedule: 02:00 Copenhagen time, the same selection as the inbox sensor
(what changed since the last successful run). A full rebuild on demand: launch the
`nightly` job from the UI, or `helhedsdata run` (docs/runbook.md)."""
from __future__ import annotations

import dagster as dg

from warehouse import inbox_state
from warehouse.config import Settings
from warehouse.runlock import is_locked
from orchestration.jobs import nightly_job, run_request_for


@dg.schedule(job=nightly_job, cron_schedule="0 2 * * *", execution_timezone="Europe/Copenhagen",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Every night at 02:00 (Europe/Copenhagen): rebuild what changed in the inbox.")
def nightly_schedule(context: dg.ScheduleEvaluationContext):
    s = Settings.from_env()
    if is_locked(s.home):
        return dg.SkipReason(f"a `helhedsdata run` holds {s.home}")
    current = inbox_state.fingerprints(s.inbox, s.plans)
    request = run_request_for(context.instance, context.repository_def, s, current)
    if request is None:
        return dg.SkipReason("nothing in the inbox changed since the last successful run")
    return request
