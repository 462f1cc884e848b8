"""`helhedsdata`: generate a synthetic inbox, run the pipeline, or run the demo."""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path

from warehouse.config import DBT_PROJECT_DIR, REPO, ensure_dbt_on_path, SYNTHETIC_MARKER, ConfigError, Settings

log = logging.getLogger("helhedsdata")


def write_synthetic_inbox(out: Path, persons: int, seed: int, kommunekode: str = "540",
                          extract_date: date | None = None) -> None:
    """`helhedsdata generate` and the demo: a synthetic inbox, marked as such, and what it holds.
    Without an extract date, the generator's own."""
    from synth.generator import generate_inbox

    t0 = time.perf_counter()
    summary = generate_inbox(out, persons=persons, seed=seed, kommunekode=kommunekode,
                             **({"extract_date": extract_date} if extract_date else {}))
    (out / SYNTHETIC_MARKER).write_text("written by helhedsdata generate: synthetic, no real persons\n")
    print(f"Synthetic inbox for {persons} persons (seed {seed}) in {out} ({time.perf_counter() - t0:.1f} s)")
    for name, rows in sorted(summary.get("files", {}).items()):
        print(f"  {name}: {rows} rows")


def cmd_generate(args) -> int:
    write_synthetic_inbox(Path(args.out), args.persons, args.seed, args.kommunekode, args.extract_date)
    return 0


def dbt_sources_newer_than(stamp: Path, project_dir: Path = DBT_PROJECT_DIR) -> bool:
    """True when a file dbt parses (models, macros, seeds, tests, project and profile
    YAML) changed after the manifest was written."""
    built = stamp.stat().st_mtime
    skip = {"target", "logs", "dbt_packages"}
    for path in project_dir.rglob("*"):
        rel = path.relative_to(project_dir).parts
        # dbt writes .user.yml beside the profile itself: not a source
        if rel[0] in skip or path.name.startswith(".") or not path.is_file():
            continue
        if path.stat().st_mtime > built:
            return True
    return False


def prepare_dbt(settings: Settings | None = None, force: bool = False) -> None:
    """Build dbt's manifest once (install time), so loading the definitions stays fast,
    and again only when a dbt file changed since.

    Not per home folder: the manifest is the same for every warehouse path. dbt's partial
    parse state is tied to the profile (which names the warehouse): each home keeps its own
    dbt target folder, seeded from this one's and adapted to the home's warehouse path
    (orchestration/dbt_inprocess.py, `seed_partial_parse`), so a home's first run does not
    parse in full either."""
    settings = settings or Settings.from_env()
    settings.export_env()
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    if not force and manifest.exists() and not dbt_sources_newer_than(manifest):
        return
    from dagster_dbt import DbtProject

    ensure_dbt_on_path()
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    project.preparer.prepare(project)
    from orchestration.dbt_inprocess import record_parsed_for

    record_parsed_for(DBT_PROJECT_DIR / "target", str(settings.warehouse))


def cmd_prepare(args) -> int:
    prepare_dbt(Settings.from_env(args.home), force=True)
    print(f"dbt manifest written to {DBT_PROJECT_DIR / 'target' / 'manifest.json'}")
    return 0


# sha256 of every dagster.yaml this repository shipped before the current one: a home whose copy
# is one of them, unedited, takes up the current one (a copy edited by hand, e.g. the
# PostgreSQL variant, is never touched).
SHIPPED_DAGSTER_YAML = {
    "64f8b02df194e315d36c36f6bb330eb340b9b4b5e84037c3ba890e9024e4d17d",  # 380c1fe
    "fd02b163d0a98e668be4f3cfccf1b58cbaa9133817b6e5ccf2d23887aa1f464a",  # 2ad1101
    "bbc50d34a236f53e30f0fabe31fb828b2d6ae9055d9310a4974c0471f3501fd7",  # ad4f25c
    "8104397bd08c747682443d2415559dafdd3bb5afc774a3e86ed03e9fd6dc3a5f",  # 5eb08e5 (module helhedsdata.dagster_storage)
}


def ensure_dagster_home(settings: Settings) -> None:
    import hashlib

    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    target = settings.dagster_home / "dagster.yaml"
    if not target.exists() or hashlib.sha256(target.read_bytes()).hexdigest() in SHIPPED_DAGSTER_YAML:
        shutil.copy(REPO / "dagster.yaml", target)


