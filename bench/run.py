"""Benchmark: the whole pipeline against a plain DuckDB script, at growing sizes.

    python bench/run.py [--sizes 10000 100000 1000000] [--seed 1] [--out bench/out]

Per size: generate a synthetic inbox once (reused afterwards; its time is reported but is
not part of the comparison), measure DuckDB's read_csv of the same files (the lower bound of
ingest), run `helhedsdata run` as a full build in an empty home (warehouse and publication
deleted first) and then again in the same, now warm, home; run the compiled SQL of every
model and test straight in DuckDB (the lower bound of the models, bench/lower_bounds.py);
run bench/plain_duckdb.py on the same inbox, check that both give the same
`maalgruppe_status` table (stops with an error otherwise), print a table of stages per size
with the checksums of the published tables (bench/checksums.py), and write
docs/benchmarks.md. See bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import duckdb

from checksums import checksums  # noqa: E402  (bench/checksums.py)
from plain_duckdb import newest_extract  # the same rule for the newest extract as the plain script

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HELHEDSDATA = BIN / "helhedsdata"
PLAIN = Path(__file__).with_name("plain_duckdb.py")
DOC = REPO / "docs" / "benchmarks.md"
TIME = "/usr/bin/time"
# A fixed key for synthetic data only: pseudonyms are then the same in every run.
BENCH_KEY = "helhedsdata-bench-key-synthetic-only-0001"

# Dagster step -> stage of the report. Every other step that is not a check is a source
# being ingested (momentum_extract, omraader__adresser, plans__plan_omraader, and whatever
# sources the pipeline reads besides).
STAGES = {"dbt_models": "dbt", "publication": "publish", "status_reports": "report"}
REQUIRED_STEPS = ["momentum_extract", "dbt_models", "publication"]
CHECK_SUFFIX = "_control_count_matches"
# Every asset-check step of the run (the gates): control counts, freshness, row counts.
CHECK_SUFFIXES = (CHECK_SUFFIX, "_extract_is_fresh", "_row_count_not_dropped")


def is_check(step: str) -> bool:
    return step.endswith(CHECK_SUFFIXES) or "_check" in step
# The input files the comparison reads, in the order of the report.
INPUT_FILES = ["momentum/*/borger_adresse.csv", "momentum/*/maalgruppe.csv", "momentum/*/tilbud.csv",
               "momentum/*/samtale.csv", "omraader/adresser.csv"]
LOWER = Path(__file__).with_name("lower_bounds.py")
# Issue 13: 1 000 000 persons in a warm home end to end, peak memory of the whole process
# tree, ingest against DuckDB's read_csv of the same files.
TARGET_WALL_S = 80
TARGET_RSS_GB = 3
TARGET_INGEST_RATIO = 2.0


class BenchError(Exception):
    pass


# ------------------------------------------------------------------------------------------
# Measuring one command
# ------------------------------------------------------------------------------------------

def _tree_rss(root: int) -> dict[int, tuple[int, str]]:
    """RSS (kB) and a short name of `root` and each of its descendants (read from /proc)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as fh:
                stat = fh.read()
            ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = {}, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm") as fh:
                rss = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                argv = [a.decode(errors="replace") for a in fh.read().split(b"\0") if a]
        except (OSError, ValueError, IndexError):
            continue
        # e.g. "helhedsdata run", "dbt build": the program and its first argument; Python's
        # multiprocessing children (python -c "...spawn_main..."): Great Expectations' worker
        # (warehouse/gx_worker.py) and the resource tracker spawn starts beside it.
        code = next((a for a in argv if "multiprocessing" in a), "")
        if code:
            name = "GX worker" if "spawn_main" in code else "multiprocessing resource tracker"
        elif argv[:1] and Path(argv[0]).name.startswith("python"):
            name = " ".join(Path(a).name for a in argv[1:3] if not a.startswith("-"))
        else:
            name = " ".join(Path(a).name for a in argv[:2])
        out[pid] = (rss, (name or "?").replace("\n", " ")[:40])
    return out


