"""The lower bound: `published.maalgruppe_status` computed by one plain DuckDB SQL script.

    python bench/plain_duckdb.py INBOX OUT.duckdb

Reads the newest complete `momentum/<YYYYMMDD>/` folder (one with `_kontrol.csv`) and
`omraader/adresser.csv` of INBOX straight into DuckDB (`read_csv`, every column VARCHAR),
takes the helhedsplan areas from plans/*.yaml, and writes table `maalgruppe_status` to OUT
(replaced). No validation, no pseudonyms, no orchestration: the least work that gives the
same table, to compare the pipeline with (bench/run.py).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import duckdb
import yaml

REPO = Path(__file__).resolve().parent.parent
SQL = Path(__file__).with_name("plain_duckdb.sql")
PLANS = REPO / "plans"
KODER = REPO / "dbt_project" / "seeds" / "maalgruppe_koder.csv"
DBT_PROJECT = REPO / "dbt_project" / "dbt_project.yml"


def _lit(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def newest_extract(inbox: Path) -> Path:
    root = inbox / "momentum"
    found = []
    for p in root.iterdir() if root.is_dir() else []:
        try:
            datetime.strptime(p.name, "%Y%m%d")
        except ValueError:
            continue
        if p.is_dir() and (p / "_kontrol.csv").exists():
            found.append(p)
    if not found:
        raise SystemExit(f"no complete momentum extract in {root}")
    return max(found, key=lambda p: p.name)


def plan_areas() -> list[tuple[str, str]]:
    rows = []
    for path in sorted(PLANS.glob("*.yaml")):
        plan = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for b in ((plan.get("areas") or {}).get("boligomraader") or []):
            rows.append((path.stem, b))
    return rows


def transcode_opera(inbox: Path, tmp: Path) -> tuple[Path, str] | None:
    """The newest Opera extract as UTF-8 copies (streamed), and its extract date."""
    root = inbox / "opera"
    found = sorted(p for p in root.iterdir() if p.is_dir() and (p / "_KONTROL.csv").exists()) if root.is_dir() else []
    if not found:
        return None
    src = found[-1]
    out = tmp / "opera"
    out.mkdir(parents=True, exist_ok=True)
    for name in ("MATCHPERIODER.csv", "ADRESSER.csv"):
        with open(src / name, encoding="cp1252", newline="") as fi, open(out / name, "w", encoding="utf-8", newline="") as fo:
            shutil.copyfileobj(fi, fo, 1 << 20)
    return out, datetime.strptime(src.name, "%Y%m%d").date().isoformat()


def render(inbox: Path, tmp: Path) -> str:
    folder = newest_extract(inbox)
    extract = datetime.strptime(folder.name, "%Y%m%d").date()
    dbt_vars = yaml.safe_load(DBT_PROJECT.read_text(encoding="utf-8"))["vars"]
    areas = plan_areas()
    values = ", ".join(f"({_lit(p)}, {_lit(b)})" for p, b in areas) or "(NULL, NULL)"
    subst = {
        "momentum": str(folder).replace("'", "''"),
        "adresser": str(inbox / "omraader" / "adresser.csv").replace("'", "''"),
        "koder": str(KODER).replace("'", "''"),
        "extract_date": extract.isoformat(),
        "plan_areas": values,
        "history_years": str(int(dbt_vars["history_years"])),
        "min_days_6_1": str(int(dbt_vars["maalgruppe_6_1_min_days"])),
        "suppress_max": str(int(dbt_vars["suppress_max_persons"])),
    }
    opera = transcode_opera(inbox, tmp)
    sql = SQL.read_text(encoding="utf-8")
    if opera is None:  # no Opera delivered: drop the two Opera statements
        sql = "\n\n".join(part for part in sql.split("\n\n") if "{{opera}}" not in part)
    else:
        subst["opera"] = str(opera[0]).replace("'", "''")
        subst["opera_date"] = opera[1]
    for k, v in subst.items():
        sql = sql.replace("{{" + k + "}}", v)
    return sql


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("inbox", type=Path)
    p.add_argument("out", type=Path)
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="plain-duckdb-"))
    sql = render(args.inbox.resolve(), tmp)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for f in (args.out, args.out.with_name(args.out.name + ".wal")):
        f.unlink(missing_ok=True)
    con = duckdb.connect(str(args.out))
    try:
        con.execute(sql)
        rows = con.execute("SELECT count(*) FROM maalgruppe_status").fetchone()[0]
    finally:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"plain_duckdb: {rows} rows in maalgruppe_status of {args.out} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