def run_pipeline(settings: Settings, quiet: bool = False, only_changed: bool = False,
                 with_checks: bool = True) -> bool:
    """Run the nightly job in this process, through the same Definitions the UI shows.
    `only_changed`: only the sources whose files changed since the last successful run, and
    everything downstream of them (the selection the sensor and the schedule use).
    `with_checks=False` runs no check at all (no GX suite, no dbt test, no gate): for
    bench/gating.py's measure of what the gates cost; no command line flag offers it."""
    from warehouse.preflight import settings_ok_or_raise

    settings_ok_or_raise(settings)  # fail fast, before Dagster and dbt start (~15 s), saying what to do
    settings.export_env()
    from warehouse import gx_worker
    from warehouse.runlock import warehouse_lock

    # execute_in_process bypasses the daemon's run queue: this lock is the one-writer guard.
    with warehouse_lock(settings.home):
        if with_checks:
            # Great Expectations is imported in its own process, on the other core, while
            # this one loads Dagster (warehouse/gx_worker.py).
            gx_worker.start()
        try:
            ensure_dagster_home(settings)
            prepare_dbt(settings)
            return _run_locked(settings, quiet, only_changed, with_checks)
        finally:
            gx_worker.finish()  # the Data Docs are rendered when the run returns


def _refuse_while_daemon_runs(instance) -> None:
    """A run the daemon or the UI launched holds no file lock (the queue is its guard): do not
    start beside one. CLI runs are left out: a killed one stays `STARTED` in the run storage
    while its lock, the real guard, died with it."""
    from dagster import DagsterRunStatus, RunsFilter

    from warehouse.runlock import WarehouseBusy
    from orchestration.jobs import LAUNCHED_BY_TAG, WAREHOUSE_TAG

    active = [r for r in instance.get_runs(filters=RunsFilter(
        statuses=[DagsterRunStatus.QUEUED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED], tags=WAREHOUSE_TAG))
        if r.tags.get(LAUNCHED_BY_TAG) != "cli"]
    if active:
        raise WarehouseBusy(f"run(s) {', '.join(r.run_id[:8] for r in active)} launched by the Dagster daemon or UI "
                            "are queued or running on this warehouse; wait for them (or, if one died, mark it "
                            "failed in the UI). The warehouse has one writer.")


def _run_locked(settings: Settings, quiet: bool, only_changed: bool, with_checks: bool = True) -> bool:
    from dagster import AssetKey, DagsterInstance

    from warehouse import inbox_state
    from warehouse.notify import handle_not_published, step_seconds
    from orchestration.definitions import defs
    from orchestration.jobs import LAUNCHED_BY_TAG, changed_selection, run_tags
    from orchestration.progress import progress_run_config

    job = defs.resolve_job_def("nightly")
    started = time.time()
    settings.logs.mkdir(parents=True, exist_ok=True)
    dbt_log = settings.logs / "dbt-last-run.log"
    with DagsterInstance.get() as instance:
        _refuse_while_daemon_runs(instance)
        current = inbox_state.fingerprints(settings.inbox, settings.plans)
        changed, keys = list(current), None
        if only_changed:
            changed, keys = changed_selection(instance, defs.resolve_asset_graph(), settings, current)
            if not changed:
                print("Nothing in the inbox changed since the last successful run: nothing to do.")
                return True
            print(f"Changed since the last successful run: {', '.join(changed)}"
                  + ("" if keys is None else f" ({len(keys)} assets to rebuild)"))
        graph = defs.resolve_asset_graph()
        kept = _unchanged_seeds(settings) if keys is None else set()
        if not with_checks:
            # The move warning stays: it is a non-blocking note computed inside the publication
            # step (0.1 s), and that step cannot run without it.
            from dagster import AssetCheckKey

            from warehouse import moves

            job = job.get_subset(asset_selection=set(keys or graph.materializable_asset_keys) - kept,
                                 asset_check_selection={AssetCheckKey(AssetKey("publication"), moves.CHECK)})
            keys = None
        elif kept:
            # Their checks (dbt tests on the code lists) still run: every check, every night.
            job = job.get_subset(asset_selection=set(graph.materializable_asset_keys) - kept,
                                 asset_check_selection=set(graph.asset_check_keys))
        t0 = time.perf_counter()
        # dbt's own console output goes to a file; the progress logger writes to the
        # terminal (its stream was bound before this redirect).
        with open(dbt_log, "w", encoding="utf-8") as raw, contextlib.redirect_stdout(raw):
            result = job.execute_in_process(instance=instance, raise_on_error=False, asset_selection=keys,
                                            tags={**run_tags(settings, current, changed), LAUNCHED_BY_TAG: "cli"},
                                            run_config=progress_run_config(quiet))
        # Published = the publication step materialized. The status reports come after it: when
        # only they fail, the publication stands (no not-published row), and the run says so.
        ok = any(ev.asset_key == AssetKey("publication") for ev in result.get_asset_materialization_events())
        if not ok:
            handle_not_published(settings, instance, result.run_id)
        elif not result.success:
            print(f"\nPublished, but a step after the publication failed (status reports): see the run log "
                  f"of run {result.run_id[:8]}; `helhedsdata report` rebuilds them", file=sys.stderr)
        status = "published" if ok else "NOT published (the previous publication stays)"
        print(f"\nRun {result.run_id[:8]} {status} in {time.perf_counter() - t0:.1f} s; "
              f"Dagster storage in {settings.dagster_home}")
        if not quiet:
            slow = sorted(step_seconds(instance, result.run_id).items(), key=lambda kv: -kv[1])
            print("Seconds per step: " + ", ".join(f"{k} {v:.1f}" for k, v in slow))
        print(f"dbt output: {dbt_log}")
        print_run_summary(settings, ok, since=started)
        return ok


