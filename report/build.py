"""Build the status report of each plan and the index, from the published file and the plan
files. `build(published, plans, out)` writes `<out>/<plan id>.html` and `<out>/index.html`."""
from __future__ import annotations

import calendar
import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from warehouse.plans import Plan, PlanIndicator
from report import charts, formats
from report.published import Publication, read

COPENHAGEN = ZoneInfo("Europe/Copenhagen")  # publication_log.published_at is UTC
ACTIVITY_INDICATORS = ("deltagere", "afslutningsstatus", "selvforsoergende_efter", "i_uddannelse_efter",
                       "maalgruppe_ved_start")
SOURCE_NAMES = {"momentum": "Momentum", "opera": "Opera (historik)", "omraader": "boligafdelingernes adresser",
                "lbf": "LBF Beboerdata", "roster": "deltagerlister"}
DIRECTION = {"up": "skal øges", "down": "skal falde", "hold": "skal fastholdes"}
# The målgruppe charts: the ledige (the fremskudte jobcenter's six målgrupper and dagpenge),
# then the others, so no chart has more lines than a reader can tell apart.
MAALGRUPPE_CHARTS = [("Ledige", {"6.1", "6.2", "6.3", "6.4", "6.5", "6.8", "INT-SHP"}),
                     ("Sygedagpenge, jobafklaring, fleksjob og revalidering", {"6.6", "6.7", "6.9", "6.10"})]
RUNNING = {"year": "hidtil i år", "quarter": "hidtil i kvartalet", "month": "hidtil i måneden"}
# LAB § 6 order: 6.1 … 6.10, then INT-SHP.
def _code_rank(code: str) -> tuple:
    return (code == "INT-SHP", int(code.split(".")[1]) if code.startswith("6.") else 0)


def _short(text: str, width: int) -> str:
    """Cut at a word boundary, marked with an ellipsis."""
    if len(text) <= width:
        return text
    return text[:width].rsplit(" ", 1)[0].rstrip(" -,") + " …"


@dataclass
class Cell:
    text: str
    withheld: bool = False
    kind: str = ""  # "persons" for a count of persons (the privacy test reads it)


class UnknownPlan(Exception):
    pass


@dataclass
class Report:
    plan: Plan
    html: str
    path: Path
    counts: dict = field(default_factory=dict)  # on track, off track, without target, not assessable
    covered: bool = True


