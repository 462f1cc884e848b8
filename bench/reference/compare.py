"""generate → mess → `helhedsdata run` → reference → compare, cell by cell (issue 12).

    .venv/bin/python bench/reference/compare.py --persons 400 --seed 3 --out /tmp/ref3
    .venv/bin/python bench/reference/compare.py --persons 400 --seed 3 --out /tmp/ref3t --tidy
    .venv/bin/python bench/reference/compare.py --out /tmp/ref3 --skip-run   # compare again
    ... --helhedsdata <other worktree>/.venv/bin/helhedsdata   # the pipeline under test

Prints per indicator family the cells compared, the cells differing and the first differences
(area, period, variant, pipeline value, reference value). No CPR number is printed: the
comparison is of aggregates only. Exit status 1 when any cell differs.
"""
from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import reference  # noqa: E402

FAMILIES = ["maalgruppe_antal", "ledige_omfattet", "aktiveringsgrad", "fuldtidspersoner",
            "langtidsledige", "tilgang", "afgang"]
LEVELS = ["afdeling", "boligomraade", "kommune"]
TEST_KEY = "helhedsdata-reference-bench-key-0001"


def _default_cli() -> str:
    exe = Path(sys.executable).with_name("helhedsdata")
    return str(exe) if exe.exists() else "helhedsdata"


