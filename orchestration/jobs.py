from __future__ import annotations

import dagster as dg

from warehouse import inbox_state
from orchestration.progress import progress_logger

# Every run that writes the warehouse carries this tag; dagster.yaml lets one such run
# run at a time (DuckDB has one writer).
WAREHOUSE_TAG = {"helhedsdata/warehouse": "write"}
LAUNCHED_BY_TAG = "helhedsdata/launched_by"  # "cli": `helhedsdata run` records and notices itself

# Everything, in process: DuckDB has one writer, so steps must not run in parallel
# processes, and the multiprocess executor's start-up costs seconds per step.
nightly_job = dg.define_asset_job("nightly", selection=dg.AssetSelection.all(), tags=WAREHOUSE_TAG,
                                  description="Ingest the inbox, build and test the warehouse, publish. "
                                              "The sensor and the schedule run a subset: what changed.")

# Loggers available to runs of every job; the CLI selects `progress` through run config.
loggers = {"progress": progress_logger, "console": dg.colored_console_logger}


def changed_selection(instance, asset_graph, settings, current: dict[str, str]) -> tuple[list[str], list | None]:
    """(changed sources, asset keys to run) against the last successful run on this inbox.
    Keys None: run everything (nothing known yet, no warehouse, or every source changed)."""
    baseline = None if not settings.warehouse.exists() else inbox_state.last_successful_state(instance, settings.inbox)
    changed = inbox_state.changed_sources(baseline, current)
    if not changed or len(changed) == len(current):
        return changed, None
    keys = inbox_state.selection_for(changed).resolve(asset_graph)
    return changed, sorted(keys, key=lambda k: k.to_user_string())


def run_tags(settings, current: dict[str, str], changed: list[str]) -> dict[str, str]:
    return {**WAREHOUSE_TAG, inbox_state.STATE_TAG: inbox_state.state_tag(settings.inbox, current),
            inbox_state.SOURCES_TAG: ",".join(changed)}


def run_request_for(instance, repository_def, settings, current: dict[str, str]) -> dg.RunRequest | None:
    """The run the sensor and the schedule ask for: the changed sources and everything
    downstream of them; None when nothing changed."""
    changed, keys = changed_selection(instance, repository_def.asset_graph, settings, current)
    if not changed:
        return None
    return dg.RunRequest(asset_selection=keys,
                         tags=run_tags(settings, current, changed))
