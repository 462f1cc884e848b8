"""Accepted code lists, read from the dbt seeds: one place per fact."""
from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"


@lru_cache(maxsize=None)
def seed_values(seed: str, column: str) -> tuple[str, ...]:
    """The values of one seed column. An empty cell is no code: the row's fact has no
    value in that system (Mentorstøtte has no Opera TILBUD_ART)."""
    with open(SEEDS / f"{seed}.csv", encoding="utf-8", newline="") as fh:
        return tuple(row[column] for row in csv.DictReader(fh) if row[column] != "")