def _tree_rss_kb(root: int) -> int:
    """Sum of VmRSS over `root` and all its descendants."""
    return sum(rss for rss, _ in _tree_rss(root).values())


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process tree every `interval` seconds, and the peak of
    each process (by name) within it."""

    def __init__(self, pid: int, interval: float = 0.5):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self.per_process_kb: dict[str, int] = {}
        self.at_peak: dict[str, int] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            procs = _tree_rss(self.pid)
            total = sum(rss for rss, _ in procs.values())
            if total > self.peak_kb:
                self.peak_kb = total
                self.at_peak = {n: r for r, n in procs.values() if r > 20_000}
            for rss, name in procs.values():
                self.per_process_kb[name] = max(self.per_process_kb.get(name, 0), rss)
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def timed(cmd: list[str], log_prefix: Path, env: dict | None = None) -> dict:
    """Run cmd under /usr/bin/time -v; return wall seconds, peak RSS, stdout."""
    out_path, err_path = log_prefix.with_suffix(".stdout.log"), log_prefix.with_suffix(".stderr.log")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([TIME, "-v", *cmd], stdout=out, stderr=err, env=env, cwd=REPO)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        rc = proc.wait()
        wall = time.perf_counter() - t0
        sampler.stop()
    stdout, stderr = out_path.read_text(errors="replace"), err_path.read_text(errors="replace")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([0-9.]+)", stderr))
    if rc != 0 or not m:
        tail = "\n".join((stdout + stderr).splitlines()[-40:])
        raise BenchError(f"command failed (exit {rc}): {shlex.join(cmd)}\n--- last lines ---\n{tail}")
    return {"wall_s": wall, "cpu_s": cpu, "max_rss_kb": int(m.group(1)), "tree_rss_kb": sampler.peak_kb,
            "tree_at_peak_kb": sampler.at_peak,
            "per_process_kb": {k: v for k, v in sampler.per_process_kb.items() if v > 20_000}, "stdout": stdout, "stdout_log": str(out_path), "stderr_log": str(err_path)}


# ------------------------------------------------------------------------------------------
# Steps
# ------------------------------------------------------------------------------------------

def generator_hash() -> str:
    """An inbox is reused only when made by the same generator source."""
    import hashlib

    return hashlib.sha256((REPO / "synth" / "generator.py").read_bytes()).hexdigest()[:16]


def generate(size: int, seed: int, folder: Path, regenerate: bool) -> dict:
    inbox, meta_path = folder / "inbox", folder / "generate.json"
    if not regenerate and meta_path.exists() and (inbox / ".synthetic").exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("persons") == size and meta.get("seed") == seed and meta.get("generator") == generator_hash():
            meta["reused"] = True
            return meta
    shutil.rmtree(inbox, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    r = timed([str(HELHEDSDATA), "generate", "--out", str(inbox), "--persons", str(size), "--seed", str(seed)],
              folder / "generate", env=code_env())
    files = {m.group(1): int(m.group(2)) for m in re.finditer(r"^\s+(\S+): (\d+) rows$", r["stdout"], re.M)}
    meta = {"persons": size, "seed": seed, "seconds": r["wall_s"], "max_rss_kb": r["max_rss_kb"],
            "files": files, "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "code_version": git_version(), "generator": generator_hash()}
    meta_path.write_text(json.dumps(meta, indent=2))
    meta["reused"] = False
    return meta


def input_rows(inbox: Path) -> dict[str, int]:
    """Data rows (header excluded) of the files the comparison reads, counted by DuckDB
    from the newest extract."""
    folder = newest_extract(inbox)
    out = {}
    for pattern in INPUT_FILES:
        path = folder / pattern.split("/")[-1] if pattern.startswith("momentum/") else inbox / pattern
        with open(path, "rb") as fh:
            n = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b""))
        out[pattern.replace("*", folder.name)] = n - 1
    return out


def code_env() -> dict:
    """The environment of every measured command: the code beside this script comes first
    on the path (so a copy of the repository measures its own code, not the editable
    install's), and no PostgreSQL target or other home is inherited."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("HELHEDSDATA_PUBLISH_URL", "HELHEDSDATA_HOME", "HELHEDSDATA_INBOX",
                        "HELHEDSDATA_WAREHOUSE", "DAGSTER_HOME")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


def pipeline_env() -> dict:
    return {**code_env(), "HELHEDSDATA_PSEUDONYM_KEY": BENCH_KEY}


def run_pipeline(folder: Path, tag: str = "pipeline", warm: bool = False) -> dict:
    """A full run (`helhedsdata run`). Empty home (warm=False): the warehouse and publication
    files are deleted first. Warm home: they are kept from the previous run, as on every real
    night (Dagster storage, dbt target and archive are kept either way)."""
    home, inbox = folder / "home", folder / "inbox"
    if not warm:
        for name in ("warehouse.duckdb", "warehouse.duckdb.wal", "publication.duckdb", "publication.duckdb.wal"):
            (home / name).unlink(missing_ok=True)
    size_before = sum(p.stat().st_size for p in home.glob("*.duckdb*")) if home.exists() else 0
    r = timed([str(HELHEDSDATA), "run", "--home", str(home), "--inbox", str(inbox), "--quiet"],
              folder / tag, env=pipeline_env())
    steps = {m.group(1): float(m.group(2))
             for m in re.finditer(r"^\s*done (\S+) in ([0-9.]+) s$", r["stdout"], re.M)}
    stages = {"ingest": 0.0, "checks": 0.0, "dbt": 0.0, "publish": 0.0, "report": 0.0}
    for step, s in steps.items():
        if is_check(step):
            stages["checks"] += s
        else:
            stages[STAGES.get(step, "ingest")] += s
    missing = [s for s in REQUIRED_STEPS if s not in steps]
    if missing or not any(s.endswith(CHECK_SUFFIX) for s in steps):
        raise BenchError(f"steps missing from the run's output: {missing or 'control-count checks'} "
                         f"(see {r['stdout_log']})")
    m = re.search(r"^Run (\w+) published in ([0-9.]+) s", r["stdout"], re.M)
    if not m:
        raise BenchError(f"the run did not publish (see {r['stdout_log']})")
    run_id, in_job = m.group(1), float(m.group(2))
    return {"wall_s": r["wall_s"], "cpu_s": r["cpu_s"], "max_rss_kb": r["max_rss_kb"], "tree_rss_kb": r["tree_rss_kb"],
            "steps": steps, "stages": stages, "job_s": in_job, "warm": warm,
            "startup_s": r["wall_s"] - in_job, "run_id": run_id, "dbt": dbt_timings(home),
            "files_before_bytes": size_before, "tree_at_peak_kb": r["tree_at_peak_kb"],
            "per_process_kb": r["per_process_kb"],
            "files_after_bytes": sum(p.stat().st_size for p in home.glob("*.duckdb*")),
            "archive": archive_entry_size(home),
            "log": r["stdout_log"]}


