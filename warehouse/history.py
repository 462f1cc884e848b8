"""History: every publication's inputs are archived — as the readers handed them over, never
as delivered — and a past publication can be rebuilt from them.

The inbox is not the archive: the delivering systems and the operator own it (old extracts
are cleaned up there, rosters, the address register and LBF files are replaced in place,
and a rejected extract is moved out of it). So after each publication the tables it was
built from are written to `<home>/archive/<YYYYMMDD>/`, named by the Momentum extract date:

    tables/<source>__<table>.parquet   every raw table the readers produced (validated,
                                       pseudonymised: no CPR, no name, no street), zstd
    momentum/<YYYYMMDD>/_kontrol.csv   the extracts' control files (file names and row
    opera/<YYYYMMDD>/_KONTROL.csv      counts), so the control-count gates run again
    plans/*.yaml                       the plans the run read
    ARCHIVED.json                      format 2, publication id, extract dates, code version,
                                       the pseudonym key's fingerprint, every table's rows

A file equal to the same file of the previous entry is hard-linked to it, not copied (Opera,
the register, LBF and plans rarely change). Archive files are never written again: an entry
that is re-archived (a second publication from the same Momentum extract) is written beside
and then swapped in whole.

`helhedsdata rebuild --as-of YYYY-MM-DD --out DIR` (cli/main.py) runs the pipeline over the
entry of the newest extract on or before that date, in a separate home folder DIR: the source
assets load the archived tables instead of reading files (orchestration/assets/ingest.py), and
every gate after the readers runs again. Never the live publication, never PostgreSQL.

Entries written before 2026-12-03 (stop 26) hold `person_key` as text (32 hexadecimal
characters): `read_archived` turns it into today's integer key (sources/pseudonym.py), the same
person under the same key.

Entries written before format 2 held the deliveries themselves (CPR numbers, names):
`convert_raw_entry` turns one into format 2 with today's readers and key (warehouse/retention.py
does it, or deletes the entry, as the retention says).
"""
from __future__ import annotations

import filecmp
import json
import os
import shutil
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa

from sources import lbf, momentum, omraader, opera, roster
from sources.pseudonym import Pseudonymizer, person_keys_from_text
from warehouse.config import SYNTHETIC_MARKER, Settings

ARCHIVE_INFO = "ARCHIVED.json"
FORMAT = 2
TABLES = "tables"
PERSON_KEY = "person_key"
DATED = {momentum.SOURCE: momentum.CONTROL_FILE, opera.SOURCE: opera.CONTROL_FILE}


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


def _link_if_equal(new: Path, old: Path | None) -> None:
    """Replace `new` by a hard link to `old` when the two files are equal."""
    if old is not None and old.is_file() and filecmp.cmp(new, old, shallow=False):
        new.unlink()
        os.link(old, new)


def key_fingerprint(pseudo: Pseudonymizer) -> str:
    """Names the pseudonym key without revealing it: a pseudonym of a fixed word. Two archive
    entries (or warehouses) can be joined on person_key only when their fingerprints agree."""
    return pseudo.pseudonymize(pa.array(["helhedsdata key fingerprint"]), "key-fingerprint")[0].as_py()[:12]


def entry_fingerprint(entry: Path) -> str | None:
    """The key fingerprint an entry's person keys were made under (None: unknown, format 1)."""
    try:
        return json.loads((entry / ARCHIVE_INFO).read_text()).get("key_fingerprint")
    except (OSError, ValueError):
        return None


def fingerprint_of_run(settings: Settings) -> str:
    """The key the run's person keys were made under: a rebuild's are the archive entry's."""
    if (settings.inbox / ARCHIVE_INFO).exists() and entry_format(settings.inbox) == FORMAT:
        return entry_fingerprint(settings.inbox) or "unknown"
    return key_fingerprint(settings.pseudonymizer())


def entry_format(entry: Path) -> int:
    """2: the readers' tables (this module); 1: the deliveries as delivered (before format 2)."""
    try:
        return int(json.loads((entry / ARCHIVE_INFO).read_text()).get("format", 1))
    except (OSError, ValueError):
        return 1


def _write_tables(tmp: Path, previous: Path | None, con, tables: list[str]) -> dict[str, int]:
    (tmp / TABLES).mkdir(parents=True, exist_ok=True)
    rows = {}
    for t in tables:
        target = tmp / TABLES / f"{t}.parquet"
        path = str(target).replace("'", "''")
        # Insertion order kept (DuckDB's default): an unchanged table writes the same bytes and
        # is linked to the previous entry's file.
        # zstd level 1: measured at 1 000 000 persons against the default level 3, 6.2 s against
        # 7.7 s CPU for the Momentum tables at 0.5 GB peak, and 112 against 118 MB (docs/benchmarks.md).
        con.execute(f"COPY raw.{t} TO '{path}' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)")
        rows[t] = con.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0]
        _link_if_equal(target, previous / TABLES / target.name if previous else None)
    return rows


