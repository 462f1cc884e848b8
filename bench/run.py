"""Benchmark: the whole pipeline against a plain DuckDB script, at growing sizes.

    python bench/run.py [--sizes 10000 100000 1000000] [--seed 1] [--out bench/out]

Per size: generate a synthetic inbox once (reused afterwards; its time is reported but is
not part of the comparison), run `helhedsdata run` as a full build (warehouse and
publication deleted first), run bench/plain_duckdb.py on the same inbox, check that both
give the same `maalgruppe_status` table (stops with an error otherwise), and write
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
STAGES = {"dbt_models": "dbt", "publication": "publish"}
REQUIRED_STEPS = ["momentum_extract", "dbt_models", "publication"]
CHECK_SUFFIX = "_control_count_matches"
# The input files the comparison reads, in the order of the report.
INPUT_FILES = ["momentum/*/borger_adresse.csv", "momentum/*/maalgruppe.csv", "momentum/*/tilbud.csv",
               "momentum/*/samtale.csv", "omraader/adresser.csv"]
TARGET_WALL_S = 600
TARGET_RSS_GB = 8
TARGET_RATIO = 2.0


class BenchError(Exception):
    pass


# ------------------------------------------------------------------------------------------
# Measuring one command
# ------------------------------------------------------------------------------------------

def _tree_rss_kb(root: int) -> int:
    """Sum of VmRSS over `root` and all its descendants (read from /proc)."""
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
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, ValueError, IndexError):
            pass
    return total


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process tree every `interval` seconds."""

    def __init__(self, pid: int, interval: float = 0.5):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak_kb = max(self.peak_kb, _tree_rss_kb(self.pid))
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
            "stdout": stdout, "stdout_log": str(out_path), "stderr_log": str(err_path)}


# ------------------------------------------------------------------------------------------
# Steps
# ------------------------------------------------------------------------------------------

def generator_hash() -> str:
    """An inbox is reused only when made by the same generator source."""
    import hashlib

    return hashlib.sha256((REPO / "helhedsdata" / "synth.py").read_bytes()).hexdigest()[:16]


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


def run_pipeline(folder: Path, tag: str = "pipeline") -> dict:
    home, inbox = folder / "home", folder / "inbox"
    for name in ("warehouse.duckdb", "warehouse.duckdb.wal", "publication.duckdb", "publication.duckdb.wal"):
        (home / name).unlink(missing_ok=True)
    r = timed([str(HELHEDSDATA), "run", "--home", str(home), "--inbox", str(inbox), "--quiet"],
              folder / tag, env=pipeline_env())
    steps = {m.group(1): float(m.group(2))
             for m in re.finditer(r"^\s*done (\S+) in ([0-9.]+) s$", r["stdout"], re.M)}
    stages = {"ingest": 0.0, "checks": 0.0, "dbt": 0.0, "publish": 0.0}
    for step, s in steps.items():
        if step.endswith(CHECK_SUFFIX) or "_check" in step:
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
            "steps": steps, "stages": stages, "job_s": in_job,
            "startup_s": r["wall_s"] - in_job, "run_id": run_id, "dbt": dbt_timings(home),
            "log": r["stdout_log"]}


def dbt_timings(home: Path) -> dict:
    """Per-node timings from the home's dbt target folder (reused run after run, so the
    newest run_results.json and the last command in dbt.log are this run's)."""
    found = home / "dbt" / "target" / "run_results.json"
    if not found.exists():
        return {}
    rr = json.loads(found.read_text())
    command_s, partial_parse = None, "used"
    log = found.with_name("dbt.log")
    if log.exists():
        for line in log.read_text(errors="replace").splitlines():
            if '"MainReportVersion"' in line:  # a new dbt command: forget the previous one's lines
                command_s, partial_parse = None, "used"
            if '"CommandCompleted"' in line:
                command_s = json.loads(line)["data"].get("elapsed")
            elif '"UnableToPartialParse"' in line:
                partial_parse = "not used: " + json.loads(line)["data"].get("reason", "?")
    nodes = sorted(((x["unique_id"], x["execution_time"]) for x in rr["results"]), key=lambda x: -x[1])
    by_kind: dict[str, float] = {}
    for uid, s in nodes:
        by_kind[uid.split(".")[0]] = by_kind.get(uid.split(".")[0], 0.0) + s
    return {"elapsed_s": rr.get("elapsed_time"), "command_s": command_s, "partial_parse": partial_parse,
            "by_kind_s": by_kind,
            "top": [{"node": uid.split(".", 2)[-1], "kind": uid.split(".")[0], "s": s} for uid, s in nodes[:12]],
            "run_results": str(found[-1])}


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
            "versions": versions}