def archive_entry_size(home: Path) -> dict:
    """The newest archive entry (warehouse/history.py): its bytes, and those not hard-linked to
    another entry (what this night added to the disk)."""
    entries = sorted(p for p in (home / "archive").glob("[0-9]" * 8) if (p / "ARCHIVED.json").exists())
    if not entries:
        return {}
    files = [f for f in entries[-1].rglob("*") if f.is_file()]
    return {"entry": entries[-1].name, "bytes": sum(f.stat().st_size for f in files),
            "own_bytes": sum(f.stat().st_size for f in files if f.stat().st_nlink == 1)}


def dbt_timings(home: Path) -> dict:
    """Per-node timings from the home's dbt target folder (reused run after run, so the
    newest run_results.json is this run's) and dbt's elapsed from the run's dbt log."""
    found = home / "dbt" / "target" / "run_results.json"
    if not found.exists():
        return {}
    rr = json.loads(found.read_text())
    command_s, partial_parse = None, "used"
    # This run's dbt events, as the night wrote them (dbt's own dbt.log is off by default:
    # orchestration/dbt_inprocess.py): dbt's elapsed for the command and a full parse's reason.
    log = home / "logs" / "dbt-last-run.log"
    if log.exists():
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("Running with dbt="):  # a new dbt command: forget the previous one's lines
                command_s, partial_parse = None, "used"
            m = re.match(r"Command `[^`]+` (?:succeeded|failed) at \S+ after ([0-9.]+) seconds", line)
            if m:
                command_s = float(m.group(1))
            elif line.startswith("Unable to do partial parsing because "):
                partial_parse = "not used: " + line.removeprefix("Unable to do partial parsing because ")
    nodes = sorted(((x["unique_id"], x["execution_time"]) for x in rr["results"]), key=lambda x: -x[1])
    by_kind: dict[str, float] = {}
    for uid, s in nodes:
        by_kind[uid.split(".")[0]] = by_kind.get(uid.split(".")[0], 0.0) + s
    return {"elapsed_s": rr.get("elapsed_time"), "command_s": command_s, "partial_parse": partial_parse,
            "by_kind_s": by_kind, "per_node_s": {uid.split(".", 2)[-1]: s for uid, s in nodes},
            "top": [{"node": uid.split(".", 2)[-1], "kind": uid.split(".")[0], "s": s} for uid, s in nodes[:12]],
            "run_results": str(found)}


def _seconds(s: float | None) -> str:
    return "—" if s is None else f"{s:.1f}"


def _empty_node_s(big: dict, top: dict) -> float | None:
    """The same node's time in the empty home's run (models and tests)."""
    return big["empty"]["dbt"]["per_node_s"].get(top["node"])


def _bound_node_s(big: dict, top: dict) -> float | None:
    """The node's compiled SQL run straight (bench/lower_bounds.py): a model's CREATE, a
    test's count."""
    bounds = big["bounds"]["models"]
    return bounds["per_model_s" if top["kind"] == "model" else "per_test_s"].get(top["node"])


def run_plain(folder: Path, tag: str = "plain") -> dict:
    out = folder / "plain.duckdb"
    r = timed([sys.executable, str(PLAIN), str(folder / "inbox"), str(out)], folder / tag, env=code_env())
    return {"wall_s": r["wall_s"], "cpu_s": r["cpu_s"], "max_rss_kb": r["max_rss_kb"], "tree_rss_kb": r["tree_rss_kb"],
            "db": str(out)}


