"""The nightly job with every check left out (no GX suite, no dbt test, no control count,
no gate): bench/gating.py times it against `helhedsdata run` to measure what the gates
cost. Never for real data: what it publishes was not audited.

    python bench/ungated_run.py HOME INBOX
"""
import sys

from cli.main import run_pipeline
from warehouse.config import Settings

if __name__ == "__main__":
    home, inbox = sys.argv[1:3]
    sys.exit(0 if run_pipeline(Settings.from_env(home, inbox), quiet=True, with_checks=False) else 1)