def _unchanged_seeds(settings: Settings) -> set:
    """The dbt seeds the warehouse already holds as today's files would load them
    (orchestration/seeds.py): left out of a full run."""
    from orchestration.assets.dbt import unchanged_seed_keys

    kept = set(unchanged_seed_keys(settings.warehouse))
    if kept:
        print(f"dbt seeds unchanged since they were loaded, not loaded again: {len(kept)}")
    return kept


def quarantined_since(settings: Settings, since: float) -> list[Path]:
    """Extracts this run moved to the quarantine (their reports)."""
    root = settings.quarantine
    if not root.is_dir():
        return []
    return sorted(p / "REJECTED.md" for src in root.iterdir() if src.is_dir() for p in src.iterdir()
                  if (p / "REJECTED.md").exists() and (p / "REJECTED.md").stat().st_mtime >= since)


def print_run_summary(settings: Settings, ok: bool, since: float) -> None:
    """The publication's own account of the run (its row in published.publication_log): what a
    person reading the terminal needs to know without opening the UI."""
    import json

    import duckdb

    from orchestration.checks import FRESHNESS_CHECK
    from warehouse.moves import CHECK as MOVES_CHECK

    print(f"\n{'Published' if ok else 'NOT published: the previous publication stays'}"
          + (f": {settings.published}" if ok else ""))
    row = None
    if settings.published.exists():
        con = duckdb.connect(str(settings.published), read_only=True)
        try:
            row = con.execute("""SELECT status, extract_dates, row_counts, checks, message, freshness, published_at
                FROM published.publication_log ORDER BY published_at DESC LIMIT 1""").fetchone()
        finally:
            con.close()
    if row is not None and row[6].timestamp() >= since - 5:
        status, extract_dates, row_counts, checks, message, freshness, _ = row
        dates = json.loads(extract_dates or "{}")
        print("  extract dates: " + (", ".join(f"{s} {d}" for s, d in sorted(dates.items())) or "none"))
        if row_counts and ok:
            counts = json.loads(row_counts)
            print("  published rows: " + ", ".join(f"{t} {n}" for t, n in sorted(counts.items())))
        stale = [f"{s} (newest {r.get('as_of') or 'none'}, {r.get('age_days')} days old; allowed "
                 f"{r.get('max_age_days')})" for s, r in sorted(json.loads(freshness or "{}").items()) if not r.get("fresh")]
        moved = [c for c in json.loads(checks or "[]") if c["check"] == MOVES_CHECK and not c["passed"]]
        failed = [c for c in json.loads(checks or "[]")  # the moves and the stale sources are said above
                  if not c["passed"] and c["check"] not in (MOVES_CHECK, FRESHNESS_CHECK)]
        for s in stale:
            print(f"  warning: stale source: {s}")
        for c in moved:
            print(f"  warning: a figure moved beyond its plan's threshold ({c['asset']}; docs/runbook.md, "
                  "\"Warning when a figure moves\")")
        for c in failed:
            print(f"  {'blocked' if c['severity'] == 'ERROR' else 'warning'}: check {c['check']} on {c['asset']} failed")
        if message:
            print(f"  log: {message}")
    for report in quarantined_since(settings, since):
        print(f"  quarantined: {report.parent.parent.name}/{report.parent.name}; report {report}")