def compare(folder: Path) -> dict:
    """The plain counts must equal the pipeline's maalgruppe_antal (marts, unsuppressed),
    row for row, and every figure the pipeline published must equal the plain count.
    (Secondary suppression withholds more cells than the plain script's primary rule.)"""
    wh, pub, plain = folder / "home" / "warehouse.duckdb", folder / "home" / "publication.duckdb", folder / "plain.duckdb"
    con = duckdb.connect()
    con.execute(f"ATTACH '{wh}' AS wh (READ_ONLY)")
    con.execute(f"ATTACH '{pub}' AS pub (READ_ONLY)")
    con.execute(f"ATTACH '{plain}' AS plain (READ_ONLY)")
    cols = "as_of_date, area_level, area_id, maalgruppe_code, persons"
    a = f"SELECT {cols} FROM wh.marts.maalgruppe_antal"
    b = f"SELECT as_of_date, area_level, area_id, maalgruppe_code, persons_unsuppressed FROM plain.maalgruppe_status"
    n_pub = con.execute(f"SELECT count(*) FROM ({a})").fetchone()[0]
    n_plain = con.execute(f"SELECT count(*) FROM ({b})").fetchone()[0]
    only_pub = con.execute(f"SELECT * FROM (({a}) EXCEPT ALL ({b})) ORDER BY ALL LIMIT 10").fetchall()
    only_plain = con.execute(f"SELECT * FROM (({b}) EXCEPT ALL ({a})) ORDER BY ALL LIMIT 10").fetchall()
    n_diff = con.execute(f"SELECT (SELECT count(*) FROM (({a}) EXCEPT ALL ({b}))) + "
                         f"(SELECT count(*) FROM (({b}) EXCEPT ALL ({a})))").fetchone()[0]
    wrong_published = con.execute("""
        SELECT count(*) FROM pub.published.maalgruppe_status p
        JOIN plain.maalgruppe_status q USING (as_of_date, area_level, area_id, maalgruppe_code)
        WHERE (NOT p.suppressed AND p.persons <> q.persons_unsuppressed)
           OR (q.suppressed AND NOT p.suppressed)""").fetchone()[0]
    summary = con.execute("""SELECT count(DISTINCT as_of_date), count(DISTINCT (area_level, area_id)),
        count(DISTINCT maalgruppe_code), count(*) FILTER (WHERE suppressed), sum(persons) FILTER (WHERE area_level = 'kommune')
        FROM pub.published.maalgruppe_status""").fetchone()
    con.close()
    if n_diff or wrong_published or n_pub != n_plain or n_pub == 0:
        lines = [f"MISMATCH at {folder.name}: marts.maalgruppe_antal has {n_pub} rows, the plain script "
                 f"{n_plain}; {n_diff} rows differ ({cols}); {wrong_published} published figures disagree."]
        lines += ["  only in the pipeline: " + repr(r) for r in only_pub]
        lines += ["  only in the plain script: " + repr(r) for r in only_plain]
        raise BenchError("\n".join(lines))
    return {"rows": n_pub, "equal": True, "month_ends": summary[0], "areas": summary[1], "codes": summary[2],
            "suppressed_rows": summary[3], "kommune_person_months": summary[4]}


def run_lower_bound(kind: str, arg: Path, folder: Path) -> dict:
    """bench/lower_bounds.py (read-csv of the inbox, or the compiled SQL of the home's models)."""
    out = folder / f"bound-{kind}.duckdb"
    r = timed([sys.executable, str(LOWER), kind, str(arg), str(out)], folder / f"bound-{kind}", env=code_env())
    res = json.loads(r["stdout"].strip().splitlines()[-1])
    res.update(wall_s=r["wall_s"], cpu_s=r["cpu_s"], max_rss_kb=r["max_rss_kb"])
    out.unlink(missing_ok=True)
    return res


def run_startup(folder: Path) -> dict:
    """What a run pays before its job starts, measured apart: the process with the command
    line parsed (`helhedsdata --help`), and the Dagster definitions imported
    (`python -c "import orchestration.definitions"`, minus a bare interpreter)."""
    out = {}
    for name, cmd in (("python_s", [sys.executable, "-c", "pass"]),
                      ("process_s", [str(HELHEDSDATA), "--help"]),
                      ("definitions_s", [sys.executable, "-c", "import orchestration.definitions"])):
        out[name] = timed(cmd, folder / f"startup-{name[:-2]}", env=pipeline_env())["wall_s"]
    out["definitions_s"] = max(0.0, out["definitions_s"] - out["python_s"])
    return out


# ------------------------------------------------------------------------------------------
# Machine, versions, report
# ------------------------------------------------------------------------------------------

def git_version() -> str:
    if os.environ.get("BENCH_CODE_VERSION"):  # e.g. when measuring an exported copy (git archive)
        return os.environ["BENCH_CODE_VERSION"]
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, timeout=10).stdout.split("\n")
        changed = sorted(line[3:] for line in dirty if line.strip())
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not sha:
        return "unknown (not a git checkout; set BENCH_CODE_VERSION)"
    return sha + (f" + uncommitted changes in {', '.join(changed)}" if changed else "")


def machine() -> dict:
    mem_kb = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
    except OSError:
        pass
    versions = {}
    for pkg in ("duckdb", "dbt-core", "dbt-duckdb", "dagster", "dagster-dbt", "pyarrow"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "-"
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu, "memory_gb": mem_kb / 1024 / 1024,
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            # which build of it: the distribution's (optimised, static) or one built from source.
            # Whether this interpreter runs from a libpython .so: Py_ENABLE_SHARED says only that
            # one was built (Debian builds one for embedding, yet links its python3 statically).
            "python_home": sys.base_prefix, "python_shared": _runs_from_libpython(),
            "versions": versions}


def _runs_from_libpython() -> bool:
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            return any("libpython" in line for line in maps)
    except OSError:  # not Linux
        return False


def _rel(path: str) -> str:
    p = Path(path)  # outside the repository: from the size's folder under --out (<OUT>)
    return str(p.relative_to(REPO)) if p.is_relative_to(REPO) else "<OUT>/" + "/".join(p.parts[-5:])


def loadavg() -> str:
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def gb(kb: float) -> str:
    return f"{kb / 1024 / 1024:.2f} GB"


def fmt_s(s: float) -> str:
    return f"{s:.1f} s" if s < 120 else f"{s:.0f} s ({s / 60:.1f} min)"