def archive_publication(settings: Settings, publication_id: str, code_version: str = "",
                        fingerprint: str | None = None) -> Path:
    """Archive the tables of the publication just made from `settings` (see the module
    docstring). Returns the entry's folder."""
    import duckdb

    loads = _accepted(settings.warehouse)
    momentum_date, momentum_origin = loads.get("momentum", (None, ""))
    if momentum_date is None:
        raise HistoryError("no Momentum extract was loaded: nothing to archive")
    root = archive_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    name = date.fromisoformat(momentum_date).strftime("%Y%m%d")
    final = root / name
    earlier = [p for d, p in entries(root) if p != final and entry_format(p) == FORMAT]
    previous = earlier[-1] if earlier else (final if final.exists() and entry_format(final) == FORMAT else None)
    tmp = root / f".{name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        con = duckdb.connect(str(settings.warehouse), read_only=True)
        try:
            # Every raw table but the plans' (the plans are archived as the YAML files they are).
            tables = [r[0] for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw' AND table_name NOT LIKE 'plans__%' "
                "ORDER BY 1").fetchall()]
            rows = _write_tables(tmp, previous, con, tables)
        finally:
            con.close()
        for source, control in DATED.items():
            _, origin = loads.get(source, (None, ""))
            folder = Path(origin) if origin else None
            if folder is not None and (folder / control).is_file():
                (tmp / source / folder.name).mkdir(parents=True)
                shutil.copy2(folder / control, tmp / source / folder.name / control)
        (tmp / "plans").mkdir()
        for plan in sorted(settings.plans.glob("*.yaml")):
            shutil.copy2(plan, tmp / "plans" / plan.name)
            _link_if_equal(tmp / "plans" / plan.name, previous / "plans" / plan.name if previous else None)
        if (settings.inbox / SYNTHETIC_MARKER).exists():
            shutil.copy2(settings.inbox / SYNTHETIC_MARKER, tmp / SYNTHETIC_MARKER)
        (tmp / ARCHIVE_INFO).write_text(json.dumps({
            "format": FORMAT,
            "publication_id": publication_id,
            "archived_at": datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds"),
            "extract_dates": {s: d for s, (d, _) in sorted(loads.items()) if d is not None},
            "code_version": code_version,
            "key_fingerprint": fingerprint,
            "tables": rows,
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


def read_archived(entry: Path, source: str) -> tuple[dict[str, pa.Table], date | None, str]:
    """The tables of `source` in a format-2 entry, typed as its reader hands them over (the
    GX suites compare the schema exactly), its extract date and the origin to record: for a
    dated source the entry's extract folder, where its control file is."""
    import pyarrow.parquet as pq

    from warehouse.expectations import reader_schema

    info = json.loads((entry / ARCHIVE_INFO).read_text())
    tables = {}
    for path in sorted((entry / TABLES).glob(f"{source}__*.parquet")):
        table_name = path.stem.split("__", 1)[1]
        schema = reader_schema(path.stem)
        table = pq.read_table(path).select(schema.names)
        if PERSON_KEY in table.column_names and not pa.types.is_integer(table.schema.field(PERSON_KEY).type):
            # An entry archived before person keys were integers: the same keys, as integers.
            i = table.column_names.index(PERSON_KEY)
            table = table.set_column(i, PERSON_KEY, person_keys_from_text(table.column(PERSON_KEY)))
        tables[table_name] = table.cast(schema)
    d = info.get("extract_dates", {}).get(source)
    extract_date = date.fromisoformat(d) if d else None
    origin = f"archive {entry.name}"
    if source in DATED and extract_date is not None:
        origin = str(entry / source / extract_date.strftime("%Y%m%d"))
    return tables, extract_date, origin


def convert_raw_entry(entry: Path, pseudo: Pseudonymizer) -> Path:
    """Turn a format-1 entry (the deliveries, CPR numbers included) into format 2: read each
    delivery with today's readers and `pseudo`, write the tables, then delete the deliveries.
    The entry is rewritten beside and swapped in whole, so a failure leaves it as it was."""
    info = json.loads((entry / ARCHIVE_INFO).read_text())
    tmp = entry.with_name(f".{entry.name}.{os.getpid()}.convert")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / TABLES).mkdir(parents=True)
    try:
        tables: dict[str, pa.Table] = {}
        for module in (momentum, opera):
            for folder in module.find_extracts(entry):
                ext = module.read_extract(folder, pseudo, entry)
                tables.update({f"{module.SOURCE}__{n}": t for n, t in ext.tables.items()})
                control = DATED[module.SOURCE]
                (tmp / module.SOURCE / folder.name).mkdir(parents=True)
                shutil.copy2(folder / control, tmp / module.SOURCE / folder.name / control)
        if (entry / omraader.PATH).exists():
            tables["omraader__adresser"] = omraader.read_register(entry, pseudo)[0]
        lbf_table, _ = lbf.read_lbf(entry)
        if lbf_table is not None:
            tables["lbf__beboerdata"] = lbf_table
        tables["roster__deltagere"] = roster.read_rosters(entry, pseudo).table
        import pyarrow.parquet as pq

        for name, table in tables.items():
            pq.write_table(table, tmp / TABLES / f"{name}.parquet", compression="zstd")
        if (entry / "plans").is_dir():
            shutil.copytree(entry / "plans", tmp / "plans")
        if (entry / SYNTHETIC_MARKER).exists():
            shutil.copy2(entry / SYNTHETIC_MARKER, tmp / SYNTHETIC_MARKER)
        (tmp / ARCHIVE_INFO).write_text(json.dumps({
            **info, "format": FORMAT, "key_fingerprint": key_fingerprint(pseudo),
            "converted_at": datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds"),
            "tables": {n: t.num_rows for n, t in sorted(tables.items())},
        }, indent=2) + "\n")
        old = entry.with_name(f".{entry.name}.{os.getpid()}.raw")
        os.replace(entry, old)
        os.replace(tmp, entry)
        shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return entry


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
