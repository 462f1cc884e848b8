"""The size of one archive entry (warehouse/history.py) and of a year of them under the default
retention (warehouse/retention.py), from a home folder that a run has filled.

    .venv/bin/python bench/archive_size.py <home> [<home> ...]

Writes the entry the way the publication step does (`archive_publication`) into a temporary
home beside a read-only link to the warehouse, and prints per table its rows and bytes, the
entry's total, the time it took, and two year figures: after one year of nightly runs the
retention keeps the last 35 daily entries plus the 11 earlier month-end entries (46 entries);
after five years, 35 + 59 = 94. A Momentum extract is a full snapshot and changes every
night, so each entry stores its Momentum tables whole; Opera, the register, LBF, rosters and
plans are hard-linked to the previous entry while unchanged (assumed here: unchanged all year).
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from warehouse.config import Settings  # noqa: E402
from warehouse.history import archive_publication  # noqa: E402
from warehouse.retention import DEFAULTS, size_text  # noqa: E402

ONE_YEAR = DEFAULTS["daily_days"] + 11
FIVE_YEARS = DEFAULTS["daily_days"] + 12 * DEFAULTS["month_end_years"] - 1


def measure(home: Path) -> None:
    with tempfile.TemporaryDirectory(dir=home.parent) as tmp:
        t = Path(tmp)
        (t / "warehouse.duckdb").symlink_to(home / "warehouse.duckdb")
        settings = Settings(t, t / "inbox")
        t0 = time.perf_counter()
        entry = archive_publication(settings, "bench", "bench", "bench")
        seconds = time.perf_counter() - t0
        tables = sorted((entry / "tables").glob("*.parquet"))
        sizes = {p.stem: p.stat().st_size for p in tables}
        total = sum(p.stat().st_size for p in entry.rglob("*") if p.is_file())
        daily = sum(v for k, v in sizes.items() if k.startswith("momentum__"))
        print(f"\n{home}: one entry {size_text(total)} in {seconds:.1f} s")
        for name, size in sizes.items():
            print(f"  {name:32} {size_text(size):>10}")
        print(f"  changes every night (Momentum): {size_text(daily)}; linked while unchanged: {size_text(total - daily)}")
        print(f"  a year under the default retention ({ONE_YEAR} entries): {size_text(ONE_YEAR * daily + total - daily)}")
        print(f"  five years ({FIVE_YEARS} entries): {size_text(FIVE_YEARS * daily + total - daily)}")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        measure(Path(arg).resolve())