def targets(results: dict) -> list[tuple[str, str, str]]:
    r = results.get("1000000")
    if not r:
        return [("1 000 000 persons, warm home, end to end ≤ 80 s", "not measured", "—"),
                ("1 000 000 persons peak memory of the whole process tree ≤ 3 GB", "not measured", "—"),
                ("ingest ≤ 2× DuckDB's read_csv of the same files", "not measured", "—"),
                ("warm home not slower than an empty one", "not measured", "—")]
    w, e = r["warm"], r["empty"]
    peak = max(w["tree_rss_kb"], e["tree_rss_kb"])
    ingest_ratio = w["stages"]["ingest"] / r["bounds"]["read_csv"]["total_s"]
    return [
        ("1 000 000 persons, warm home, end to end ≤ 80 s", fmt_s(w["wall_s"]),
         "met" if w["wall_s"] <= TARGET_WALL_S else "NOT met"),
        ("1 000 000 persons peak memory of the whole process tree ≤ 3 GB",
         f"{gb(peak)} (sampled sum; largest single process {gb(max(w['max_rss_kb'], e['max_rss_kb']))})",
         "met" if peak <= TARGET_RSS_GB * 1024 * 1024 else "NOT met"),
        ("ingest ≤ 2× DuckDB's read_csv of the same files",
         f"{fmt_s(w['stages']['ingest'])} vs {fmt_s(r['bounds']['read_csv']['total_s'])}: {ingest_ratio:.1f}×",
         "met" if ingest_ratio <= TARGET_INGEST_RATIO else "NOT met"),
        ("warm home not slower than an empty one", f"warm {fmt_s(w['wall_s'])}, empty {fmt_s(e['wall_s'])}",
         "met" if w["wall_s"] <= e["wall_s"] * 1.05 else "NOT met"),
    ]


def _dbt_part(run: dict, part: str) -> float | None:
    d, step = run["dbt"], run["stages"]["dbt"]
    if not d or d.get("command_s") is None or d.get("elapsed_s") is None:
        return None
    return {"around": step - d["command_s"], "startup": d["command_s"] - d["elapsed_s"],
            "elapsed": d["elapsed_s"]}[part]


def _f(x: float | None) -> str:
    return "—" if x is None else fmt_s(x)


SOURCE_STEPS = ["momentum_extract", "opera_extract", "omraader__adresser", "lbf__beboerdata", "roster__deltagere",
                "plans"]


def stage_rows(r: dict) -> list[list[str]]:
    """One size: every stage of a run in an empty and in a warm home, beside its lower bound."""
    e, w, b, st = r["empty"], r["warm"], r["bounds"], r["startup"]
    rc, md = b["read_csv"], b["models"]
    rows = [["stage", "empty home", "warm home", "lower bound", "lower bound is"]]

    def add(label, f, bound=None, what=""):
        rows.append([label, f(e), f(w), bound if isinstance(bound, str) else _f(bound), what])

    add("process start (`helhedsdata --help`, measured apart)", lambda p: _f(st["process_s"]))
    add("Dagster definitions (import, measured apart)", lambda p: _f(st["definitions_s"]))
    add("before the job (start, definitions, instance; wall − job)", lambda p: _f(p["startup_s"]))
    steps = sorted({k for p in (e, w) for k in p["steps"]} - set(STAGES), key=lambda k: (
        SOURCE_STEPS.index(k) if k in SOURCE_STEPS else len(SOURCE_STEPS), k))
    ingest = [k for k in steps if not is_check(k)]
    for k in ingest:
        add(f"  source `{k}`", lambda p, k=k: _f(p["steps"].get(k)), rc["steps_s"].get(k),
            "DuckDB `read_csv` of the same files" if k in rc["steps_s"] else "")
    add("ingest (every source)", lambda p: _f(p["stages"]["ingest"]), rc["total_s"], "DuckDB `read_csv`, all files")
    add("gates (control-count, freshness, row-count checks)", lambda p: _f(p["stages"]["checks"]))
    add("dbt build step (`dbt_models`)", lambda p: _f(p["stages"]["dbt"]))
    add("  dagster-dbt around the dbt command", lambda p: _f(_dbt_part(p, "around")))
    add("  dbt start-up and parse", lambda p: _f(_dbt_part(p, "startup")))
    add("  dbt's elapsed (models, tests, seeds; 2 threads)", lambda p: _f(_dbt_part(p, "elapsed")))
    add("  dbt models (execution time summed)", lambda p: _f(p["dbt"].get("by_kind_s", {}).get("model")),
        md["models_s"] + sum(md["python_models_dbt_s"].values()),
        "compiled SQL of every model in one DuckDB connection (Python model: its dbt time)")
    add("  dbt tests (execution time summed)", lambda p: _f(p["dbt"].get("by_kind_s", {}).get("test")),
        md["tests_s"], f"compiled SQL of the {md['tests']} tests, one connection")
    add("  dbt seeds (execution time summed)", lambda p: _f(p["dbt"].get("by_kind_s", {}).get("seed")))
    add("publication", lambda p: _f(p["stages"]["publish"]))
    add("status reports (HTML per plan)", lambda p: _f(p["stages"].get("report")))
    add("Dagster's own bookkeeping (job − steps)", lambda p: _f(p["job_s"] - sum(p["steps"].values())))
    add("**end to end**", lambda p: "**" + fmt_s(p["wall_s"]) + "**")
    add("CPU time (user + sys, all processes)", lambda p: fmt_s(p["cpu_s"]))
    add("peak memory, whole process tree (summed, sampled)", lambda p: gb(p["tree_rss_kb"]))
    add("  at the peak, per process", lambda p: ", ".join(f"{n} {gb(v)}" for n, v in sorted(
        p["tree_at_peak_kb"].items(), key=lambda x: -x[1])))
    add("peak memory, largest process", lambda p: gb(p["max_rss_kb"]))
    add("warehouse + publication files before → after", lambda p: f"{gb(p['files_before_bytes'] / 1024)} → "
        f"{gb(p['files_after_bytes'] / 1024)}")
    add("archive entry (Parquet, no CPR): whole → not linked to an earlier one",
        lambda p: f"{gb(p['archive']['bytes'] / 1024)} → {gb(p['archive']['own_bytes'] / 1024)}" if p.get("archive") else "—")
    add("load average before the run (1/5/15 min)", lambda p: p.get("loadavg_before", "—"))
    return rows


