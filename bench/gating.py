"""What the gates cost: the nightly job with every check (GX suites, dbt tests, control
counts, freshness, row-count warnings, the publication gate) against the same job with
all of them left out (bench/ungated_run.py), on the same synthetic inbox, each from an
empty warehouse, in turn (gated, ungated, gated, ...), so a drift of the machine's speed
hits both. Issue 5's target: gating adds at most 25 % at 1 000 000 persons.

    python bench/gating.py [--sizes 1000000] [--repeat 2] [--out bench/out]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as b  # noqa: E402  (bench/run.py: generation and the timed runner)

UNGATED = Path(__file__).with_name("ungated_run.py")


def clean(home: Path) -> None:
    for name in ("warehouse.duckdb", "warehouse.duckdb.wal", "publication.duckdb", "publication.duckdb.wal"):
        (home / name).unlink(missing_ok=True)


def one(folder: Path, gated: bool, i: int) -> dict:
    home, inbox = folder / ("home_gated" if gated else "home_ungated"), folder / "inbox"
    clean(home)
    cmd = ([str(b.HELHEDSDATA), "run", "--home", str(home), "--inbox", str(inbox), "--quiet"] if gated
           else [sys.executable, str(UNGATED), str(home), str(inbox)])
    r = b.timed(cmd, folder / f"gating-{'gated' if gated else 'ungated'}-{i}", env=b.pipeline_env())
    return {"wall_s": r["wall_s"], "cpu_s": r["cpu_s"], "max_rss_kb": r["max_rss_kb"]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--out", type=Path, default=b.REPO / "bench" / "out")
    args = p.parse_args(argv)
    results = {}
    for size in args.sizes:
        folder = args.out / str(size)
        b.generate(size, args.seed, folder, False)
        # one untimed run each first: the home's dbt target (partial parse) exists in both
        runs = {"gated": [], "ungated": []}
        for gated in (True, False):
            one(folder, gated, 0)
        for i in range(1, args.repeat + 1):
            for gated in (True, False):
                runs["gated" if gated else "ungated"].append(one(folder, gated, i))
        g = statistics.median(r["wall_s"] for r in runs["gated"])
        u = statistics.median(r["wall_s"] for r in runs["ungated"])
        results[size] = {"runs": runs, "gated_median_s": g, "ungated_median_s": u,
                         "gating_adds_pct": 100 * (g - u) / u, "code_version": b.git_version(),
                         "machine": b.machine()}
        print(f"{size:>9} persons: gated {g:.1f} s, ungated {u:.1f} s (median of {args.repeat}): "
              f"gating adds {100 * (g - u) / u:.1f} %  [runs: gated "
              + ", ".join(f"{r['wall_s']:.1f}" for r in runs["gated"]) + "; ungated "
              + ", ".join(f"{r['wall_s']:.1f}" for r in runs["ungated"]) + "]")
        (folder / "gating.json").write_text(json.dumps(results[size], indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
