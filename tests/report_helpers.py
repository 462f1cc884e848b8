"""Small hand-made publication files for the status-report tests (no pipeline run), and the
readers' checks the tests share: which cells a report withholds, which person counts it shows."""
from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb

from warehouse.config import PLANS_DIR
from warehouse.plans import load_plans

SOENDERBORG = "soenderborg-beskaeftigelse-2021"
ISHOEJ = "ishoej-aktiveringsstrategi-2015"
STATUS_DATE = dt.date(2021, 3, 1)
CPR_SHAPE = re.compile(r"(?<![\d.,])\d{6}-?\d{4}(?![\d,])")
# an address key (32 hexadecimal characters) or a person_key (a 64-bit integer: 15-19 digits, a sign)
PSEUDONYM_SHAPE = re.compile(r"\b[0-9a-f]{32,}\b|(?<![\d.,])-?\d{15,}(?![\d,])")

INDICATOR_DDL = """CREATE TABLE published.indicator_values (plan_id VARCHAR, delmaal_id VARCHAR, indicator_id VARCHAR,
    variant VARCHAR, area_level VARCHAR, area_id VARCHAR, period_type VARCHAR, period_start DATE, period_end DATE,
    value DOUBLE, unit VARCHAR, numerator DOUBLE, denominator DOUBLE, suppressed BOOLEAN, baseline_value DOUBLE,
    baseline_period VARCHAR, comparison_value DOUBLE, target_value DOUBLE, target_date DATE, on_track BOOLEAN,
    source VARCHAR, extract_date DATE, period_complete BOOLEAN, data_through DATE)"""
# the table before running periods were published (an older file)
OLD_INDICATOR_DDL = INDICATOR_DDL.replace(", period_complete BOOLEAN, data_through DATE)", ")")
RUNNING_THROUGH = dt.date(2021, 2, 28)  # the last month end before STATUS_DATE: a running year's data_through
STATUS_DDL = """CREATE TABLE published.maalgruppe_status (as_of_date DATE, area_level VARCHAR, area_id VARCHAR,
    maalgruppe_code VARCHAR, maalgruppe_name VARCHAR, persons INTEGER, suppressed BOOLEAN)"""
LOG_DDL = """CREATE TABLE published.publication_log (publication_id VARCHAR, published_at TIMESTAMP, status VARCHAR,
    momentum_extract_date DATE, extract_dates VARCHAR, row_counts VARCHAR, checks_passed INTEGER,
    checks_failed INTEGER, checks VARCHAR, code_version VARCHAR, message VARCHAR, freshness VARCHAR)"""
NAMES = {"6.1": "Dagpengemodtager", "6.2": "Jobparat kontanthjælps- og overgangsydelsesmodtager",
         "6.3": "Aktivitetsparat kontanthjælps- og overgangsydelsesmodtager", "6.6": "Sygedagpengemodtager",
         "INT-SHP": "Selvforsørgelses- og hjemrejseydelsesmodtager i program"}


def plans():
    return load_plans(PLANS_DIR)


def month_ends(first: dt.date, n: int) -> list[dt.date]:
    out, y, m = [], first.year, first.month
    for _ in range(n):
        nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
        out.append(nxt - dt.timedelta(days=1))
        y, m = nxt.year, nxt.month
    return out


def _ind(delmaal, indicator, variant, period_type, start, end, value, unit, suppressed=False, **kw):
    row = {"plan_id": SOENDERBORG, "delmaal_id": delmaal, "indicator_id": indicator, "variant": variant,
           "area_level": "helhedsplan", "area_id": SOENDERBORG, "period_type": period_type, "period_start": start,
           "period_end": end, "value": None if suppressed else value, "unit": unit, "numerator": None,
           "denominator": None, "suppressed": suppressed, "baseline_value": None, "baseline_period": None,
           "comparison_value": None, "target_value": None, "target_date": None, "on_track": None,
           "source": "momentum", "extract_date": STATUS_DATE, "period_complete": True, "data_through": end}
    row.update(kw)
    return row