def table_rows(results: dict) -> list[list[str]]:
    sizes = sorted(results, key=int)
    rows = [["", *[f"{int(s):,}".replace(",", " ") + " persons" for s in sizes]]]

    def add(label, f):
        rows.append([label, *[f(results[s]) for s in sizes]])

    for pattern in INPUT_FILES:
        name = pattern.split("/")[-1]
        add(f"rows `{name}`", lambda r, n=name: next(
            (f"{v:,}".replace(",", " ") for k, v in r["input_rows"].items() if k.endswith("/" + n)), "—"))
    add("generation (not compared)", lambda r: fmt_s(r["generate"]["seconds"]))
    add("**pipeline, empty home**", lambda r: "**" + fmt_s(r["empty"]["wall_s"]) + "**")
    add("**pipeline, warm home**", lambda r: "**" + fmt_s(r["warm"]["wall_s"]) + "**")
    add("pipeline CPU time, empty / warm", lambda r: f"{fmt_s(r['empty']['cpu_s'])} / {fmt_s(r['warm']['cpu_s'])}")
    add("peak memory, whole tree, empty / warm", lambda r: f"{gb(r['empty']['tree_rss_kb'])} / "
        f"{gb(r['warm']['tree_rss_kb'])}")
    add("ingest (warm) / DuckDB `read_csv`", lambda r: f"{r['warm']['stages']['ingest'] / r['bounds']['read_csv']['total_s']:.1f}×")
    add("dbt models (warm) / compiled SQL straight", lambda r: f"{r['warm']['dbt']['by_kind_s']['model'] / (r['bounds']['models']['models_s'] + sum(r['bounds']['models']['python_models_dbt_s'].values())):.1f}×")
    add("**plain DuckDB script** (målgruppe table only)", lambda r: "**" + fmt_s(r["plain"]["wall_s"]) + "**")
    add("plain CPU time (user + sys)", lambda r: fmt_s(r["plain"]["cpu_s"]))
    add("plain peak RSS", lambda r: gb(r["plain"]["max_rss_kb"]))
    add("ratio pipeline (warm) / plain (wall)", lambda r: f"{r['warm']['wall_s'] / r['plain']['wall_s']:.1f}×")
    add("`maalgruppe_status` rows (equal in both)", lambda r: f"{r['compare']['rows']:,}".replace(",", " "))
    return rows


def markdown_table(rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(rows[0]) + " |", "| --- |" + " ---: |" * (len(rows[0]) - 1)]
    out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(out)


def plain_table(rows: list[list[str]]) -> str:
    rows = [[c.replace("**", "").replace("`", "") for c in r] for r in rows]
    w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w[0]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(r)) for r in rows)


KEEP_MARKER = "<!-- Everything below this line is written by hand and kept when bench/run.py rewrites the file. -->"