def cmd_run(args) -> int:
    from warehouse.runlock import WarehouseBusy

    from warehouse.preflight import settings_ok_or_raise

    settings = Settings.from_env(args.home, args.inbox)
    try:
        settings_ok_or_raise(settings)  # before anything is imported or started (run_pipeline checks it too)
        return 0 if run_pipeline(settings, quiet=args.quiet, only_changed=args.only_changed) else 1
    except (ConfigError, WarehouseBusy) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def print_maalgruppe_table(settings: Settings) -> None:
    import duckdb

    con = duckdb.connect(str(settings.published), read_only=True)
    as_of = con.execute("SELECT max(as_of_date) FROM published.maalgruppe_status").fetchone()[0]
    rows = con.execute("""
        SELECT maalgruppe_code || ' - ' || maalgruppe_name, area_id, persons, suppressed
        FROM published.maalgruppe_status
        WHERE as_of_date = ? AND area_level IN ('afdeling', 'helhedsplan')
        ORDER BY area_level, area_id""", [as_of]).fetchall()
    codes = con.execute("""SELECT DISTINCT maalgruppe_code || ' - ' || maalgruppe_name, maalgruppe_code
        FROM published.maalgruppe_status""").fetchall()
    # LAB § 6 order: 6.1 … 6.10 by number, then INT-SHP.
    rank = {label: (code == "INT-SHP", int(code.split(".")[1]) if code.startswith("6.") else 0)
            for label, code in codes}
    con.close()
    afd = sorted({r[1] for r in rows if r[1][:1].isdigit()}, key=int)
    plan = sorted({r[1] for r in rows if not r[1][:1].isdigit()})
    cols = afd + plan
    cell = {(r[0], r[1]): ("x" if r[3] else str(r[2])) for r in rows}
    names = sorted({r[0] for r in rows}, key=lambda n: rank[n])
    width = max(len(n) for n in names) if names else 10
    print(f"\nMålgrupper {as_of:%d.%m.%Y} (published.maalgruppe_status; 6.1 only after 26 weeks; x = withheld: 1–4 persons, or a second cell that would give one away)")
    labels = afd + (["Hovedtotal"] if len(plan) == 1 else [p[:12] for p in plan])
    head = "".join(f"{c:>14}" for c in labels)
    print(f"{'Målgruppe':<{width}}{head}")
    for n in names:
        print(f"{n:<{width}}" + "".join(f"{cell.get((n, c), ''):>14}" for c in cols))
    print(f"(Hovedtotal = helhedsplan {', '.join(plan)}: every afdeling of the plan's boligområder)")


def print_plan_table(settings: Settings, plan_id: str = "soenderborg-beskaeftigelse-2021") -> None:
    """The delaftale's indicator table: delmål, indicator, baseline, latest value,
    comparison (kommune), target, on track (published.indicator_values). The latest value is
    the latest complete period's, as in the status reports; a running period's only when the
    indicator has no complete one, marked 'hidtil' with its data_through."""
    import duckdb

    from warehouse.plans import load_plan
    plan = load_plan(settings.plans / f"{plan_id}.yaml")
    con = duckdb.connect(str(settings.published), read_only=True)
    print(f"\n{plan.name} ({plan.valid_from:%d.%m.%Y}–{plan.valid_to:%d.%m.%Y}), published.indicator_values")
    head = f"{'Delmål':<34}{'Indikator':<38}{'Baseline':>18}{'Seneste':>20}{'Kommune':>10}{'Mål':>10}  På sporet"
    print(head)

    def fmt(v, unit):
        if v is None:
            return "–"
        # Danish number style, as in the delaftale: 19,14 % and 1.736.
        return f"{v:.2f} %".replace(".", ",") if unit == "percent" else f"{v:,.0f}".replace(",", ".")

    for d in plan.delmaal:
        for i in d.indicators:
            row = con.execute("""
                SELECT value, unit, suppressed, period_end, comparison_value, baseline_value, baseline_period,
                       target_value, on_track, period_complete, data_through
                FROM published.indicator_values
                WHERE plan_id = ? AND delmaal_id = ? AND indicator_id = ? AND variant = ? AND area_level = ?
                ORDER BY period_complete DESC, period_end DESC LIMIT 1""",
                [plan.id, d.id, i.indicator, i.variant, i.area_level]).fetchone()
            name = f"{i.indicator}{' ' + i.variant if i.variant else ''}"
            if row is None:
                print(f"{d.name[:33]:<34}{name[:37]:<38}{'(no data yet)':>18}")
                continue
            value, unit, supp, end, comp, base, base_period, target, on_track, complete, through = row
            when = f"{end:%m.%Y}" if complete else f"hidtil {through:%d.%m.%Y}"
            latest = "x" if supp else f"{fmt(value, unit)} ({when})"
            direction = {"up": "øges", "down": "falde", "hold": "fastholdes"}.get(i.target.direction if i.target else None, "")
            target_text = fmt(target, unit) if target is not None else direction
            track = {True: "ja", False: "nej", None: "–"}[on_track]
            base_text = f"{fmt(base, unit)} ({base_period})" if base_period else "–"
            print(f"{d.name[:33]:<34}{name[:37]:<38}{base_text:>18}"
                  f"{latest:>20}{fmt(comp, unit):>10}{target_text:>10}  {track}")
    con.close()


