"""Retention: how long the home folder keeps what it keeps, in one place.

Applied after every successful publication (the publication asset) and by `helhedsdata prune
[--dry-run]`. Defaults (docs/runbook.md, "Retention"); each can be set in the job's environment:

    archive entries (daily)            35 days      HELHEDSDATA_RETAIN_DAILY_DAYS
    archive entries (the last of a     5 years      HELHEDSDATA_RETAIN_MONTH_END_YEARS
      calendar month's extracts)
    quarantined extracts               30 days      HELHEDSDATA_RETAIN_QUARANTINE_DAYS
    Dagster run history and logs       90 days      HELHEDSDATA_RETAIN_RUN_HISTORY_DAYS

Ages count from when a thing was written (an entry's `archived_at`, a rejection's
`rejected_at`, a run's end), not from its extract date: a backfill of old extracts is kept as
long as a night's. Nothing inside its retention is deleted, and the newest archive entry never
is. Archive entries of format 1 (the deliveries as delivered, CPR numbers included) are
converted to format 2 (warehouse/history.py) when the retention keeps them, deleted when not.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from warehouse import history
from warehouse.config import ConfigError, Settings

DEFAULTS = {"daily_days": 35, "month_end_years": 5, "quarantine_days": 30, "run_history_days": 90}


@dataclass(frozen=True)
class Retention:
    daily_days: int = DEFAULTS["daily_days"]
    month_end_years: int = DEFAULTS["month_end_years"]
    quarantine_days: int = DEFAULTS["quarantine_days"]
    run_history_days: int = DEFAULTS["run_history_days"]

    @classmethod
    def from_env(cls) -> "Retention":
        values = {}
        for name in DEFAULTS:
            var = f"HELHEDSDATA_RETAIN_{name.upper()}"
            raw = os.environ.get(var)
            if raw is None or raw == "":
                continue
            try:
                values[name] = int(raw)
            except ValueError:
                raise ConfigError(f"{var} must be a whole number, not {raw!r}") from None
            if values[name] < 1:
                raise ConfigError(f"{var} must be at least 1")
        return cls(**values)


@dataclass
class Action:
    kind: str  # delete | convert
    what: str  # relative to the home folder, or "run <id>"
    reason: str
    bytes: int
    apply: object = field(repr=False, default=None)  # callable doing it
    path: Path | None = None  # what a conversion rewrites (its size after is measured)

    def line(self, dry_run: bool) -> str:
        verb = {"delete": "would delete" if dry_run else "deleted",
                "convert": "would convert" if dry_run else "converted"}[self.kind]
        if self.kind == "convert":
            amount = f"{size_text(self.bytes)} of deliveries" if dry_run else f"{size_text(self.bytes)} freed"
        else:
            amount = f"{size_text(self.bytes)}{'' if dry_run else ' freed'}"
        return f"{verb} {self.what} ({self.reason}): {amount}"


def size_text(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


def _bytes(path: Path) -> int:
    """Bytes a deletion frees: a file hard-linked from elsewhere frees nothing."""
    if path.is_file():
        return path.stat().st_size if path.stat().st_nlink == 1 else 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and p.stat().st_nlink == 1)


def _when(text: str | None, fallback: Path) -> datetime:
    try:
        if text:
            w = datetime.fromisoformat(text)
            return w.replace(tzinfo=None) if w.tzinfo is None else w.astimezone(timezone.utc).replace(tzinfo=None)
    except ValueError:
        pass
    return datetime.fromtimestamp(fallback.stat().st_mtime, timezone.utc).replace(tzinfo=None)


def _years_before(now: datetime, years: int) -> datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def _archive_actions(settings: Settings, r: Retention, now: datetime, pseudo) -> list[Action]:
    root = history.archive_root(settings)
    found = history.entries(root)
    if not found:
        return []
    # The last extract of each calendar month is its month-end entry.
    last_of_month = {}
    for d, p in found:
        last_of_month[(d.year, d.month)] = p
    month_ends = set(last_of_month.values())
    newest = found[-1][1]
    out = []
    for d, p in found:
        info = json.loads((p / history.ARCHIVE_INFO).read_text())
        archived = _when(info.get("archived_at"), p / history.ARCHIVE_INFO)
        if p == newest:
            keep, why = True, "the newest entry"
        elif archived >= now - timedelta(days=r.daily_days):
            keep, why = True, f"archived within {r.daily_days} days"
        elif p in month_ends and archived >= _years_before(now, r.month_end_years):
            keep, why = True, f"month-end entry archived within {r.month_end_years} years"
        else:
            keep = False
            why = (f"month-end entry archived {archived:%Y-%m-%d}, more than {r.month_end_years} years ago"
                   if p in month_ends else f"daily entry archived {archived:%Y-%m-%d}, more than {r.daily_days} days ago")
        rel = str(p.relative_to(settings.home))
        raw = history.entry_format(p) < history.FORMAT
        if not keep:
            out.append(Action("delete", rel, why + (", holding the deliveries with CPR numbers" if raw else ""),
                              _bytes(p), lambda p=p: shutil.rmtree(p)))
        elif raw:
            size = _bytes(p)

            def convert(p=p):
                if pseudo is None:
                    raise ConfigError(f"{p} holds deliveries with CPR numbers and must be converted, which needs "
                                      "HELHEDSDATA_PSEUDONYM_KEY")
                history.convert_raw_entry(p, pseudo)

            out.append(Action("convert", rel, f"{why}; it holds the deliveries with CPR numbers, converted to the "
                                              "readers' pseudonymised tables", size, convert, p))
    return out


def _quarantine_actions(settings: Settings, r: Retention, now: datetime) -> list[Action]:
    out = []
    root = settings.quarantine
    if not root.is_dir():
        return out
    for folder in sorted(p for src in root.iterdir() if src.is_dir() for p in src.iterdir() if p.is_dir()):
        note = folder / "REJECTED.json"
        try:
            rejected_at = json.loads(note.read_text()).get("rejected_at") if note.exists() else None
        except (OSError, ValueError):
            rejected_at = None
        when = _when(rejected_at, folder)
        if when < now - timedelta(days=r.quarantine_days):
            out.append(Action("delete", str(folder.relative_to(settings.home)),
                              f"rejected {when:%Y-%m-%d}, more than {r.quarantine_days} days ago",
                              _bytes(folder), lambda f=folder: shutil.rmtree(f)))
    return out


def _run_actions(settings: Settings, r: Retention, now: datetime, instance) -> list[Action]:
    out = []
    cutoff = now - timedelta(days=r.run_history_days)
    if instance is not None:
        from dagster import RunsFilter

        old = instance.get_run_records(filters=RunsFilter(updated_before=cutoff.replace(tzinfo=timezone.utc)))
        for rec in old:
            run_id = rec.dagster_run.run_id
            shard = settings.dagster_home / "history" / "runs" / f"{run_id}.db"
            logs = settings.dagster_home / "storage" / run_id
            size = (_bytes(shard) if shard.exists() else 0) + (_bytes(logs) if logs.exists() else 0)

            def delete(run_id=run_id, logs=logs):
                instance.delete_run(run_id)  # the run, its events and its event-log shard
                shutil.rmtree(logs, ignore_errors=True)

            out.append(Action("delete", f"run {run_id[:8]}",
                              f"Dagster run last updated {rec.update_timestamp:%Y-%m-%d}, more than "
                              f"{r.run_history_days} days ago", size, delete))
    if settings.logs.is_dir():
        for f in sorted(settings.logs.rglob("*")):
            if f.is_file() and datetime.fromtimestamp(f.stat().st_mtime, timezone.utc).replace(tzinfo=None) < cutoff:
                out.append(Action("delete", str(f.relative_to(settings.home)),
                                  f"log last written more than {r.run_history_days} days ago", _bytes(f), f.unlink))
    return out


def plan(settings: Settings, retention: Retention | None = None, now: datetime | None = None,
         instance=None, pseudo=None) -> list[Action]:
    """What the retention deletes or converts now, oldest first within each kind. `pseudo`
    (the pseudonymizer) is needed only to convert a format-1 archive entry."""
    retention = retention or Retention.from_env()
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    return (_archive_actions(settings, retention, now, pseudo) + _quarantine_actions(settings, retention, now)
            + _run_actions(settings, retention, now, instance))


def apply(actions: list[Action]) -> tuple[list[str], int]:
    """Carry the actions out; returns what was done (a line each) and the bytes freed. A
    conversion that fails leaves its entry as it was and is reported, the rest go on."""
    done, freed = [], 0
    for a in actions:
        try:
            a.apply()
            if a.kind == "convert":  # frees the deliveries, keeps the tables
                a.bytes = max(a.bytes - _bytes(a.path), 0)
            freed += a.bytes
            done.append(a.line(dry_run=False))
        except Exception as e:  # noqa: BLE001 - one failure must not stop the rest
            done.append(f"FAILED to {a.kind} {a.what}: {type(e).__name__}: {e}")
    return done, freed