def write_doc(results: dict, info: dict, command: str) -> None:
    kept = ""
    if DOC.exists():
        old = DOC.read_text(encoding="utf-8")
        if KEEP_MARKER in old:
            kept = old[old.index(KEEP_MARKER) + len(KEEP_MARKER):].strip("\n")
    m = info["machine"]
    v = m["versions"]
    ingest_steps = " + ".join(sorted({f"`{k}`" for r in results.values() for k in r["warm"]["steps"]
                                      if k not in STAGES and not is_check(k)}))
    lines = [
        "# Benchmarks",
        "",
        "Written by `bench/run.py` (see `bench/README.md`); do not edit by hand, run the benchmark again.",
        "",
        "What is measured: `helhedsdata run` (a full build: ingest with contracts and pseudonyms, the gates, "
        "`dbt build` with every test, publication) in an empty home (warehouse and publication files deleted) "
        "and then in a warm home (the same home again, holding the previous run's tables: every real night). "
        "Beside each stage its lower bound where one exists, measured in the same benchmark run "
        "(`bench/lower_bounds.py`): DuckDB's own `read_csv` of the same files for ingest, and the compiled SQL "
        "of every model and test of the run, straight in one DuckDB connection (no dbt, no Dagster). Also "
        "`bench/plain_duckdb.py`, one hand-written DuckDB script that reads the same CSV files and writes the "
        "same `maalgruppe_status` table (no validation, no pseudonyms, no orchestration); at every size the two "
        "tables were checked to be equal, row for row (`persons` and `suppressed` included).",
        "",
        "## Machine and command",
        "",
        f"- {m['nproc']} cores ({m['cpu'] or 'unknown CPU'}), {m['memory_gb']:.1f} GB memory, {m['os']}",
        f"- Python {m['python']} ({m.get('python_home', '?')}"
        f"{', shared libpython' if m.get('python_shared') else ''}); DuckDB {v['duckdb']}; dbt-core {v['dbt-core']}, dbt-duckdb {v['dbt-duckdb']}; "
        f"Dagster {v['dagster']}, dagster-dbt {v['dagster-dbt']}; pyarrow {v['pyarrow']}",
        f"- code: {info['code_version']}",
        f"- measured {info['measured_at']} with:",
        "",
        "```",
        command,
        "```",
        "",
        "## Results",
        "",
        markdown_table(table_rows(results)),
        "",
        *[line for size in sorted(results, key=int) for line in (
            f"### Stages at {int(size):,} persons".replace(",", " "), "", markdown_table(stage_rows(results[size])), "",
            "Checksums of the published tables after the warm run (`python bench/checksums.py "
            "<home>/publication.duckdb`):", "", "```", *results[size]["checksums"], "```", "")],
        "- Stage times are the `done <step> in X s` lines of the run: ingest = every source step "
        f"({ingest_steps}); checks = the `*_control_count_matches` checks; "
        "dbt build = `dbt_models` (`dbt build`, run in the Dagster process by dbt's `dbtRunner`, with dagster-dbt around it; dbt's own "
        "`elapsed_time` from `run_results.json` below it); publish = `publication`. The rest of the end-to-end "
        "wall time is process start-up, loading the Dagster definitions and Dagster's own bookkeeping.",
        "- Peak memory \"whole process tree\" sums the RSS of the process and all its descendants every 0.5 s "
        "(so it can miss short peaks); \"largest process\" is `Maximum resident set size` of `/usr/bin/time -v`, "
        "the peak of the largest *single* process.",
        "- dbt's models and tests are execution times summed over dbt's 2 threads (`run_results.json`); the "
        "lower bound runs them one after the other in one connection with DuckDB's 2 threads.",
        "- Generation (`helhedsdata generate`) is done once per size and reused; it is not part of the "
        "comparison.",
        "",
        "## Targets (from the issue)",
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
        *[f"| {t} | {v} | {s} |" for t, v, s in targets(results)],
        "",
    ]
    big = results[max(results, key=int)]
    d = big["warm"]["dbt"]
    if d:
        kinds = ", ".join(f"{k}s {s:.1f} s" for k, s in sorted(d["by_kind_s"].items(), key=lambda x: -x[1]))
        lines += [
            f"## Where the time goes at {int(max(results, key=int)):,} persons".replace(",", " "),
            "",
            "Pipeline steps (warm home): " + ", ".join(f"`{k}` {fmt_s(s)}" for k, s in
                                           sorted(big["warm"]["steps"].items(), key=lambda x: -x[1])) + ".",
            "",
            f"dbt nodes (`{_rel(d['run_results'])}`, execution time summed per kind: {kinds}; "
            f"with 2 threads two nodes can run at once; dbt's partial parsing {d.get('partial_parse', '?')}). "
            "Slowest nodes, beside the same compiled SQL run straight in DuckDB:",
            "",
            "| node | kind | seconds in dbt (warm) | seconds in dbt (empty) | compiled SQL straight |",
            "| --- | --- | ---: | ---: | ---: |",
            *[f"| `{t['node']}` | {t['kind']} | {t['s']:.1f} | {_seconds(_empty_node_s(big, t))} | "
              f"{_seconds(_bound_node_s(big, t))} |" for t in d["top"]],
            "",
        ]
    if any(len(r["warm"].get("all_walls_s", [])) > 1 for r in results.values()):
        lines += ["Every run end to end (the tables show the fastest of each): " + "; ".join(
            f"{int(k):,}".replace(",", " ") + ": empty " + ", ".join(f"{w:.1f}" for w in r["empty"]["all_walls_s"])
            + " s, warm " + ", ".join(f"{w:.1f}" for w in r["warm"]["all_walls_s"])
            + " s, plain " + ", ".join(f"{w:.1f}" for w in r["plain"]["all_walls_s"]) + " s"
            + ", read_csv " + ", ".join(f"{w:.1f}" for w in r["bounds"]["read_csv"].get("all_totals_s", [])) + " s"
            for k, r in sorted(results.items(), key=lambda x: int(x[0]))) + ".", ""]
    lines += [KEEP_MARKER, "", kept, ""] if kept else [KEEP_MARKER, ""]
    DOC.write_text("\n".join(lines), encoding="utf-8")