def cmd_demo(args) -> int:
    settings = Settings.from_env(args.home, None)
    inbox = settings.inbox
    if not (inbox / SYNTHETIC_MARKER).exists():
        if inbox.exists() and any(inbox.iterdir()):
            print(f"error: {inbox} holds a non-synthetic inbox; the demo will not touch it", file=sys.stderr)
            return 2
        write_synthetic_inbox(inbox, args.persons, args.seed)
    ok = run_pipeline(settings, quiet=True)
    if not ok:
        return 1
    print_maalgruppe_table(settings)
    print_plan_table(settings)
    # The nightly job wrote them after the publication; here they are rebuilt so the demo
    # ends with the files even if that step failed.
    print_report_paths(write_reports(settings), settings.reports)
    print(f"\nOpen the Dagster UI on this home folder:\n  make ui HELHEDSDATA_HOME={settings.home}\n"
          f"(= DAGSTER_HOME={settings.dagster_home} HELHEDSDATA_HOME={settings.home} "
          ".venv/bin/dagster dev -m orchestration.definitions)")
    return 0


def write_reports(settings: Settings, plan_ids: list[str] | None = None, out: Path | None = None) -> list:
    """The status reports (report/) from the published file of this home folder."""
    from report.build import build
    from warehouse.plans import load_plans

    return build(settings.published, load_plans(settings.plans), out or settings.reports, plan_ids)


def print_report_paths(reports: list, out: Path) -> None:
    print("\nStatus reports (HTML, open in a browser; print to A4):")
    for r in reports:
        note = "" if r.covered else "  (no figures: the inbox does not cover this plan's area)"
        print(f"  {r.path}  {r.path.stat().st_size / 1024:.0f} KB{note}")
    print(f"  index: {out / 'index.html'}")


def cmd_report(args) -> int:
    from report.build import UnknownPlan
    from report.published import NoPublication
    from warehouse.plans import PlanError

    settings = Settings.from_env(args.home, None)
    out = Path(args.out).resolve() if args.out else settings.reports
    try:
        reports = write_reports(settings, [args.plan] if args.plan else None, out)
    except (NoPublication, PlanError, UnknownPlan) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print_report_paths(reports, out)
    return 0


def rebuild(settings: Settings, as_of: date, out: Path, quiet: bool = True) -> tuple[bool, Path]:
    """Run the pipeline over the archived inputs of the newest extract on or before `as_of`,
    into the separate home folder `out` (warehouse/history.py lays it out). Returns
    (published, archive entry). Never the live publication, never PostgreSQL."""
    from warehouse.history import prepare_rebuild

    target, entry = prepare_rebuild(settings, as_of, out)
    saved = {k: os.environ.pop(k, None) for k in ("HELHEDSDATA_PUBLISH_URL",)}  # never the live PostgreSQL
    try:
        ok = run_pipeline(target, quiet=quiet)
    finally:
        for k, v in saved.items():
            if v is not None:
                os.environ[k] = v
        settings.export_env()  # the caller's home again, for anything that runs after
    return ok, entry


def key_note(settings: Settings, entry: Path) -> str:
    """Whether the rebuild's person keys can be joined with the live warehouse's: the archive
    holds pseudonyms, so a rebuild keeps the key of its entry (docs/runbook.md, "Rotating the key")."""
    from warehouse.history import entry_fingerprint, key_fingerprint

    archived = entry_fingerprint(entry)
    try:
        current = key_fingerprint(settings.pseudonymizer())
    except ConfigError:
        current = None
    if archived is None:
        return "The entry does not name its pseudonym key: do not join its person keys with the live warehouse's."
    if archived == current:
        return f"Person keys under the current pseudonym key (fingerprint {archived}): joinable with the live warehouse."
    return (f"Person keys under pseudonym key {archived}, not the current key ({current or 'not set'}): the "
            "published figures are comparable, the person keys cannot be joined with the live warehouse's.")


