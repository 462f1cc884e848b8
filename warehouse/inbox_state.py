"""What the inbox holds now, per source, without reading a row and without opening the
warehouse: a fingerprint (has it changed?) and a date (is it fresh?).

The one place that says, per source, which assets read it and how fresh it must be.
The sensor, the nightly schedule and `helhedsdata run --only-changed` all choose what to
rebuild with `changed_sources` + `selection_for`; the `extract_is_fresh` checks and the
publication log use `freshness`.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

from sources import lbf, momentum, omraader, opera, roster


@dataclass(frozen=True)
class SourceState:
    fingerprint: str  # "" when the source has nothing in the inbox
    as_of: date | None  # the extract date (Momentum/Opera folder name) or the newest file's day


def _stat_digest(paths: list[Path], root: Path) -> str:
    """Names, sizes and modification times: a re-delivered file changes it, a read does not."""
    h = hashlib.sha256()
    for p in sorted(paths):
        st = p.stat()
        h.update(f"{p.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16] if paths else ""


def _mtime_day(paths: list[Path]) -> date | None:
    return date.fromtimestamp(max(p.stat().st_mtime for p in paths)) if paths else None


def _extract_state(module) -> Callable[[Path], SourceState]:
    """Momentum/Opera: the newest COMPLETE extract (control file present); a folder still
    being copied in, without its control file, is not seen yet."""
    def state(inbox: Path) -> SourceState:
        found = module.find_extracts(inbox)
        if not found:
            return SourceState("", None)
        newest = found[0]
        files = [p for p in newest.iterdir() if p.is_file()]
        return SourceState(f"{newest.name}:{_stat_digest(files, newest)}", momentum.extract_date_of(newest))
    return state


def _files_state(find: Callable[[Path], list[Path]]) -> Callable[[Path], SourceState]:
    def state(inbox: Path) -> SourceState:
        paths = find(inbox)
        return SourceState(_stat_digest(paths, inbox), _mtime_day(paths))
    return state


def _plans_state(plans_dir: Path) -> SourceState:
    paths = sorted(plans_dir.glob("*.yaml")) if plans_dir.is_dir() else []
    return SourceState(_stat_digest(paths, plans_dir), _mtime_day(paths))


@dataclass(frozen=True)
class Source:
    name: str
    asset_keys: tuple[tuple[str, ...], ...]
    max_age: timedelta | None  # None: no freshness demand (legacy, frozen, or not delivered)
    cadence: str  # for people: how often it is delivered
    state: Callable[[Path], SourceState] | None  # of the inbox; plans are read elsewhere


def _keys(module) -> tuple[tuple[str, ...], ...]:
    return tuple((module.SOURCE, name) for name in module.CONTRACTS)


# How fresh each source must be (docs/runbook.md, "Freshness"). Momentum comes every night:
# two days allows one missed delivery before it warns. Rosters are kept weekly by the
# projects. LBF Beboerdata is yearly: 400 days leaves a month for the next year's file. The
# address register changes when a housing organisation sends one (quarterly is agreed).
# Opera is legacy and frozen: no demand.
SOURCES: dict[str, Source] = {s.name: s for s in (
    Source(momentum.SOURCE, _keys(momentum), timedelta(days=2), "daily", _extract_state(momentum)),
    Source(opera.SOURCE, _keys(opera), None, "legacy, frozen", _extract_state(opera)),
    Source(omraader.SOURCE, ((omraader.SOURCE, "adresser"),), timedelta(days=92), "quarterly",
           _files_state(lambda inbox: [p for p in [inbox / omraader.PATH] if p.exists()])),
    Source(lbf.SOURCE, ((lbf.SOURCE, "beboerdata"),), timedelta(days=400), "yearly",
           _files_state(lambda inbox: [p for _, p in lbf.find_files(inbox)[0]])),
    Source(roster.SOURCE, ((roster.SOURCE, "deltagere"),), timedelta(days=7), "weekly",
           _files_state(lambda inbox: roster.find_rosters(inbox)[0])),
    Source("plans", (("plans", "plan_omraader"), ("plans", "plan_indicators"), ("plans", "plan_activities")),
           None, "when a plan is edited", None),
)}


def states(inbox: Path, plans_dir: Path) -> dict[str, SourceState]:
    return {name: (s.state(inbox) if s.state else _plans_state(plans_dir)) for name, s in SOURCES.items()}


def fingerprints(inbox: Path, plans_dir: Path) -> dict[str, str]:
    return {name: st.fingerprint for name, st in states(inbox, plans_dir).items()}


def changed_sources(previous: dict[str, str] | None, current: dict[str, str]) -> list[str]:
    """Sources whose fingerprint differs from `previous` (None: nothing known, all changed)."""
    if previous is None:
        return list(current)
    return [name for name, fp in current.items() if previous.get(name) != fp]


def selection_for(sources: list[str]):
    """The assets of these sources and everything downstream of them (dbt models, checks,
    publication); the other sources' raw tables stay as they were loaded."""
    import dagster as dg

    keys = [dg.AssetKey(list(k)) for name in sources for k in SOURCES[name].asset_keys]
    return dg.AssetSelection.assets(*keys).downstream()


def resolve_selection(defs, sources: list[str]) -> list:
    """Asset keys of `selection_for(sources)` in these Definitions, sorted."""
    return sorted(selection_for(sources).resolve(defs.resolve_asset_graph()), key=lambda k: k.to_user_string())


def freshness(inbox: Path, plans_dir: Path, now: datetime | None = None) -> dict[str, dict]:
    """Per source with a demand: date, age in days, the allowed age and whether it is kept.
    A source with nothing delivered is stale (it has no date to be fresh by)."""
    today = (now or datetime.now()).date()
    out = {}
    for name, st in states(inbox, plans_dir).items():
        s = SOURCES[name]
        if s.max_age is None:
            continue
        age = (today - st.as_of).days if st.as_of else None
        out[name] = {"as_of": str(st.as_of) if st.as_of else None, "age_days": age,
                     "max_age_days": s.max_age.days, "cadence": s.cadence,
                     "fresh": age is not None and age <= s.max_age.days}
    return out


def stale(report: dict[str, dict]) -> list[str]:
    return sorted(name for name, r in report.items() if not r["fresh"])


# Run tags: which inbox state a run was requested for, and which sources it rebuilds.
# The last SUCCESSFUL run's state is the baseline "what changed" is measured against.
STATE_TAG = "helhedsdata/inbox_state"
SOURCES_TAG = "helhedsdata/sources"


def state_tag(inbox: Path, fps: dict[str, str]) -> str:
    return json.dumps({"inbox": str(inbox), "fingerprints": fps}, sort_keys=True)


def last_successful_state(instance, inbox: Path) -> dict[str, str] | None:
    """Fingerprints of the newest successful run on this inbox (Dagster's run storage, not the
    warehouse); None when there is none: everything counts as changed."""
    import dagster as dg

    runs = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS]), limit=50)
    for run in runs:
        raw = run.tags.get(STATE_TAG)
        if not raw:
            continue
        st = json.loads(raw)
        if st.get("inbox") == str(inbox):
            return st["fingerprints"]
    return None
