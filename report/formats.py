"""Danish number, date and period formats, as a board reads them: 19,14 %, 1.740, 28.02.2021."""
from __future__ import annotations

import datetime as dt
import math

WITHHELD = "x"
MONTHS = ["jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec."]


def _danish(text: str) -> str:
    # 1,234.56 -> 1.234,56
    return text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")


def number(value: float | None, unit: str | None = None) -> str:
    """A published figure: percent with two decimals (19,14 %), fuldtidspersoner with one
    (12,3), counts of persons as whole numbers with a thousands dot (1.740). None: '–'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "percent":
        return _danish(f"{value:,.2f}") + "\u00a0%"
    if unit == "fuldtidspersoner":
        return _danish(f"{value:,.1f}")
    if float(value).is_integer():
        return _danish(f"{value:,.0f}")
    return _danish(f"{value:,.1f}")


def change(value: float, unit: str | None) -> str:
    """A signed change: −1,09 procentpoint for percent figures, +12 for counts."""
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    if unit == "percent":
        return f"{sign}{_danish(f'{abs(value):,.2f}')} procentpoint"
    return f"{sign}{number(abs(value), unit)}"


def cell(value: float | None, unit: str | None, suppressed: bool) -> str:
    """What a table cell shows: the figure, or `x` where the published table withholds it."""
    return WITHHELD if suppressed else number(value, unit)


def date(d: dt.date | None) -> str:
    return "–" if d is None else f"{d:%d.%m.%Y}"


def period(period_type: str, start: dt.date, end: dt.date) -> str:
    """How a published period reads: a day (month end) as 28.02.2021, a month as feb. 2021,
    a quarter as 1. kvt. 2021, a year as 2020."""
    if period_type == "day":
        return date(end)
    if period_type == "month":
        return f"{MONTHS[start.month - 1]} {start.year}"
    if period_type == "quarter":
        return f"{(start.month - 1) // 3 + 1}. kvt. {start.year}"
    if period_type == "year":
        return str(start.year)
    return f"{date(start)}–{date(end)}"


def baseline_period(text: str | None) -> str:
    """A plan's baseline period, '2018' or '2021-02', as 2018 or feb. 2021."""
    if not text:
        return "–"
    if len(text) == 7:
        y, m = text.split("-")
        return f"{MONTHS[int(m) - 1]} {y}"
    return text


def is_running(row: dict) -> bool:
    """A published row of a period still running (`period_complete` false): its figure is so far
    this period, up to `data_through` (docs/published.md, "Running periods")."""
    return row.get("period_complete") is False


def count_text(n: int, one: str, many: str) -> str:
    return f"{number(n)} {one if n == 1 else many}"
