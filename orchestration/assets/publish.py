"""Publish: runs only after every upstream asset and blocking check succeeded in the
run (write, audit, publish). Copies publish_stage to the published DuckDB file in one
atomic step and appends to published.publication_log."""

import json

import dagster as dg

from warehouse import inbox_state, moves
from warehouse import retention
from warehouse.history import archive_publication, fingerprint_of_run
from warehouse.notify import run_checks, step_seconds
from warehouse.publication_log import code_version
from warehouse.publish import publish
from warehouse.publish_pg import PostgresPublicationError, safe_url
from warehouse.database import connect
from orchestration.assets.ingest import check_selected
from orchestration.checks import FRESHNESS_CHECK
from orchestration.assets.dbt import published_model_keys
from orchestration.resources import HelhedsdataResource


def _check_results(context: dg.AssetExecutionContext) -> list[dict]:
    # The checks evaluated in THIS run. A subset run (sensor, schedule, --only-changed)
    # evaluates only the rebuilt assets' checks; the others' passed in the last successful
    # run, which is the baseline the subset was chosen against.
    return run_checks(context.instance, context.run.run_id)


MOVES_SPEC = dg.AssetCheckSpec(
    moves.CHECK, asset="publication", blocking=False,
    description="Warns (never blocks) when published figures moved more than their plan's advarsel_ved_aendring "
                "since the last publication: the count and the largest moves (aggregates only).")


def _moves_check(s) -> dg.AssetCheckResult:
    """Compare the new publish_stage figures with the file now published, before it is replaced."""
    m = moves.indicator_moves(s.warehouse, s.published)
    return dg.AssetCheckResult(
        asset_key="publication", check_name=moves.CHECK, passed=m.passed, severity=dg.AssetCheckSeverity.WARN,
        metadata={"figures_compared": m.compared, "moves_beyond_threshold": m.beyond,
                  "previous_publication": m.previous, "largest_moves": dg.MetadataValue.json(m.top)})


@dg.asset(deps=published_model_keys(), group_name="published", kinds={"duckdb", "postgres"},
          check_specs=[MOVES_SPEC],
          description="The published DuckDB file (schema `published`), replaced atomically, and the same tables "
                      "in PostgreSQL when HELHEDSDATA_PUBLISH_URL is set (swapped in one transaction); "
                      "see docs/published.md.")
def publication(context: dg.AssetExecutionContext, helhedsdata: HelhedsdataResource):
    s = helhedsdata.settings
    with connect(s.warehouse, read_only=True) as con:
        extract_dates = {src: str(d) for src, d in con.execute(
            "SELECT source, max(extract_date) FROM meta.loads WHERE extract_date IS NOT NULL GROUP BY source").fetchall()}
    checks = _check_results(context)
    failed = [c for c in checks if not c["passed"] and c["severity"] == "ERROR"]
    if failed:  # dbt build stops downstream models; this guards the copy itself
        raise dg.Failure("Blocking checks failed: " + ", ".join(f"{c['asset']}:{c['check']}" for c in failed))
    moved = _moves_check(s) if check_selected(context, ["publication"], moves.CHECK) else None
    if moved is not None and not moved.passed:
        context.log.warning(f"{moved.metadata['moves_beyond_threshold'].value} published figure(s) moved more than "
                            "their plan's advarsel_ved_aendring since the last publication; largest: "
                            + json.dumps(moved.metadata["largest_moves"].value, ensure_ascii=False))
    if moved is not None:
        checks = sorted(checks + [{"asset": "publication", "check": moves.CHECK, "passed": bool(moved.passed),
                                   "severity": "WARN"}], key=lambda c: (c["asset"], c["check"]))
    not_passed = [c for c in checks if not c["passed"]]  # WARN only here: an ERROR one raised above
    # Staleness has its own column and note; the warnings listed are about the data.
    warned = [c for c in not_passed if c["check"] != FRESHNESS_CHECK]
    for c in warned:
        context.log.warning(f"Published with a warning: {c['asset']}:{c['check']} did not pass (non-blocking)")
    fresh = inbox_state.freshness(s.inbox, s.plans)
    stale = inbox_state.stale(fresh)
    for name in stale:
        context.log.warning(f"Published with a stale source: {name} (newest delivery {fresh[name]['as_of']}, "
                            f"allowed age {fresh[name]['max_age_days']} days)")
    message = f"{len(checks) - len(not_passed)} checks passed"
    rebuilt = context.run.tags.get(inbox_state.SOURCES_TAG)
    if rebuilt is not None and set(rebuilt.split(",")) != set(inbox_state.SOURCES):
        message += f"; rebuilt only what changed: {rebuilt or 'nothing'}"
    if stale:
        message += "; stale: " + ", ".join(stale)
    if warned:
        message += f"; {len(warned)} warning(s): " + ", ".join(f"{c['asset']}:{c['check']}" for c in warned)
    entry = {"publication_id": context.run.run_id, "status": "published", "extract_dates": extract_dates,
             "checks": checks, "code_version": code_version(), "message": message, "freshness": fresh}
    try:
        counts = publish(s.warehouse, s.published, entry, s.publish_url)
    except PostgresPublicationError as e:
        raise dg.Failure(f"{e} (the published file is unchanged too)") from e
    seconds = step_seconds(context.instance, context.run.run_id)  # the steps before this one
    s.logs.mkdir(parents=True, exist_ok=True)
    with open(s.logs / "publications.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({**entry, "row_counts": counts, "file": str(s.published),
                             "seconds_per_step": seconds}) + "\n")
    try:  # the inputs of this publication, for `helhedsdata rebuild` (warehouse/history.py)
        archived = str(archive_publication(s, context.run.run_id, entry["code_version"],
                                           fingerprint_of_run(s)))
    except Exception as e:  # published already: say so loudly, do not fail the publication
        archived = f"FAILED: {type(e).__name__}: {e}"
        context.log.error(f"Archiving the inputs of this publication failed: {archived}")
    try:  # the retention (warehouse/retention.py), after a good publication only
        pruned, freed = retention.apply(retention.plan(s, instance=context.instance, pseudo=s.pseudonymizer()))
        for line in pruned:
            (context.log.error if line.startswith("FAILED") else context.log.info)(f"Retention: {line}")
    except Exception as e:  # published already: the retention is tried again next night
        pruned, freed = [f"FAILED: {type(e).__name__}: {e}"], 0
        context.log.error(f"Applying the retention failed: {pruned[0]}")
    return dg.MaterializeResult(check_results=[moved] if moved is not None else [], metadata={
        "path": dg.MetadataValue.path(str(s.published)),
        "retention": dg.MetadataValue.md("\n".join(f"- {line}" for line in pruned) or "nothing past its retention"),
        "retention_freed_bytes": freed,
        "postgresql": safe_url(s.publish_url) if s.publish_url else "not configured",
        "row_counts": dg.MetadataValue.json(counts),
        "extract_dates": dg.MetadataValue.json(extract_dates),
        "checks_passed": len(checks),
        "code_version": entry["code_version"],
        "freshness": dg.MetadataValue.json(fresh),
        "stale_sources": ", ".join(stale) or "none",
        "rebuilt_sources": rebuilt if rebuilt is not None else "all (launched without a selection)",
        # Where the time went: seconds per step of this run, up to the publication.
        "seconds_per_step": dg.MetadataValue.json(seconds),
        "archived_inputs": archived,
    })