def cmd_rebuild(args) -> int:
    """Rebuild the publication of a past extract from the archive (warehouse/history.py)."""
    from warehouse.history import HistoryError

    settings = Settings.from_env(args.home, None)
    try:
        ok, entry = rebuild(settings, date.fromisoformat(args.as_of), Path(args.out), quiet=args.quiet)
    except (HistoryError, ConfigError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"Rebuilt from {entry} into {Path(args.out).resolve()}; the live publication "
          f"{settings.published} was not touched")
    print(key_note(settings, entry))
    return 0 if ok else 1


def cmd_check(args) -> int:
    """What a run would make of the inbox, without Dagster or dbt (warehouse/preflight.py)."""
    from warehouse.preflight import check_inbox, print_report, settings_problems

    settings = Settings.from_env(args.home, args.inbox)
    if args.plans:
        settings = Settings(settings.home, settings.inbox, settings.publish_url, Path(args.plans).resolve())
    problems = settings_problems(settings)
    if problems:
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    reports, would_publish = check_inbox(settings)
    print_report(settings, reports, would_publish)
    print(f"(checked in {time.perf_counter() - t0:.1f} s: the readers' contracts, the control files and the "
          "plans; the Great Expectations suites and dbt's tests run in a run)")
    return 0 if would_publish else 1