def _period_end(text: str) -> dt.date:
    """'2018' -> 31.12.2018, '2021-02' -> 28.02.2021 (the baseline's date, as on_track reads it)."""
    if len(text) == 4:
        return dt.date(int(text), 12, 31)
    y, m = (int(p) for p in text.split("-"))
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def _years_before(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def _period_text(row: dict) -> str:
    text = formats.period(row["period_type"], row["period_start"], row["period_end"])
    if formats.is_running(row):
        text += f" ({RUNNING.get(row['period_type'], 'foreløbig')}, til {formats.date(row['data_through'])})"
    return text


def _on_track(row: dict | None, i: PlanIndicator) -> tuple[str, str, str]:
    """(ja / nej / kan ikke vurderes endnu, why, css class) for the latest published row."""
    t = i.target
    if t is None or (t.value is None and t.direction != "hold"):
        if t is None:
            return "uden måltal", "planen har intet mål", "none"
        why = f"målet er en retning ({DIRECTION.get(t.direction, '')}) uden tal og dato"
        if row is not None and not row["suppressed"] and row["value"] is not None and row["baseline_value"] is not None \
                and i.baseline is not None and row["period_end"] > _period_end(i.baseline.period):
            moved = row["value"] - row["baseline_value"]
            right = (moved > 0) if t.direction == "up" else (moved < 0) if t.direction == "down" else None
            why += (f"; siden baseline {formats.change(moved, row['unit'])}"
                    + ("" if right is None or moved == 0 else ", i målets retning" if right else ", modsat målets retning"))
        return "uden måltal", why, "none"
    if row is None:
        return "kan ikke vurderes endnu", "intet offentliggjort tal", "wait"
    if formats.is_running(row):  # published without on_track: only whole periods are assessed
        return ("kan ikke vurderes endnu",
                f"kun tal for en løbende periode (til {formats.date(row['data_through'])}); hele perioder vurderes", "wait")
    if row["on_track"] is True:
        return "ja", "", "yes"
    if row["on_track"] is False:
        return "nej", "", "no"
    if row["suppressed"]:
        return "kan ikke vurderes endnu", "tallet er udeladt (x)", "wait"
    b = i.baseline
    if b is None:
        return "kan ikke vurderes endnu", "planen har ingen baseline", "wait"
    if row["baseline_value"] is None:
        return "kan ikke vurderes endnu", "baselinen er ikke beregnet", "wait"
    if row["period_end"] <= _period_end(b.period):
        return ("kan ikke vurderes endnu",
                f"seneste tal ({formats.date(row['period_end'])}) er ikke efter baselineperioden "
                f"({formats.baseline_period(b.period)})", "wait")
    return "kan ikke vurderes endnu", "målets dato ligger ikke efter baselinen", "wait"


class Builder:
    def __init__(self, publication: Publication, plans: list[Plan]):
        self.pub = publication
        self.plans = plans
        self.env = Environment(loader=PackageLoader("report", "templates"), autoescape=select_autoescape(["html", "j2"]),
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        self.env.filters["d"] = formats.date
        self.draw = True  # False: figures only (the index's counts for a plan not rendered)

    # --- the line a reader understands ------------------------------------------------------
    def status_line(self) -> dict:
        log = self.pub.log
        if log is None:
            return {"text": "Der er endnu ingen offentliggørelse.", "warnings": []}
        failed = [c for c in (log["checks"] or []) if not c["passed"]]
        stale = {k: v for k, v in (log["freshness"] or {}).items() if not v.get("fresh", True)}
        warnings = []
        for name, f in sorted(stale.items()):
            warnings.append(f"{SOURCE_NAMES.get(name, name)} er forældet: nyeste levering {formats.date(dt.date.fromisoformat(f['as_of']))}, "
                            f"{formats.number(f['age_days'])} dage gammel (højst {formats.number(f['max_age_days'])})")
        other = [c for c in failed if c["check"] != "extract_is_fresh"]
        if other:
            warnings.append(f"{formats.count_text(len(other), 'advarsel', 'advarsler')} fra ikke-blokerende kontroller: "
                            + ", ".join(f"{c['asset']}: {c['check']}" for c in other[:5]) + (" …" if len(other) > 5 else ""))
        later = self.pub.not_published_since
        if later:
            when = later["published_at"].replace(tzinfo=dt.timezone.utc).astimezone(COPENHAGEN)
            warnings.insert(0, f"Kørslen {when:%d.%m.%Y kl. %H.%M} offentliggjorde ikke "
                               f"({'blokeret af en kontrol' if later['status'] == 'blocked' else 'fejlede'}); "
                               "tallene her er fra den seneste offentliggørelse")
        total = (log["checks_passed"] or 0) + (log["checks_failed"] or 0)
        sources = []
        dates = dict(log["extract_dates"] or {})
        for name, f in (log["freshness"] or {}).items():
            dates.setdefault(name, f.get("as_of"))
        for name in ("momentum", "opera", "omraader", "lbf", "roster"):
            if dates.get(name):
                sources.append(f"{SOURCE_NAMES[name]} {formats.date(dt.date.fromisoformat(dates[name]))}"
                               + (" (forældet)" if name in stale else ""))
        gate = (f"alle blokerende kontroller bestået ({formats.number(log['checks_passed'])} af "
                f"{formats.number(total)} kontroller bestået"
                + (f"; {formats.number(len(failed))} advarsel{'er' if len(failed) != 1 else ''}" if failed else "") + ")")
        local = log["published_at"].replace(tzinfo=dt.timezone.utc).astimezone(COPENHAGEN)
        text = (f"Offentliggjort {local:%d.%m.%Y kl. %H.%M}; {gate}. "
                f"Kilder: {', '.join(sources)}.")
        return {"text": text, "warnings": warnings}

    # --- one plan ---------------------------------------------------------------------------
    def rows_of(self, plan: Plan, delmaal_id: str, i: PlanIndicator) -> dict[str, list[dict]]:
        by_area: dict[str, list[dict]] = {}
        for r in self.pub.indicator_values:
            if (r["plan_id"], r["delmaal_id"], r["indicator_id"], r["variant"], r["area_level"], r["period_type"]) == \
                    (plan.id, delmaal_id, i.indicator, i.variant, i.area_level, i.period_type):
                by_area.setdefault(r["area_id"], []).append(r)
        return by_area

    def indicator_row(self, plan: Plan, d, i: PlanIndicator, area_id: str, rows: list[dict], n: int) -> dict:
        # The table and the chart go by whole periods (on_track is assessed there); a running
        # period's figure only when the series has no whole period yet, labelled as such.
        rows = sorted(rows, key=lambda r: r["period_end"])
        rows = [r for r in rows if not formats.is_running(r)] or rows
        latest = rows[-1] if rows else None
        unit = latest["unit"] if latest else None
        track, why, css = _on_track(latest, i)
        b, t = i.baseline, i.target
        base_value = latest["baseline_value"] if latest else (b.value if b else None)
        kind = "persons" if unit == "persons" else ""
        row = {
            "text": i.text, "area": area_id if i.area_level in ("afdeling", "boligomraade") else "",
            "baseline": Cell(formats.number(base_value, unit), kind=kind) if b else Cell("–"),
            "baseline_period": formats.baseline_period(b.period) if b else "",
            "latest": Cell(formats.cell(latest["value"], unit, latest["suppressed"]), latest["suppressed"], kind)
            if latest else Cell("–"),
            "latest_period": _period_text(latest) if latest else "intet offentliggjort tal",
            "comparison": Cell(formats.number(latest["comparison_value"], unit)) if latest else Cell("–"),
            "target": ((("højst " if t.direction == "hold" else "") + formats.number(t.value, unit))
                       if t.value is not None else DIRECTION.get(t.direction, "–")) if t else "–",
            "target_date": formats.date(t.date) if t and t.date else "",
            "on_track": track, "on_track_why": why, "on_track_class": css, "chart": None,
        }
        if rows and self.draw:
            row["chart"] = self.indicator_chart(plan, d, i, rows, unit, n)
        return row

    def indicator_chart(self, plan: Plan, d, i: PlanIndicator, rows: list[dict], unit, n: int) -> str:
        """Months or years since the baseline, at least two years back when the data reach that far."""
        last = rows[-1]["period_end"]
        start = _years_before(last, 2)
        if i.baseline is not None:
            start = min(start, _period_end(i.baseline.period) - dt.timedelta(days=31 if i.period_type == "day" else 366))
        shown = [r for r in rows if r["period_end"] >= start]
        points = [(r["period_end"], None if r["suppressed"] else r["value"]) for r in shown]
        comparison = [(r["period_end"], r["comparison_value"]) for r in shown]
        baseline = None
        if i.baseline is not None and rows[-1]["baseline_value"] is not None:
            baseline = (_period_end(i.baseline.period), rows[-1]["baseline_value"])
        target = (i.target.date, i.target.value) if i.target and i.target.value is not None and i.target.date else None
        title = i.text if len(i.text) <= 95 else i.text[:92].rstrip() + " …"
        return charts.indicator_chart(f"{plan.id}-{d.id}-{n}", title, unit, i.period_type, points,
                                      comparison, baseline, target)

    def maalgruppe_section(self, plan: Plan) -> dict | None:
        status = self.pub.maalgruppe_status
        if not status:
            return None
        if plan.areas:
            total_level, total_id = "helhedsplan", plan.id
            # Every afdeling the publication holds: the published tables name no plan per afdeling.
            columns = sorted({r["area_id"] for r in status if r["area_level"] == "afdeling"}, key=lambda a: (len(a), a))
            col_level = "afdeling"
        else:
            total_level, total_id = "kommune", plan.kommunekode
            columns, col_level = [], "afdeling"
        mine = [r for r in status if r["area_level"] == total_level and r["area_id"] == total_id]
        if not mine:
            return None
        as_of = max(r["as_of_date"] for r in mine)
        names = {r["maalgruppe_code"]: r["maalgruppe_name"] for r in status}
        codes = sorted(names, key=_code_rank)
        cells = {(r["area_level"], r["area_id"], r["maalgruppe_code"]): r for r in status if r["as_of_date"] == as_of}

        def cell(level, area, code):
            r = cells.get((level, area, code))
            if r is None:
                return Cell("–")
            return Cell(formats.cell(r["persons"], "persons", r["suppressed"]), r["suppressed"], "persons")

        rows = [{"label": f"{c} {names[c]}", "cells": [cell(col_level, a, c) for a in columns]
                 + [cell(total_level, total_id, c)]} for c in codes]
        # The chart: the plan's area per målgruppe since the plan's start, at least three years back.
        dates = sorted({r["as_of_date"] for r in mine})
        start = min(_years_before(as_of, 3), plan.valid_from)
        dates = [x for x in dates if x >= start]
        by = {(r["as_of_date"], r["maalgruppe_code"]): r for r in mine}
        where = "planens område" if plan.areas else f"kommunen ({plan.kommunekode})"
        chart_list = []
        for n, (title, group) in enumerate(MAALGRUPPE_CHARTS):
            series = {}
            for c in [c for c in codes if c in group]:
                values = [None if by[(x, c)]["suppressed"] else by[(x, c)]["persons"] if (x, c) in by else None
                          for x in dates]
                if any(v for v in values):
                    series[f"{c} {_short(names[c], 40)}"] = values
            if series and dates and self.draw:
                chart_list.append(charts.maalgruppe_chart(f"{plan.id}-maalgrupper-{n}",
                                                          f"{title}, {where}: personer ved månedens udgang",
                                                          dates, series))
        return {"as_of": as_of, "columns": columns + ["Hovedtotal" if plan.areas else f"Kommunen ({plan.kommunekode})"],
                "rows": rows, "charts": chart_list, "afdeling_note": bool(plan.areas)}

    def activity_section(self, plan: Plan) -> list[dict]:
        status_date = self.pub.status_date
        out = []
        for a in plan.activities:
            rows = [r for r in self.pub.indicator_values if r["plan_id"] == plan.id
                    and r["indicator_id"] in ACTIVITY_INDICATORS and r["period_type"] == "year"
                    and (r["variant"] == a.id or r["variant"].startswith(a.id + "|") or r["variant"].startswith(a.id + ", "))]
            # the last whole year, and the running year so far (published up to data_through)
            complete = [r for r in rows if not formats.is_running(r)]
            running = [r for r in rows if formats.is_running(r)]
            last_year = max((r["period_start"].year for r in complete), default=None)
            this_year = max((r["period_start"].year for r in running),
                            default=status_date.year if status_date else None)
            through = max((r["data_through"] for r in running if r["period_start"].year == this_year), default=None)
            labels = {"deltagere": "Deltagere", "selvforsoergende_efter": "Selvforsørgende {n} efter afslutning",
                      "i_uddannelse_efter": "I uddannelse {n} efter afslutning",
                      "afslutningsstatus": "Afsluttet: {s}", "maalgruppe_ved_start": "Målgruppe ved start: {s}"}
            lines = {}
            for r in rows:
                rest = r["variant"][len(a.id):]
                label = labels[r["indicator_id"]].format(n=rest.lstrip(", ").replace("mdr", "mdr."),
                                                          s=rest.lstrip("|"))
                lines.setdefault((ACTIVITY_INDICATORS.index(r["indicator_id"]), label), {})[r["period_start"].year] = r
            table = []
            for (_, label), by_year in sorted(lines.items()):
                def c(year):
                    r = by_year.get(year)
                    if r is None:
                        return Cell("ikke offentliggjort")
                    return Cell(formats.cell(r["value"], r["unit"], r["suppressed"]), r["suppressed"],
                                "persons" if r["unit"] == "persons" else "")
                table.append({"label": label, "cells": [c(last_year), c(this_year)]})
            published_kinds = {r["indicator_id"] for r in rows}
            missing = [k for k in ("afslutningsstatus", "i_uddannelse_efter") if k not in published_kinds]
            out.append({"name": a.name, "roster": a.roster, "rows": table, "last_year": last_year,
                        "this_year": this_year, "through": through, "missing": missing})
        return out

    def plan_context(self, plan: Plan) -> dict:
        status_date = self.pub.status_date
        mine = [r for r in self.pub.indicator_values if r["plan_id"] == plan.id]
        covered = bool(mine)
        delmaal, counts, n = [], {"ja": 0, "nej": 0, "uden måltal": 0, "kan ikke vurderes endnu": 0}, 0
        for d in plan.delmaal:
            rows = []
            for i in d.indicators:
                if i.indicator in ACTIVITY_INDICATORS and i.filters.activity:
                    continue  # shown under the project activities
                by_area = self.rows_of(plan, d.id, i) or {"": []}
                for area_id, area_rows in by_area.items():
                    n += 1
                    row = self.indicator_row(plan, d, i, area_id, area_rows, n)
                    counts[row["on_track"]] += 1
                    rows.append(row)
            delmaal.append({"name": d.name, "rows": rows, "not_measurable": d.not_measurable})
        kommuner = self.pub.kommuner()
        return {
            "plan": plan, "status_date": status_date, "status": self.status_line(), "covered": covered,
            "kommuner": kommuner, "delmaal": delmaal, "counts": counts,
            "maalgrupper": self.maalgruppe_section(plan) if covered else None,
            "activities": self.activity_section(plan) if covered else [],
            "kind": {"delaftale": "Delaftale", "strategi": "Strategi"}[plan.kind],
        }

    def render_plan(self, plan: Plan) -> tuple[str, dict]:
        ctx = self.plan_context(plan)
        template = self.env.get_template("plan.html.j2")
        # The footnote on `x` only where an x is shown: render, look, render again.
        ctx["has_withheld"] = 'class="withheld"' in template.render(**{**ctx, "has_withheld": False})
        return template.render(**ctx), ctx

    def render_index(self, entries: list[dict]) -> str:
        return self.env.get_template("index.html.j2").render(entries=entries, status=self.status_line(),
                                                            status_date=self.pub.status_date)


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)  # a reader opening the file sees the old or the new report


def build(published: Path, plans: list[Plan], out: Path, plan_ids: list[str] | None = None) -> list[Report]:
    """Write `<out>/<plan id>.html` for the plans (all, or those named) and `<out>/index.html`
    listing every plan. Raises NoPublication when there is no published file yet, UnknownPlan for an id
    the plans folder lacks."""
    known = {p.id for p in plans}
    unknown = [p for p in plan_ids or [] if p not in known]
    if unknown:
        raise UnknownPlan(f"no plan {', '.join(unknown)} in the plans folder (known: {', '.join(sorted(known))})")
    pub = read(published)
    builder = Builder(pub, plans)
    out.mkdir(parents=True, exist_ok=True)
    reports, entries = [], []
    for plan in plans:
        path = out / f"{plan.id}.html"
        if plan_ids and plan.id not in plan_ids:
            builder.draw = False  # the index still lists it, from the same publication
            ctx = builder.plan_context(plan)
            builder.draw = True
        else:
            html, ctx = builder.render_plan(plan)
            _write(path, html)
            reports.append(Report(plan, html, path, ctx["counts"], ctx["covered"]))
        entries.append({"plan": plan, "file": path.name, "counts": ctx["counts"], "covered": ctx["covered"],
                        "exists": path.exists()})
    _write(out / "index.html", builder.render_index(entries))
    return reports


def build_summaries(published: Path, plans: list[Plan], out: Path) -> list[dict]:
    """`build`, answered in plain values (plan id, file, covered, counts): what another process
    (warehouse/gx_worker.py `beside`) sends back without the caller importing this module."""
    return [{"plan_id": r.plan.id, "path": r.path, "covered": r.covered, "counts": r.counts}
            for r in build(published, plans, out)]
