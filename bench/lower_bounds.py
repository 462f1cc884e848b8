"""Lower bounds for the stages of a run, measured on the same bytes and the same SQL.

    python bench/lower_bounds.py read-csv INBOX OUT.duckdb
    python bench/lower_bounds.py models HOME OUT.duckdb

`read-csv`: DuckDB's own `read_csv` of every CSV file the run ingests (the newest Momentum and
Opera extracts, the address register, LBF, the roster CSV; every column VARCHAR, the files'
own delimiter and encoding), each loaded into a table of a fresh DuckDB file: reading and
loading the bytes, nothing else (no contract, no pseudonyms). Per source step of the run.
The roster's .xlsx and the plans' YAML have no DuckDB reader here and are left out (both are
a few hundred rows).

`models`: the compiled SQL of every model of the home's last `dbt build`
(`<home>/dbt/target/run_results.json`: the code dbt ran, in the order the nodes finished,
which respects dependencies) run straight in one DuckDB connection on a copy of the home's
warehouse (raw tables and seeds as the run left them): `CREATE OR REPLACE TABLE|VIEW` per
model, then every test's compiled SQL as `SELECT count(*) FROM (...)`. No dbt, no Dagster.
Same memory limit and threads as the dbt profile (read from it). A Python model cannot be run this way; its
table is kept from the run and its dbt time is reported beside the bound.

Both print one JSON object on stdout.
"""
from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plain_duckdb import REPO, newest_extract  # noqa: E402

DBT_PROJECT = REPO / "dbt_project"

# source step of the run -> (glob under the inbox, encoding); the newest dated folder for extracts
SOURCES = {
    "momentum_extract": ("momentum/{newest}/*.csv", "utf-8"),
    "opera_extract": ("opera/{newest}/*.csv", "latin-1"),  # cp1252; DuckDB reads latin-1 at the same cost
    "omraader__adresser": ("omraader/*.csv", "utf-8"),
    "lbf__beboerdata": ("lbf/*.csv", "utf-8"),
    "roster__deltagere": ("roster/*.csv", "utf-8"),
}
def _profile_settings() -> dict:
    """The dbt profile's DuckDB settings and threads (dbt_project/profiles.yml), so the bound
    runs under the same memory limit as dbt."""
    import yaml

    path = DBT_PROJECT / "profiles.yml"
    out = yaml.safe_load(path.read_text())["helhedsdata"]["outputs"]["duckdb"]
    return {**out.get("config_options", {}), **out.get("settings", {}), "threads": out.get("threads", 2)}


PROFILE_SETTINGS = _profile_settings()


def _newest(root: Path) -> str | None:
    if not root.is_dir():
        return None
    dated = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name.isdigit() and len(p.name) == 8)
    return dated[-1] if dated else None


def read_csv(inbox: Path, out: Path) -> dict:
    out.unlink(missing_ok=True)
    con = duckdb.connect(str(out))
    for k, v in PROFILE_SETTINGS.items():
        con.execute(f"SET {k} = '{v}'")
    steps, files = {}, {}
    t_all = time.perf_counter()
    for step, (pattern, enc) in SOURCES.items():
        source = pattern.split("/")[0]
        newest = _newest(inbox / source) if "{newest}" in pattern else ""
        if newest is None:
            continue
        paths = sorted(inbox.glob(pattern.format(newest=newest)))
        t0 = time.perf_counter()
        nbytes = 0
        for i, p in enumerate(paths):
            nbytes += p.stat().st_size
            con.execute(f"""CREATE OR REPLACE TABLE {step}_{i} AS SELECT * FROM read_csv(?, delim = ';', quote = '"',
                            header = true, all_varchar = true, encoding = '{enc}')""", [str(p)])
        con.execute("CHECKPOINT")
        steps[step] = time.perf_counter() - t0
        files[step] = {"files": len(paths), "bytes": nbytes}
    con.close()
    return {"steps_s": steps, "files": files, "total_s": time.perf_counter() - t_all}


def models(home: Path, out: Path) -> dict:
    target = home / "dbt" / "target"
    rr = json.loads((target / "run_results.json").read_text())
    # the project's manifest (a night writes none into its home: orchestration/dbt_inprocess.py)
    manifest = json.loads((DBT_PROJECT / "target" / "manifest.json").read_text())
    shutil.copyfile(home / "warehouse.duckdb", out)
    con = duckdb.connect(str(out))
    for k, v in PROFILE_SETTINGS.items():
        con.execute(f"SET {k} = '{v}'")
    # dbt's relation names are "warehouse"."schema"."name": the copy is attached under its own name
    con.execute(f"USE \"{out.stem}\"")
    db = '"warehouse".'
    per_model, per_test, skipped = {}, {}, {}
    t_models = time.perf_counter()
    for r in rr["results"]:
        uid = r["unique_id"]
        if not uid.startswith("model."):
            continue
        node = manifest["nodes"][uid]
        if node.get("language") == "python":
            skipped[uid.split(".")[-1]] = r["execution_time"]
            continue
        mat = node["config"]["materialized"]
        kind = "VIEW" if mat == "view" else "TABLE"
        rel = r["relation_name"].replace(db, "")
        sql = r["compiled_code"].replace(db, "")
        t0 = time.perf_counter()
        con.execute(f"CREATE OR REPLACE {kind} {rel} AS {sql}")
        per_model[uid.split(".")[-1]] = time.perf_counter() - t0
    models_s = time.perf_counter() - t_models
    con.execute("CHECKPOINT")
    models_checkpoint_s = time.perf_counter() - t_models
    t_tests = time.perf_counter()
    for r in rr["results"]:
        uid = r["unique_id"]
        if not uid.startswith("test.") or not r.get("compiled_code"):
            continue
        t0 = time.perf_counter()
        con.execute(f"SELECT count(*) FROM ({r['compiled_code'].replace(db, '')}) AS t").fetchone()
        per_test[uid.split(".", 2)[-1]] = time.perf_counter() - t0  # name.hash, as bench/run.py keys nodes
    tests_s = time.perf_counter() - t_tests
    con.close()
    dbt = {"models_s": sum(r["execution_time"] for r in rr["results"] if r["unique_id"].startswith("model.")),
           "tests_s": sum(r["execution_time"] for r in rr["results"] if r["unique_id"].startswith("test.")),
           "seeds_s": sum(r["execution_time"] for r in rr["results"] if r["unique_id"].startswith("seed.")),
           "elapsed_s": rr.get("elapsed_time")}
    dbt_per_model = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in rr["results"]
                     if r["unique_id"].startswith("model.")}
    return {"models_s": models_s, "models_with_checkpoint_s": models_checkpoint_s, "tests_s": tests_s,
            "per_model_s": per_model, "dbt_per_model_s": dbt_per_model, "python_models_dbt_s": skipped,
            "per_test_s": per_test, "tests": len(per_test), "dbt": dbt}


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in ("read-csv", "models"):
        print(__doc__, file=sys.stderr)
        return 2
    fn = read_csv if argv[0] == "read-csv" else models
    print(json.dumps(fn(Path(argv[1]), Path(argv[2]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