def cmd_prune(args) -> int:
    """Apply the retention (warehouse/retention.py) to the home folder, or say what it would do."""
    from dagster import DagsterInstance

    from warehouse import retention
    from warehouse.runlock import WarehouseBusy, warehouse_lock

    settings = Settings.from_env(args.home, None)
    settings.export_env()
    try:
        r = retention.Retention.from_env()
        try:
            pseudo = settings.pseudonymizer()
        except ConfigError:
            pseudo = None  # needed only to convert an old archive entry; that action then says so
        ensure_dagster_home(settings)
        with warehouse_lock(settings.home), DagsterInstance.get() as instance:
            actions = retention.plan(settings, r, instance=instance, pseudo=pseudo)
            print(f"Retention for {settings.home}: daily archive entries {r.daily_days} days, month-end entries "
                  f"{r.month_end_years} years, quarantine {r.quarantine_days} days, run history and logs "
                  f"{r.run_history_days} days; the newest archive entry is always kept.")
            if args.dry_run:
                for a in actions:
                    print("  " + a.line(dry_run=True))
                total = sum(a.bytes for a in actions)
                print(f"Dry run: {len(actions)} action(s), {retention.size_text(total)} would be freed; nothing changed."
                      if actions else "Nothing is past its retention.")
                return 0
            done, freed = retention.apply(actions)
    except (ConfigError, WarehouseBusy) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for line in done:
        print("  " + line)
    failed = [line for line in done if line.startswith("FAILED")]
    print(f"{len(done) - len(failed)} action(s) done, {retention.size_text(freed)} freed"
          + (f"; {len(failed)} failed" if failed else "") if done else "Nothing is past its retention.")
    return 1 if failed else 0


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Descriptions and epilogs as written; every option with its default (an option whose
    default comes from the environment says so in its own words; a flag is off unless given)."""

    def _get_help_string(self, action):
        if action.default in (None, False) or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


ENV = {
    "home": ("HELHEDSDATA_HOME", "the home folder (default ./.helhedsdata): warehouse, publication, Dagster "
                                 "storage, archive, quarantine, logs"),
    "inbox": ("HELHEDSDATA_INBOX", "where the sources land (default <home>/inbox)"),
    "plans": ("HELHEDSDATA_PLANS", "the folder of plan files, one YAML per plan (default: the repository's plans/)"),
    "key": ("HELHEDSDATA_PSEUDONYM_KEY", "the secret HMAC key for CPR pseudonyms (at least 16 bytes); without it only "
                                         "a synthetic inbox is read, with a throw-away key"),
    "publish": ("HELHEDSDATA_PUBLISH_URL", "SQLAlchemy URL: publish to PostgreSQL too (docs/runbook.md)"),
    "notify": ("HELHEDSDATA_NOTIFY_*", "where the notice of a run that did not publish goes: SMTP or a webhook "
                                       "(docs/runbook.md, \"Failure notices\")"),
    "retain": ("HELHEDSDATA_RETAIN_*", "the retention: DAILY_DAYS 35, MONTH_END_YEARS 5, QUARANTINE_DAYS 30, "
                                       "RUN_HISTORY_DAYS 90 (docs/runbook.md, \"Retention\")"),
}


def _epilog(env: list[str], exits: dict[int, str]) -> str:
    lines = []
    if env:
        lines += ["environment:"] + [f"  {ENV[e][0]:<27} {ENV[e][1]}" for e in env]
    lines += ["exit codes:"] + [f"  {code}  {meaning}" for code, meaning in exits.items()]
    return "\n".join(lines)


def _command(sub, name: str, summary: str, description: str, env: list[str], exits: dict[int, str], func):
    c = sub.add_parser(name, help=summary, description=f"{summary}.\n\n{description}",
                       epilog=_epilog(env, exits), formatter_class=_HelpFormatter)
    c.set_defaults(func=func)
    return c


HOME_HELP = "the home folder (default: $HELHEDSDATA_HOME, else ./.helhedsdata)"


def build_parser() -> argparse.ArgumentParser:
    from warehouse import __version__

    p = argparse.ArgumentParser(
        prog="helhedsdata", formatter_class=_HelpFormatter,
        description="The indicator warehouse for jobcenters and boligsociale helhedsplaner: check a delivery, run "
                    "the nightly pipeline, rebuild a past publication, apply the retention, or try it all on "
                    "synthetic data.",
        epilog="`helhedsdata COMMAND --help` describes a command, its options with their defaults, the environment "
               "variables it reads and its exit codes. Documentation: README.md, docs/runbook.md.")
    p.add_argument("--version", action="version", version=f"helhedsdata {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = _command(sub, "run", "ingest, build, check and publish once",
                 "Reads every source of the inbox through its contract, builds the warehouse with dbt (every model "
                 "and test), passes the gates and publishes atomically to the publication file (and PostgreSQL when "
                 "configured); then archives the run's tables and applies the retention. Runs in this process, "
                 "through the same Dagster definitions as the UI, and prints the publication's summary.",
                 ["home", "inbox", "plans", "key", "publish", "notify", "retain"],
                 {0: "published", 1: "not published (a gate blocked or a step failed; the previous publication "
                  "stays; a notice was sent when configured)", 2: "not started: a setting is wrong (inbox, plans, "
                  "key, notices) or another run holds the warehouse"}, cmd_run)
    r.add_argument("--inbox", help="the inbox folder (default: $HELHEDSDATA_INBOX, else <home>/inbox)")
    r.add_argument("--home", help=HOME_HELP)
    r.add_argument("--quiet", action="store_true", help="print stages only, not every dbt node")
    r.add_argument("--only-changed", action="store_true",
                   help="rebuild only the sources changed since the last successful run and what depends on "
                        "them (what the sensor and the nightly schedule do)")

    c = _command(sub, "check", "check the inbox and the plans before a night, without running",
                 "Runs every reader's contract on the inbox, the control files and the plan validation — what a "
                 "run's first steps do — without Dagster or dbt, and prints per source the extract it would "
                 "accept (date, rows), what it would reject and quarantine (file, line, rule), rows a roster would "
                 "leave out, stale sources, and whether a run would publish. Writes nothing.",
                 ["home", "inbox", "plans", "key", "notify"],
                 {0: "a run would publish", 1: "a run would not publish (the report says why)",
                  2: "a setting is wrong (inbox, plans, key, notices)"}, cmd_check)
    c.add_argument("--inbox", help="the inbox folder (default: $HELHEDSDATA_INBOX, else <home>/inbox)")
    c.add_argument("--plans", help="the plans folder (default: $HELHEDSDATA_PLANS, else the repository's plans/)")
    c.add_argument("--home", help=HOME_HELP)

    d = _command(sub, "demo", "generate a synthetic inbox in the home folder, run once, print the tables",
                 "Writes a synthetic inbox (made-up persons, all five sources) to <home>/inbox unless one is "
                 "there, runs the pipeline on it with a throw-away key, and prints the målgruppe table, the "
                 "Sønderborg delaftale's indicator table and where the status reports are (<home>/reports). "
                 "Never touches an inbox that is not synthetic.",
                 ["home", "plans"], {0: "published and printed", 1: "the run did not publish",
                                     2: "<home>/inbox holds a real inbox"}, cmd_demo)
    d.add_argument("--home", help=HOME_HELP)
    d.add_argument("--persons", type=int, default=20_000, help="persons in the synthetic inbox")
    d.add_argument("--seed", type=int, default=1, help="the generator's seed: the same seed gives the same inbox")

    g = _command(sub, "generate", "write a synthetic inbox (all five sources)",
                 "Made-up persons in the exact file formats of docs/sources.md (Momentum, Opera, LBF, rosters, "
                 "the address register), for the demo, the tests and the benchmark. The folder is marked "
                 "synthetic, so it may be read without the secret key.", [], {0: "written"}, cmd_generate)
    g.add_argument("--out", required=True, help="the folder to write the inbox to")
    g.add_argument("--persons", type=int, default=20_000, help="persons in the inbox")
    g.add_argument("--seed", type=int, default=1, help="the generator's seed: the same seed gives the same inbox")
    g.add_argument("--kommunekode", default="540",
                   help="the jobcenter's kommune (540 Sønderborg; 183 exercises the Ishøj strategy)")
    g.add_argument("--extract-date", type=date.fromisoformat, metavar="YYYY-MM-DD",
                   help="the date of the Momentum extract (default 2021-03-01, a month's first day); a mid-month "
                        "date exercises the running periods")

    rb = _command(sub, "rebuild", "rebuild a past publication from the archive into a separate folder",
                  "Runs the pipeline over the archive entry of the newest extract on or before --as-of (the "
                  "readers' tables as they were published), in the folder --out with its own warehouse and "
                  "publication. Never touches the live publication or PostgreSQL.",
                  ["home", "key"], {0: "rebuilt and published into --out", 1: "the rebuild did not publish",
                                    2: "no archived extract on or before that date, or --out is not a new folder"},
                  cmd_rebuild)
    rb.add_argument("--as-of", required=True, help="YYYY-MM-DD: the newest archived extract on or before this date")
    rb.add_argument("--out", required=True, help="a new or empty folder: the rebuild's own home")
    rb.add_argument("--home", help="the live home folder whose archive is read (default: $HELHEDSDATA_HOME)")
    rb.add_argument("--quiet", action="store_true", help="print stages only, not every dbt node")

    pn = _command(sub, "prune", "delete what is past its retention; convert old archive entries",
                  "Applies the retention to the home folder: archive entries, quarantined extracts, Dagster run "
                  "history and logs past their time are deleted (never the newest archive entry); archive "
                  "entries that still hold deliveries are converted to the readers' tables. Says what it does "
                  "and how much space it frees. Every successful run does the same after publishing.",
                  ["home", "retain", "key"], {0: "done (or nothing to do)", 1: "an action failed (the others were "
                                              "done; the failed one changed nothing)", 2: "a setting is wrong, or "
                                              "a run holds the warehouse"}, cmd_prune)
    pn.add_argument("--home", help=HOME_HELP)
    pn.add_argument("--dry-run", action="store_true", help="say what would be deleted and how much it frees; "
                                                           "change nothing")

    rp = _command(sub, "report", "write the status report per plan (HTML) and index.html from the publication",
                  "Builds one self-contained HTML file per plan (Danish, with charts; opens with no network, "
                  "prints on A4) and index.html from the published file only (published.indicator_values, "
                  "maalgruppe_status, publication_log), so it shows exactly what BI users may see. Every run "
                  "that publishes writes them to <home>/reports itself (docs/runbook.md, \"Status reports\").",
                  ["home", "plans"], {0: "written", 2: "no publication in the home folder yet, or no such plan"},
                  cmd_report)
    rp.add_argument("--plan", help="one plan id (default: every plan; index.html always lists them all)")
    rp.add_argument("--out", help="the folder to write to (default: <home>/reports)")
    rp.add_argument("--home", help=HOME_HELP)

    pr = _command(sub, "prepare", "build dbt's manifest (done by `make install`)",
                  "Parses the dbt project once so that loading the Dagster definitions does not; a run does it "
                  "again by itself when a dbt file changed.", ["home"], {0: "written"}, cmd_prepare)
    pr.add_argument("--home", help="the home folder whose warehouse dbt's profile names")
    return p


def main(argv: list[str] | None = None) -> int:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    args = build_parser().parse_args(argv)
    return args.func(args)


def entry() -> None:
    """The `helhedsdata` command. dbt runs inside this process (orchestration/dbt_inprocess.py), and
    at interpreter exit DuckDB's bindings list every object dbt-duckdb's modules still hold
    ("nanobind: leaked …", dozens of lines after the run's summary; harmless, but it reads like a
    failure). By the time main() returns every connection is closed and every file written: run
    the exit handlers (logging, multiprocessing's clean-up), then leave without the module
    teardown that prints them, so the run's summary is the last thing a person sees."""
    import atexit

    code = main()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
