"""The nightly run when only Momentum changed: `helhedsdata run --only-changed` (what the
sensor and the schedule ask for: Momentum and everything downstream; LBF, rosters, the
address register, Opera and the plans are not re-read) against a full rebuild
(`helhedsdata run`) of the same home state and the same new extract. Issue 6, item 1.

For each size: one full run makes the home (untimed); the home is copied; then, per
repetition, a new Momentum extract is delivered (the newest one again, under the next
day's date, control file included) and the copy A runs --only-changed while copy B runs
in full; in turn, so a drift of the machine's speed hits both.

    python bench/incremental.py [--sizes 100000 1000000] [--repeat 1] [--out bench/out]
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as b  # noqa: E402  (bench/run.py: generation and the timed runner)


def deliver_next_extract(inbox: Path) -> str:
    folders = sorted(p for p in (inbox / "momentum").iterdir() if p.is_dir() and re.fullmatch(r"\d{8}", p.name))
    newest = folders[-1]
    name = (datetime.strptime(newest.name, "%Y%m%d") + timedelta(days=1)).strftime("%Y%m%d")
    shutil.copytree(newest, inbox / "momentum" / name)
    return name


def timed_run(folder: Path, home: Path, only_changed: bool, tag: str) -> dict:
    cmd = [str(b.HELHEDSDATA), "run", "--home", str(home), "--inbox", str(folder / "inbox"), "--quiet"]
    r = b.timed(cmd + (["--only-changed"] if only_changed else []), folder / tag, env=b.pipeline_env())
    steps = {m.group(1): float(m.group(2)) for m in re.finditer(r"^\s*done (\S+) in ([0-9.]+) s$", r["stdout"], re.M)}
    if not re.search(r"^Run \w+ published in", r["stdout"], re.M):
        raise b.BenchError(f"the run did not publish (see {r['stdout_log']})")
    return {"wall_s": r["wall_s"], "cpu_s": r["cpu_s"], "max_rss_kb": r["max_rss_kb"], "steps": steps}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--out", type=Path, default=b.REPO / "bench" / "out")
    args = p.parse_args(argv)
    for size in args.sizes:
        folder = args.out / str(size)
        b.generate(size, args.seed, folder, False)
        work = folder / "incremental"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        shutil.copytree(folder / "inbox", work / "inbox")  # extracts are added: never to the shared inbox
        home_a, home_b = work / "home_only_changed", work / "home_full"
        timed_run(work, home_a, False, "incremental-setup")
        shutil.copytree(home_a, home_b)
        runs = {"only_changed": [], "full": []}
        for i in range(1, args.repeat + 1):
            extract = deliver_next_extract(work / "inbox")
            runs["only_changed"].append({"extract": extract, **timed_run(work, home_a, True, f"incremental-{i}")})
            runs["full"].append({"extract": extract, **timed_run(work, home_b, False, f"full-{i}")})
        inc = statistics.median(r["wall_s"] for r in runs["only_changed"])
        full = statistics.median(r["wall_s"] for r in runs["full"])
        skipped = sorted(set(runs["full"][0]["steps"]) - set(runs["only_changed"][0]["steps"]))
        out = {"runs": runs, "only_changed_median_s": inc, "full_median_s": full, "steps_skipped": skipped,
               "code_version": b.git_version(), "machine": b.machine()}
        (folder / "incremental.json").write_text(json.dumps(out, indent=2, default=str))
        print(f"{size:>9} persons: only Momentum changed {inc:.1f} s vs full rebuild {full:.1f} s "
              f"(median of {args.repeat}; {100 * (full - inc) / full:.0f} % less); steps not run: {', '.join(skipped)}")
        shutil.rmtree(work / "inbox")  # a copy of the deliveries; the homes stay for a look
    return 0


if __name__ == "__main__":
    sys.exit(main())