def pipeline_cells(home: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    fams = ", ".join(f"'{f}'" for f in FAMILIES)
    lvls = ", ".join(f"'{l}'" for l in LEVELS)
    rows = con.sql(f"""
        select indicator_id, variant, area_level, area_id, period_type,
               strftime(period_start, '%Y-%m-%d'), value
        from marts.indicator_results
        where indicator_id in ({fams}) and area_level in ({lvls})
    """).fetchall()
    con.close()
    # only the variants the reference computes (not the plan variants of ind_plan_variants)
    variants = {"maalgruppe_antal": set(reference.GROUPS), "fuldtidspersoner": set(reference.GROUPS),
                "tilgang": set(reference.GROUPS), "ledige_omfattet": {""}, "langtidsledige": {""},
                "aktiveringsgrad": {"ultimo", "fuldtid"},
                "afgang": set(reference.GROUPS) | {f"{g}|{r}" for g in reference.GROUPS
                                                    for r in reference.REASONS}}
    return {tuple(r[:6]): r[6] for r in rows if r[1] in variants[r[0]]}


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def compare(pipe: dict, ref: dict, show: int = 8, years: set | None = None) -> int:
    by_fam = defaultdict(lambda: [0, 0, []])
    keys = set(pipe) | set(ref)
    for k in sorted(keys, key=lambda k: (k[0], k[5], k[2], str(k[3]), k[4], k[1])):
        if years and k[5][:4] not in years:
            continue
        f = by_fam[k[0]]
        f[0] += 1
        pv = pipe.get(k, "missing")
        rv = ref.get(k, "missing")
        if pv == "missing" or rv == "missing" or not _same(pv, rv):
            f[1] += 1
            f[2].append((k, pv, rv))
    total_diff = 0
    print(f"{'family':<18} {'cells':>8} {'differ':>8} {'%':>6} {'max |diff|':>11}")
    for fam in FAMILIES:
        n, d, ex = by_fam[fam]
        gaps = [abs(p - r) for _, p, r in ex if isinstance(p, float) and isinstance(r, float)]
        mx = f"{max(gaps):.4g}" if gaps else "-"
        print(f"{fam:<18} {n:>8} {d:>8} {100 * d / n if n else 0:>6.1f} {mx:>11}")
        total_diff += d
    for fam in FAMILIES:
        n, d, ex = by_fam[fam]
        if not d:
            continue
        print(f"\n{fam}: {d} of {n} cells differ; first {min(show, d)}:")
        for (ind, var, lvl, aid, pt, ps), pv, rv in ex[:show]:
            print(f"  {lvl}={aid} {pt} {ps} variant={var!r}: pipeline={_fmt(pv)} reference={_fmt(rv)}")
        per_year = defaultdict(int)
        for k, _, _ in ex:
            per_year[k[5][:4]] += 1
        print("  differing cells per year: " + ", ".join(f"{y}: {c}" for y, c in sorted(per_year.items())))
    return total_diff


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=400)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--extract-date", help="YYYY-MM-DD: the generated Momentum extract's date (default: the generator's, 2021-03-01); a mid-month date exercises the running periods")
    ap.add_argument("--out", type=Path, required=True, help="work folder (inbox, home)")
    ap.add_argument("--tidy", action="store_true", help="leave the generated inbox as it is")
    ap.add_argument("--mess-seed", type=int, default=None, help="default: --seed")
    ap.add_argument("--fraction", type=float, default=0.25, help="share of persons messed")
    ap.add_argument("--no-overlaps", action="store_true", help="mess: no Opera/Momentum overlaps")
    ap.add_argument("--no-planned", action="store_true", help="mess: no planned end dates")
    ap.add_argument("--no-whitespace", action="store_true", help="mess: no odd white space")
    ap.add_argument("--helhedsdata", default=_default_cli(), help="the pipeline CLI under test")
    ap.add_argument("--generator", default=None,
                    help="the CLI whose `generate` writes the inbox (default: --helhedsdata); fix it "
                         "to compare two pipelines on the same inbox when their generators differ")
    ap.add_argument("--skip-run", action="store_true", help="reuse OUT/inbox and OUT/home")
    ap.add_argument("--show", type=int, default=8)
    ap.add_argument("--precedence", choices=["per-day", "before-first"], default="per-day",
                    help="reference rule for Opera vs Momentum; before-first = the rule before issue 12")
    ap.add_argument("--fold", choices=["unicode", "ascii"], default="unicode",
                    help="reference white-space folding; ascii = RE2's \\s, the rule before issue 12")
    ap.add_argument("--emulate-main", action="store_true",
                    help="the reference with the rules before issue 12 (--precedence before-first --fold ascii), "
                         "to check that the differences are explained by exactly those rules")
    ap.add_argument("--years", default="", help="only these years, e.g. 2019,2020")
    a = ap.parse_args(argv)

    out = a.out
    inbox, home, ref_inbox = out / "inbox", out / "home", out / "inbox.reference"
    env = dict(os.environ)
    env.setdefault("HELHEDSDATA_PSEUDONYM_KEY", TEST_KEY)
    if not a.skip_run:
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        subprocess.run([a.generator or a.helhedsdata, "generate", "--out", str(inbox), "--persons", str(a.persons),
                        "--seed", str(a.seed), *(["--extract-date", a.extract_date] if a.extract_date else [])],
                       check=True, env=env, stdout=subprocess.DEVNULL)
        if not a.tidy:
            import mess

            stats = mess.mess_inbox(inbox, seed=a.seed if a.mess_seed is None else a.mess_seed,
                                    fraction=a.fraction, overlaps=not a.no_overlaps,
                                    planned=not a.no_planned, whitespace=not a.no_whitespace)
            print("mess: " + ", ".join(f"{k} {v}" for k, v in stats.items()))
        # the pipeline moves a rejected extract out of the inbox: the reference reads a copy
        shutil.copytree(inbox, ref_inbox)
        print(f"running {a.helhedsdata} run ...", flush=True)
        with open(out / "run.log", "w") as log:
            rc = subprocess.run([a.helhedsdata, "run", "--inbox", str(inbox), "--home", str(home), "--quiet"],
                                env=env, stdout=log, stderr=subprocess.STDOUT).returncode
        if rc != 0:
            print(f"pipeline run failed (exit {rc}); see {out / 'run.log'}")
    log = (out / "run.log").read_text() if (out / "run.log").exists() else ""
    rejected = [l.strip() for l in log.splitlines() if "Rejected" in l or ": rule " in l]
    for l in rejected:
        print("  " + l)
    try:
        pipe = pipeline_cells(home)
    except Exception as exc:  # no marts: nothing was built
        print(f"REJECTED: the pipeline built no indicator_results ({type(exc).__name__})")
        return 2
    if a.emulate_main:
        a.precedence, a.fold = "before-first", "ascii"
    print(f"reference: precedence {a.precedence}, white space {a.fold}")
    ref = reference.compute(ref_inbox if ref_inbox.exists() else inbox, a.precedence, a.fold)
    ref = {k: v for k, v in ref.items() if k[0] in FAMILIES and k[2] in LEVELS}
    years = set(a.years.split(",")) if a.years else None
    n = compare(pipe, ref, show=a.show, years=years)
    print(f"\n{'AGREE' if n == 0 else 'DIFFER'}: {n} differing cells")
    return 0 if n == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
