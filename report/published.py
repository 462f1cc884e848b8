"""Read the published DuckDB file — and nothing else of the pipeline's data. One read-only
connection, closed before the report is rendered (a publication may replace the file)."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

INDICATOR_COLUMNS = ("plan_id", "delmaal_id", "indicator_id", "variant", "area_level", "area_id", "period_type",
                     "period_start", "period_end", "value", "unit", "numerator", "denominator", "suppressed",
                     "baseline_value", "baseline_period", "comparison_value", "target_value", "target_date",
                     "on_track", "source", "extract_date", "period_complete", "data_through")
# A file from before running periods were published has neither column: every row is complete.
COLUMN_DEFAULTS = {"period_complete": "true", "data_through": "period_end"}
STATUS_COLUMNS = ("as_of_date", "area_level", "area_id", "maalgruppe_code", "maalgruppe_name", "persons", "suppressed")


class NoPublication(Exception):
    pass


@dataclass
class Publication:
    """What one published file holds for the reports: the newest published log row and the
    rows of the two tables (all plans; filtered per plan by the builder)."""
    log: dict | None
    indicator_values: list[dict] = field(default_factory=list)
    maalgruppe_status: list[dict] = field(default_factory=list)
    not_published_since: dict | None = None  # the newest later run that did not publish, if any

    @property
    def status_date(self) -> dt.date | None:
        """'Status pr.': the Momentum extract the figures come from."""
        return self.log["momentum_extract_date"] if self.log else None

    def kommuner(self) -> list[str]:
        return sorted({r["area_id"] for r in self.maalgruppe_status if r["area_level"] == "kommune"})


def _rows(con, sql: str, params=()) -> list[dict]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def read(path: Path, plan_ids: list[str] | None = None) -> Publication:
    if not Path(path).exists():
        raise NoPublication(f"no published file at {path}: run the pipeline first (helhedsdata run)")
    con = duckdb.connect(str(path), read_only=True)
    try:
        logs = _rows(con, "SELECT * FROM published.publication_log WHERE status = 'published' "
                          "ORDER BY published_at DESC LIMIT 1")
        log = logs[0] if logs else None
        # A later run that did not publish (blocked or failed): the report says so.
        after = _rows(con, "SELECT status, published_at, message FROM published.publication_log "
                           "WHERE published_at > ? AND status <> 'published' ORDER BY published_at DESC LIMIT 1",
                      [log["published_at"]]) if log else []
        if log:
            for k in ("extract_dates", "checks", "freshness", "row_counts"):
                log[k] = json.loads(log[k]) if log.get(k) else None
        where, params = ("", [])
        if plan_ids:
            where, params = f"WHERE plan_id IN ({', '.join('?' for _ in plan_ids)})", plan_ids
        present = {r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'published' "
            "AND table_name = 'indicator_values'").fetchall()}
        columns = [c if c in present else f"{COLUMN_DEFAULTS[c]} AS {c}" for c in INDICATOR_COLUMNS]
        values = _rows(con, f"SELECT {', '.join(columns)} FROM published.indicator_values {where} "
                            "ORDER BY plan_id, delmaal_id, indicator_id, variant, area_level, area_id, "
                            "period_type, period_end", params)
        status = _rows(con, f"SELECT {', '.join(STATUS_COLUMNS)} FROM published.maalgruppe_status "
                            "ORDER BY as_of_date, area_level, area_id, maalgruppe_code")
    finally:
        con.close()
    return Publication(log=log, indicator_values=values, maalgruppe_status=status,
                       not_published_since=after[0] if after else None)