# ------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    p.add_argument("--repeat", type=int, default=1,
                   help="run the pipeline (empty, then warm home), DuckDB's read_csv of the inbox and the plain "
                        "script this many times each and report the fastest run of each")
    p.add_argument("--regenerate", action="store_true", help="generate the inboxes again even if present")
    p.add_argument("--no-doc", action="store_true", help=f"do not write {DOC.relative_to(REPO)}")
    args = p.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    # The doc names the folder as the command gave it inside the repository, and as <OUT> outside
    # it: an absolute path of one machine means nothing in a clone (tests/test_docs.py).
    shown = [a if not os.path.isabs(a) or Path(a).resolve().is_relative_to(REPO) else "<OUT>"
             for a in (argv if argv is not None else sys.argv[1:])]
    command = "python bench/run.py " + shlex.join(shown)
    info = {"machine": machine(), "code_version": git_version(),
            "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "command": command}
    results: dict[str, dict] = {}
    try:
        for size in args.sizes:
            folder = out / str(size)
            print(f"== {size} persons ({folder})", flush=True)
            gen = generate(size, args.seed, folder, args.regenerate)
            print(f"   inbox: {'reused' if gen['reused'] else 'generated'} ({gen['seconds']:.1f} s to generate)", flush=True)
            rows = input_rows(folder / "inbox")
            print("   lower bound: DuckDB read_csv of the same files ...", flush=True)
            # as often as the pipeline runs, the fastest kept: a bound from one lucky or unlucky
            # moment of the machine would move the ingest ratio by itself
            bounds = [run_lower_bound("read-csv", folder / "inbox", folder) for _ in range(args.repeat)]
            rc = min(bounds, key=lambda b: b["total_s"])
            rc["all_totals_s"] = [b["total_s"] for b in bounds]  # every run listed, as for the pipeline
            print(f"   read_csv {rc['total_s']:.1f} s"
                  + ("" if len(bounds) == 1 else f" (fastest; runs {', '.join(f'{t:.1f}' for t in rc['all_totals_s'])} s)"),
                  flush=True)
            startup = run_startup(folder)
            runs: dict[str, dict | None] = {"empty": None, "warm": None}
            plain = None
            for i in range(args.repeat):
                # an empty home, then the same home again (warm): the order of every real night
                for kind in ("empty", "warm"):
                    load = loadavg()
                    print(f"   pipeline, {kind} home (run {i + 1} of {args.repeat}, load average {load}) ...", flush=True)
                    r = run_pipeline(folder, f"pipeline-{kind}" + ("" if args.repeat == 1 else f"-{i + 1}"),
                                     warm=kind == "warm")
                    r["loadavg_before"] = load
                    print(f"   pipeline {kind} {r['wall_s']:.1f} s, cpu {r['cpu_s']:.1f} s, tree peak "
                          f"{gb(r['tree_rss_kb'])} ({', '.join(f'{k} {v:.1f} s' for k, v in r['stages'].items())})",
                          flush=True)
                    best = runs[kind]
                    walls = (best or {}).get("all_walls_s", []) + [r["wall_s"]]
                    runs[kind] = r if best is None or r["wall_s"] < best["wall_s"] else best
                    runs[kind]["all_walls_s"] = walls
            print("   lower bound: the compiled SQL of every model and test, straight ...", flush=True)
            md = run_lower_bound("models", folder / "home", folder)
            print(f"   models {md['models_s']:.1f} s, tests {md['tests_s']:.1f} s", flush=True)
            for i in range(args.repeat):
                load = loadavg()
                print(f"   plain DuckDB script (run {i + 1} of {args.repeat}, load average {load}) ...", flush=True)
                r = run_plain(folder, "plain" if args.repeat == 1 else f"plain-{i + 1}")
                r["loadavg_before"] = load
                print(f"   plain {r['wall_s']:.1f} s, peak {gb(r['max_rss_kb'])}", flush=True)
                walls = (plain or {}).get("all_walls_s", []) + [r["wall_s"]]
                plain = r if plain is None or r["wall_s"] < plain["wall_s"] else plain
                plain["all_walls_s"] = walls
            cmp_ = compare(folder)
            sums = [f"{t}  rows={n}  columns={k}  schema={sh}  hash={h}"
                    for t, n, k, sh, h in checksums(str(folder / "home" / "publication.duckdb"))]
            print(f"   equal: {cmp_['rows']} rows of maalgruppe_status", flush=True)
            results[str(size)] = {"size": size, "generate": gen, "input_rows": rows, "empty": runs["empty"],
                                  "warm": runs["warm"], "bounds": {"read_csv": rc, "models": md},
                                  "startup": startup, "plain": plain, "compare": cmp_, "checksums": sums}
            print()
            print(plain_table(stage_rows(results[str(size)])), flush=True)
            print("\n   checksums of the published tables (bench/checksums.py):\n   " + "\n   ".join(sums))
            print()
            (out / "results.json").write_text(json.dumps({"info": info, "results": results}, indent=2))
    except BenchError as e:
        print(f"\nBENCHMARK FAILED: {e}", file=sys.stderr)
        return 1
    print()
    print(plain_table(table_rows(results)))
    print()
    for t, v, s in targets(results):
        print(f"{t}: {v} -> {s}")
    if not args.no_doc:
        write_doc(results, info, command)
        print(f"\nwritten {DOC.relative_to(REPO)} and {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
