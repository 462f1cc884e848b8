"""History: every publication's inputs are archived, and a past publication can be rebuilt.

The inbox is not the archive: the delivering systems and the operator own it (old extracts
are cleaned up there, rosters, the address register and LBF files are replaced in place,
and a rejected extract is moved out of it). So after each publication the inputs it was
built from are copied to `<home>/archive/<YYYYMMDD>/`, named by the Momentum extract date,
in the inbox's own layout:

    momentum/<YYYYMMDD>/   the accepted Momentum extract (with _kontrol.csv)
    opera/<YYYYMMDD>/      the accepted Opera extract, if any
    omraader/ lbf/ roster/ as the inbox held them
    plans/*.yaml           the plans the run read
    ARCHIVED.json          publication id, extract dates, code version, when

A file equal to the same file of the previous archive entry is hard-linked to it, not
copied (Opera, the register, LBF and plans rarely change). Archive files are never written
again: an entry that is re-archived (a second publication from the same Momentum extract)
is written beside and then swapped in whole.

`helhedsdata rebuild --as-of YYYY-MM-DD --out DIR` runs the pipeline over the archive entry
of the newest extract on or before that date, in a separate home folder DIR: its own
warehouse, publication file and Dagster storage; never the live publication, never
PostgreSQL.
"""
from __future__ import annotations

import filecmp
import json
import os
import shutil
from datetime import date, datetime, timezone
from pathlib import Path

from warehouse.config import SYNTHETIC_MARKER, Settings

ARCHIVE_INFO = "ARCHIVED.json"
UNDATED = ("omraader", "lbf", "roster")  # read whole from the inbox on every run


class HistoryError(Exception):
    pass


def archive_root(settings: Settings) -> Path:
    return settings.home / "archive"


def entries(root: Path) -> list[tuple[date, Path]]:
    """Archive entries (extract date, folder), oldest first. A folder without
    ARCHIVED.json is an archive cut short, and not an entry."""
    out = []
    if root.exists():
        for p in root.iterdir():
            if p.is_dir() and (p / ARCHIVE_INFO).exists():
                try:
                    out.append((datetime.strptime(p.name, "%Y%m%d").date(), p))
                except ValueError:
                    continue
    return sorted(out)


def entry_as_of(root: Path, as_of: date) -> Path:
    """The entry of the newest extract on or before `as_of`."""
    found = [p for d, p in entries(root) if d <= as_of]
    if not found:
        have = ", ".join(d.isoformat() for d, _ in entries(root)) or "none"
        raise HistoryError(f"no archived extract on or before {as_of.isoformat()} in {root} (archived: {have})")
    return found[-1]


def _accepted(warehouse: Path) -> dict[str, tuple[str | None, str]]:
    """source -> (extract date, origin) of the newest load of each source (meta.loads)."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("""
            SELECT source, extract_date, origin FROM meta.loads
            QUALIFY row_number() OVER (PARTITION BY source ORDER BY loaded_at DESC) = 1""").fetchall()
    finally:
        con.close()
    return {s: (str(d) if d is not None else None, o) for s, d, o in rows}


def _copy_tree(src: Path, dst: Path, previous: Path | None) -> None:
    """Copy src to dst; a file equal to the same relative path under `previous` is linked."""
    for f in sorted(src.rglob("*")):
        rel = f.relative_to(src)
        target = dst / rel
        if f.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        old = previous / rel if previous is not None else None
        if old is not None and old.is_file() and filecmp.cmp(f, old, shallow=False):
            os.link(old, target)
        else:
            shutil.copy2(f, target)


def archive_publication(settings: Settings, publication_id: str, code_version: str = "") -> Path:
    """Archive the inputs of the publication just made from `settings` (see the module
    docstring). Returns the entry's folder."""
    loads = _accepted(settings.warehouse)
    momentum_date, momentum_origin = loads.get("momentum", (None, ""))
    if momentum_date is None:
        raise HistoryError("no Momentum extract was loaded: nothing to archive")
    root = archive_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    name = date.fromisoformat(momentum_date).strftime("%Y%m%d")
    final = root / name
    earlier = [p for d, p in entries(root) if p != final]
    previous = earlier[-1] if earlier else None
    tmp = root / f".{name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        for source in ("momentum", "opera"):
            _, origin = loads.get(source, (None, ""))
            folder = Path(origin) if origin else None
            if folder is not None and folder.is_dir():
                # An earlier entry's copy of the same extract is linked file by file.
                prev = next((p / source / folder.name for _, p in reversed(entries(root))
                             if (p / source / folder.name).is_dir()), None)
                _copy_tree(folder, tmp / source / folder.name, prev)
        for source in UNDATED:
            if (settings.inbox / source).is_dir():
                _copy_tree(settings.inbox / source, tmp / source, previous / source if previous else None)
        (tmp / "plans").mkdir()
        for plan in sorted(settings.plans.glob("*.yaml")):
            shutil.copy2(plan, tmp / "plans" / plan.name)
        if (settings.inbox / SYNTHETIC_MARKER).exists():
            shutil.copy2(settings.inbox / SYNTHETIC_MARKER, tmp / SYNTHETIC_MARKER)
        (tmp / ARCHIVE_INFO).write_text(json.dumps({
            "publication_id": publication_id,
            "archived_at": datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds"),
            "extract_dates": {s: d for s, (d, _) in sorted(loads.items()) if d is not None},
            "code_version": code_version,
        }, indent=2) + "\n")
        if final.exists():  # a re-publication from the same extract: swap the entry whole
            old = root / f".{name}.{os.getpid()}.old"
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def prepare_rebuild(settings: Settings, as_of: date, out: Path) -> tuple[Settings, Path]:
    """Lay out the separate home folder `out` for a rebuild from the archived inputs of the
    newest extract on or before `as_of`: its inbox links the archive entry. Returns (the
    rebuild's settings, the archive entry). Running the pipeline over it is the command
    line's (`helhedsdata rebuild`, cli/main.py): this library never starts a run."""
    out = out.resolve()
    if out == settings.home.resolve() or settings.home.resolve() in out.parents and out.name in (
            "inbox", "archive", "dagster", "quarantine"):
        raise HistoryError(f"--out {out} is the live home folder or one of its parts; use a folder of its own")
    if (out / "publication.duckdb").exists() or (out / "inbox").exists():
        raise HistoryError(f"{out} already holds a rebuild or a home folder; use an empty folder")
    entry = entry_as_of(archive_root(settings), as_of)
    inbox = out / "inbox"
    # Linked, not copied: the run may move a folder out of its inbox (quarantine), which
    # moves the link and leaves the archive whole.
    shutil.copytree(entry, inbox, copy_function=_link_or_copy)
    target = Settings(out, inbox, None, inbox / "plans")
    if settings.throwaway_key_file.exists() and not os.environ.get("HELHEDSDATA_PSEUDONYM_KEY"):
        out.mkdir(parents=True, exist_ok=True)  # a synthetic home: the same throw-away key
        shutil.copy2(settings.throwaway_key_file, target.throwaway_key_file)
    return target, entry


def _link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:  # another file system
        shutil.copy2(src, dst)
    return dst