def _rel(path: str) -> str:
    p = Path(path)
    return str(p.relative_to(REPO)) if p.is_relative_to(REPO) else str(p)


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
        return [("1 000 000 persons end to end < 10 min", "not measured", "—"),
                ("1 000 000 persons peak memory < 8 GB", "not measured", "—"),
                ("1 000 000 persons ≤ 2× the plain script", "not measured", "—")]
    p = r["pipeline"]
    ratio = p["wall_s"] / r["plain"]["wall_s"]
    peak = max(p["max_rss_kb"], p["tree_rss_kb"])
    return [
        ("1 000 000 persons end to end < 10 min", fmt_s(p["wall_s"]), "met" if p["wall_s"] < TARGET_WALL_S else "NOT met"),
        ("1 000 000 persons peak memory < 8 GB",
         f"{gb(p['max_rss_kb'])} largest process, {gb(p['tree_rss_kb'])} whole tree (sampled)",
         "met" if peak < TARGET_RSS_GB * 1024 * 1024 else "NOT met"),
        ("1 000 000 persons ≤ 2× the plain script", f"{ratio:.1f}×", "met" if ratio <= TARGET_RATIO else "NOT met"),
    ]


def _dbt_split(r: dict, part: str) -> str:
    d, step = r["pipeline"]["dbt"], r["pipeline"]["stages"]["dbt"]
    if not d or d.get("command_s") is None or d.get("elapsed_s") is None:
        return "—"
    return fmt_s({"around": step - d["command_s"], "startup": d["command_s"] - d["elapsed_s"],
                  "elapsed": d["elapsed_s"]}[part])


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
    add("pipeline: ingest", lambda r: fmt_s(r["pipeline"]["stages"]["ingest"]))
    add("pipeline: checks (control counts)", lambda r: fmt_s(r["pipeline"]["stages"]["checks"]))
    add("pipeline: dbt build", lambda r: fmt_s(r["pipeline"]["stages"]["dbt"]))
    add("  dagster-dbt around the dbt command", lambda r: _dbt_split(r, "around"))
    add("  dbt start-up and parse", lambda r: _dbt_split(r, "startup"))
    add("  dbt models and tests (dbt's elapsed)", lambda r: _dbt_split(r, "elapsed"))
    add("pipeline: publish", lambda r: fmt_s(r["pipeline"]["stages"]["publish"]))
    add("pipeline: start-up and Dagster (rest)", lambda r: fmt_s(
        r["pipeline"]["wall_s"] - sum(r["pipeline"]["stages"].values())))
    add("**pipeline end to end**", lambda r: "**" + fmt_s(r["pipeline"]["wall_s"]) + "**")
    add("pipeline CPU time (user + sys, all processes)", lambda r: fmt_s(r["pipeline"]["cpu_s"]))
    add("pipeline peak RSS, largest process", lambda r: gb(r["pipeline"]["max_rss_kb"]))
    add("pipeline peak RSS, whole tree (sampled)", lambda r: gb(r["pipeline"]["tree_rss_kb"]))
    add("**plain DuckDB script**", lambda r: "**" + fmt_s(r["plain"]["wall_s"]) + "**")
    add("plain CPU time (user + sys)", lambda r: fmt_s(r["plain"]["cpu_s"]))
    add("plain peak RSS", lambda r: gb(r["plain"]["max_rss_kb"]))
    add("load average before the runs (1/5/15 min)", lambda r: r["pipeline"].get("loadavg_before", "—"))
    add("**ratio pipeline / plain (wall)**", lambda r: f"**{r['pipeline']['wall_s'] / r['plain']['wall_s']:.1f}×**")
    add("ratio of CPU times", lambda r: f"{r['pipeline']['cpu_s'] / r['plain']['cpu_s']:.1f}×")
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
    ingest_steps = " + ".join(sorted({f"`{k}`" for r in results.values() for k in r["pipeline"]["steps"]
                                      if k not in STAGES and not k.endswith(CHECK_SUFFIX)}))
    lines = [
        "# Benchmarks",
        "",
        "Written by `bench/run.py` (see `bench/README.md`); do not edit by hand, run the benchmark again.",
        "",
        "What is compared: `helhedsdata run` (a full build: ingest with contracts and pseudonyms, control-count "
        "checks, `dbt build` with every test, publication) against `bench/plain_duckdb.py`, one hand-written "
        "DuckDB script that reads the same CSV files and writes the same `maalgruppe_status` table (no "
        "validation, no pseudonyms, no orchestration): the lower bound. At every size the two tables were "
        "checked to be equal, row for row (`persons` and `suppressed` included).",
        "",
        "## Machine and command",
        "",
        f"- {m['nproc']} cores ({m['cpu'] or 'unknown CPU'}), {m['memory_gb']:.1f} GB memory, {m['os']}",
        f"- Python {m['python']}; DuckDB {v['duckdb']}; dbt-core {v['dbt-core']}, dbt-duckdb {v['dbt-duckdb']}; "
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
        "- Stage times are the `done <step> in X s` lines of the run: ingest = every source step "
        f"({ingest_steps}); checks = the `*_control_count_matches` checks; "
        "dbt build = `dbt_models` (the `dbt build` subprocess with dagster-dbt around it; dbt's own "
        "`elapsed_time` from `run_results.json` below it); publish = `publication`. The rest of the end-to-end "
        "wall time is process start-up, loading the Dagster definitions and Dagster's own bookkeeping.",
        "- Peak RSS \"largest process\" is `Maximum resident set size` of `/usr/bin/time -v`: the peak of the "
        "largest *single* process of the tree (the `helhedsdata` process, or the `dbt` subprocess that "
        "dagster-dbt starts), not the sum of processes alive at the same time. \"Whole tree (sampled)\" sums "
        "the RSS of the process and all its descendants every 0.5 s, so it can miss short peaks.",
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
    d = big["pipeline"]["dbt"]
    if d:
        kinds = ", ".join(f"{k}s {s:.1f} s" for k, s in sorted(d["by_kind_s"].items(), key=lambda x: -x[1]))
        lines += [
            f"## Where the time goes at {int(max(results, key=int)):,} persons".replace(",", " "),
            "",
            "Pipeline steps: " + ", ".join(f"`{k}` {fmt_s(s)}" for k, s in
                                           sorted(big["pipeline"]["steps"].items(), key=lambda x: -x[1])) + ".",
            "",
            f"dbt nodes (`{_rel(d['run_results'])}`, execution time summed per kind: {kinds}; "
            f"with 2 threads two nodes can run at once; dbt's partial parsing {d.get('partial_parse', '?')}). "
            "Slowest nodes:",
            "",
            "| node | kind | seconds |",
            "| --- | --- | ---: |",
            *[f"| `{t['node']}` | {t['kind']} | {t['s']:.1f} |" for t in d["top"]],
            "",
        ]
    if any(len(r["pipeline"].get("all_walls_s", [])) > 1 for r in results.values()):
        lines += ["Every run end to end (the table shows the fastest): " + "; ".join(
            f"{int(k):,}".replace(",", " ") + ": pipeline " + ", ".join(f"{w:.1f}" for w in r["pipeline"]["all_walls_s"])
            + " s, plain " + ", ".join(f"{w:.1f}" for w in r["plain"]["all_walls_s"]) + " s"
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
                   help="run the pipeline and the plain script this many times each and report the fastest run")
    p.add_argument("--regenerate", action="store_true", help="generate the inboxes again even if present")
    p.add_argument("--no-doc", action="store_true", help=f"do not write {DOC.relative_to(REPO)}")
    args = p.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    command = "python bench/run.py " + shlex.join(argv if argv is not None else sys.argv[1:])
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
            pipe, plain = None, None
            for i in range(args.repeat):
                load = loadavg()
                print(f"   pipeline (run {i + 1} of {args.repeat}, load average {load}) ...", flush=True)
                r = run_pipeline(folder, "pipeline" if args.repeat == 1 else f"pipeline-{i + 1}")
                r["loadavg_before"] = load
                print(f"   pipeline {r['wall_s']:.1f} s, peak {gb(r['max_rss_kb'])} "
                      f"({', '.join(f'{k} {v:.1f} s' for k, v in r['stages'].items())})", flush=True)
                walls = (pipe or {}).get("all_walls_s", []) + [r["wall_s"]]
                pipe = r if pipe is None or r["wall_s"] < pipe["wall_s"] else pipe
                pipe["all_walls_s"] = walls
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
            print(f"   equal: {cmp_['rows']} rows of maalgruppe_status", flush=True)
            results[str(size)] = {"size": size, "generate": gen, "input_rows": rows, "pipeline": pipe,
                                  "plain": plain, "compare": cmp_}
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
