"""Charts as inline SVG, drawn by matplotlib (no pyplot state, no fonts or scripts fetched at
view time). Numbers stay text (`svg.fonttype = 'none'`) and the output is deterministic
(a fixed `svg.hashsalt` per chart, no date in the metadata). A withheld figure is NaN: the
line has a gap there; it is never drawn as a zero."""
from __future__ import annotations

import datetime as dt
import io
import math
import re

import matplotlib
from matplotlib.dates import AutoDateLocator, date2num, num2date
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from report import formats

WIDTH_IN, HEIGHT_IN = 6.6, 2.6  # fits A4 portrait between 2 cm margins
COLOURS = ["#1f5f8b", "#c8553d", "#2a9d8f", "#8d6a9f", "#e9a03b", "#4d4d4d", "#6a994e"]
# Lines of one chart: seven colours, then the same colours dashed.
STYLES = ["-", (0, (4, 1.5))]
RC = {"svg.fonttype": "none", "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans", "Arial"],
      "font.size": 8, "axes.spines.top": False, "axes.spines.right": False, "axes.titlesize": 9,
      "axes.titlelocation": "left", "legend.frameon": False, "legend.fontsize": 7.5}


def _nan(v):
    return math.nan if v is None else float(v)


def _date_label(x, _pos=None) -> str:
    d = num2date(x)
    return f"{formats.MONTHS[d.month - 1]} {d.year}" if d.month != 1 else str(d.year)


def _value_formatter(unit: str | None):
    def fmt(v, _pos=None):
        if unit == "percent":
            return formats.number(v, None).rstrip() + "\u00a0%"
        return formats.number(v, None)
    return FuncFormatter(fmt)


def _svg(fig: Figure, salt: str) -> str:
    buf = io.StringIO()
    with matplotlib.rc_context({**RC, "svg.hashsalt": f"helhedsdata-{salt}"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    text = buf.getvalue()
    # Inline SVG in HTML: no XML declaration or DOCTYPE; width scales with the page.
    text = re.sub(r"^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", "", text)
    text = re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"', r'<svg \1', text, count=1)
    return text.replace("<svg ", f'<svg class="chart" role="img" data-chart="{salt}" ', 1)


def _figure() -> Figure:
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN))
        return fig


def indicator_chart(salt: str, title: str, unit: str | None, period_type: str,
                    points: list[tuple[dt.date, float | None]],
                    comparison: list[tuple[dt.date, float | None]] | None = None,
                    baseline: tuple[dt.date, float] | None = None,
                    target: tuple[dt.date, float] | None = None) -> str:
    """The series of one indicator since its baseline; the baseline marked, the target and
    the straight path to it, the kommune's series beside it (its own axis for counts)."""
    with matplotlib.rc_context(RC):
        fig = _figure()
        ax = fig.add_subplot()
        xs = [date2num(d) for d, _ in points]
        ys = [_nan(v) for _, v in points]
        line, = ax.plot(xs, ys, color=COLOURS[0], marker="o", markersize=2.5 if len(xs) > 12 else 4,
                        linewidth=1.6, label="Planens område")
        line.set_gid("series-value")
        handles = [line]
        if comparison and any(v is not None for _, v in comparison):
            cx = [date2num(d) for d, _ in comparison]
            cy = [_nan(v) for _, v in comparison]
            cax = ax if unit == "percent" else ax.twinx()
            c, = cax.plot(cx, cy, color=COLOURS[5], linestyle=(0, (2, 1.5)), linewidth=1.1,
                          label="Kommunen" + ("" if cax is ax else " (højre akse)"))
            c.set_gid("series-comparison")
            if cax is not ax:
                cax.yaxis.set_major_formatter(_value_formatter(unit))
                cax.spines["right"].set_visible(True)
                cax.set_ylim(bottom=0)
            handles.append(c)
        if baseline is not None:
            b, = ax.plot([date2num(baseline[0])], [baseline[1]], linestyle="none", marker="D", markersize=5,
                         color=COLOURS[1], label=f"Baseline {formats.number(baseline[1], unit)}")
            b.set_gid("series-baseline")
            handles.append(b)
        if target is not None:
            t, = ax.plot([date2num(target[0])], [target[1]], linestyle="none", marker="*", markersize=8,
                         color=COLOURS[2], label=f"Mål {formats.number(target[1], unit)} ({formats.date(target[0])})")
            t.set_gid("series-target")
            handles.append(t)
            if baseline is not None:
                p, = ax.plot([date2num(baseline[0]), date2num(target[0])], [baseline[1], target[1]],
                             color=COLOURS[2], linestyle=(0, (4, 2)), linewidth=1, label="Vejen til målet")
                p.set_gid("series-path")
                handles.append(p)
        ax.set_title(title)
        ax.yaxis.set_major_formatter(_value_formatter(unit))
        ax.yaxis.set_major_locator(MaxNLocator(5))
        lo = min([y for y in ys if not math.isnan(y)] + ([baseline[1]] if baseline else [])
                 + ([target[1]] if target else []), default=0)
        ax.set_ylim(bottom=0 if lo >= 0 else None)
        if unit == "percent":
            hi = max([y for y in ys if not math.isnan(y)] + ([target[1]] if target else []), default=100)
            ax.set_ylim(top=min(100, hi * 1.15 + 1))
        if period_type == "year":  # one tick per year, at the year's figure
            years = sorted({d.year for d, _ in points} | ({target[0].year} if target else set()))
            ax.set_xticks([date2num(dt.date(y, 12, 31)) for y in years], [str(y) for y in years])
        else:
            ax.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=8))
            ax.xaxis.set_major_formatter(FuncFormatter(_date_label))
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        twin = unit != "percent" and comparison and any(v is not None for _, v in comparison)
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.12 if twin else 1.0, 1.0))
        return _svg(fig, salt)


def maalgruppe_chart(salt: str, title: str, dates: list[dt.date],
                     series: dict[str, list[float | None]]) -> str:
    """Persons per målgruppe at each month end; a withheld month is a gap."""
    with matplotlib.rc_context(RC):
        fig = _figure()
        ax = fig.add_subplot()
        xs = [date2num(d) for d in dates]
        for n, (label, values) in enumerate(series.items()):
            line, = ax.plot(xs, [_nan(v) for v in values], color=COLOURS[n % len(COLOURS)], linewidth=1.3,
                            linestyle=STYLES[(n // len(COLOURS)) % len(STYLES)], marker="o", markersize=1.8,
                            label=label)
            line.set_gid(f"series-maalgruppe-{n}")
        ax.set_title(title)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(_value_formatter("persons"))
        ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=8))
        ax.xaxis.set_major_formatter(FuncFormatter(_date_label))
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), ncols=1)
        return _svg(fig, salt)