def soenderborg_rows(withheld_month: dt.date = dt.date(2020, 6, 30), leak: bool = False) -> tuple[list, list]:
    """Indicator rows for the Sønderborg plan and målgruppe rows: 26 month ends of
    ledige_omfattet (one withheld), aktiveringsgrad with a target, two years of andel, the two
    activities with a complete year and a running one (2021 up to 28.02.2021: 65 participants
    so far in one, 3, withheld, in the other); målgrupper per afdeling with withheld
    cells. leak: a withheld cell keeps its count in the file (a broken file; the report must
    still show x, as `suppressed` says)."""
    ind = []
    for n, d in enumerate(month_ends(dt.date(2019, 1, 1), 26)):
        start = d.replace(day=1)
        hidden = d == withheld_month
        ind.append(_ind("faerre-ledige-beboere", "ledige_omfattet", "", "day", d, d, 300 - n, "persons",
                        hidden, baseline_value=233.0, baseline_period="2021-02", comparison_value=1740.0 + n))
        ind.append(_ind("aktive-ledige", "aktiveringsgrad", "ultimo", "day", d, d, 19.14 + n / 10, "percent",
                        baseline_value=20.0, baseline_period="2021-02", comparison_value=27.7,
                        target_value=85.0, target_date=dt.date(2025, 8, 31)))
        del start
    for year, v18, v30 in ((2018, 19.14, 50.65), (2019, 18.5, 49.0), (2020, 18.05, 48.0)):
        for variant, v in (("18-29", v18), ("30-64", v30)):
            ind.append(_ind("faerre-paa-offentlig-forsoergelse", "andel_offentligt_forsoergede", variant, "year",
                            dt.date(year, 1, 1), dt.date(year, 12, 31), v, "percent", baseline_value={"18-29": 19.14, "30-64": 50.65}[variant],
                            baseline_period="2018", comparison_value=12.32, source="lbf"))
    for act, n20, n21 in (("praktikpladser-til-udsatte-ledige", 1740, 65), ("beskaeftigelsesfremmende-forloeb", 61, 3)):
        ind.append(_ind("aktive-ledige", "deltagere", act, "year", dt.date(2020, 1, 1), dt.date(2020, 12, 31), n20,
                        "persons", source="roster"))
        ind.append(_ind("aktive-ledige", "deltagere", act, "year", dt.date(2021, 1, 1), dt.date(2021, 12, 31), n21,
                        "persons", suppressed=n21 < 5, source="roster", period_complete=False,
                        data_through=RUNNING_THROUGH))
        ind.append(_ind("aktive-ledige", "selvforsoergende_efter", f"{act}, 3 mdr", "year", dt.date(2020, 1, 1),
                        dt.date(2020, 12, 31), 61.11, "percent", source="roster+momentum"))
    if leak:
        for r in ind:
            if r["suppressed"]:
                r["value"] = 3.0
    status = []
    for d in month_ends(dt.date(2019, 1, 1), 26):
        for code, name in NAMES.items():
            for level, area, persons in (("afdeling", "22", 3), ("afdeling", "24", 12), ("helhedsplan", SOENDERBORG, 70),
                                         ("kommune", "540", 1740)):
                hidden = 0 < persons < 5 or (level == "afdeling" and area == "24" and code == "6.6")
                status.append({"as_of_date": d, "area_level": level, "area_id": area, "maalgruppe_code": code,
                               "maalgruppe_name": name, "persons": persons if (leak or not hidden) else None,
                               "suppressed": hidden})
    return ind, status


def log_row(status_date: dt.date = STATUS_DATE) -> dict:
    checks = [{"asset": "momentum/maalgruppe", "check": "control_count_matches", "passed": True, "severity": "ERROR"},
              {"asset": "momentum/maalgruppe", "check": "extract_is_fresh", "passed": False, "severity": "WARN"}]
    fresh = {"momentum": {"as_of": str(status_date), "age_days": 3, "max_age_days": 2, "cadence": "daily", "fresh": False},
             "lbf": {"as_of": "2021-01-15", "age_days": 45, "max_age_days": 400, "cadence": "yearly", "fresh": True}}
    return {"publication_id": "run-1", "published_at": dt.datetime(2021, 3, 2, 2, 5), "status": "published",
            "momentum_extract_date": status_date,
            "extract_dates": json.dumps({"momentum": str(status_date), "opera": "2019-12-31", "omraader": "2021-02-01"}),
            "row_counts": json.dumps({}), "checks_passed": 1, "checks_failed": 1, "checks": json.dumps(checks),
            "code_version": "test", "message": "1 checks passed; stale: momentum", "freshness": json.dumps(fresh)}


def write_publication(path: Path, indicator_rows: list[dict], status_rows: list[dict], logs: list[dict],
                      old_format: bool = False) -> Path:
    """old_format: indicator_values without period_complete and data_through (a file published
    before running periods were)."""
    con = duckdb.connect(str(path))
    if old_format:
        indicator_rows = [{k: v for k, v in r.items() if k not in ("period_complete", "data_through")}
                          for r in indicator_rows]
    try:
        con.execute("CREATE SCHEMA published")
        for ddl, table, rows in ((OLD_INDICATOR_DDL if old_format else INDICATOR_DDL, "indicator_values", indicator_rows),
                                 (STATUS_DDL, "maalgruppe_status", status_rows), (LOG_DDL, "publication_log", logs)):
            con.execute(ddl)
            if rows:
                cols = list(rows[0])
                con.executemany(f"INSERT INTO published.{table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                                [[r[c] for c in cols] for r in rows])
    finally:
        con.close()
    return path


def soenderborg_publication(path: Path, **kw) -> Path:
    ind, status = soenderborg_rows(**kw)
    return write_publication(path, ind, status, [log_row()])


class Cells(HTMLParser):
    """The report's cells as a reader sees them: every withheld mark and every person count."""

    def __init__(self):
        super().__init__()
        self.withheld, self.persons, self._open = 0, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("class") == "withheld":
            self.withheld += 1
            self._open = "withheld"
        elif a.get("data-kind") == "persons":
            self._open = "persons"

    def handle_data(self, data):
        if self._open == "persons":
            self.persons.append(data.strip())
        elif self._open == "withheld":
            assert data.strip() == "x", f"a withheld mark shows {data!r}"

    def handle_endtag(self, tag):
        self._open = None


def cells(html: str) -> Cells:
    c = Cells()
    c.feed(html)
    return c


def small_person_counts(html: str) -> list[str]:
    """Person counts from 1 to 4 shown in a report: every such count is withheld in the
    published tables, so any is a leak."""
    return [t for t in cells(html).persons if t in {"1", "2", "3", "4"}]
