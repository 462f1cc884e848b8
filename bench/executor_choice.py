"""Which Dagster executor for the nightly job? Times the same job, on the same inbox, with
the in-process executor (what helhedsdata uses) and with Dagster's default multiprocess
executor (one process per step, max_concurrent 1: DuckDB has one writer).

    python bench/executor_choice.py --inbox bench/out/10000/inbox [--runs 2]

Prints the wall time of each run. docs/benchmarks.md quotes the result."""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import dagster as dg

from warehouse.config import Settings


def multiprocess_job():
    from orchestration.definitions import defs

    # The same assets, checks and resources; only the executor differs.
    job = defs.resolve_job_def("nightly")
    return job.with_executor_def(dg.multiprocess_executor.configured({"max_concurrent": 1}))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--inbox", type=Path, required=True)
    p.add_argument("--runs", type=int, default=2)
    args = p.parse_args()
    os.environ.setdefault("HELHEDSDATA_PSEUDONYM_KEY", "bench-key-not-secret-0123456789abcdef")
    for kind in ("in_process", "multiprocess"):
        for n in range(args.runs):
            home = Path(tempfile.mkdtemp(prefix=f"exec-{kind}-"))
            s = Settings(home, args.inbox.resolve())
            s.export_env()
            from cli.main import ensure_dagster_home, prepare_dbt

            ensure_dagster_home(s)
            prepare_dbt(s)
            from orchestration.definitions import defs

            with dg.DagsterInstance.get() as instance:
                t0 = time.perf_counter()
                if kind == "in_process":
                    ok = defs.resolve_job_def("nightly").execute_in_process(instance=instance, raise_on_error=False).success
                else:
                    recon = dg.reconstructable(multiprocess_job)
                    ok = dg.execute_job(recon, instance=instance).success
                print(f"{kind:>12} run {n + 1}: {time.perf_counter() - t0:6.1f} s  success={ok}", flush=True)
            shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
