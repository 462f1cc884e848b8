"""Plans (delaftaler and strategies): one YAML file per plan in plans/, validated on
load into typed objects. Errors name the file and the field.

A plan names indicators from the catalogue (dbt seed `indicators.csv`: one place for
the ids), each with filters, the area level and period type it is read at, a baseline
(stated, or computed by the pipeline at the baseline period) and a target (a value by
a date, or a direction)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import pyarrow as pa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sources.codes import seed_values

AreaLevel = Literal["afdeling", "boligomraade", "helhedsplan", "kommune"]
PeriodType = Literal["day", "month", "quarter", "year"]
ID = r"^[a-z0-9][a-z0-9-]*$"


class PlanError(Exception):
    pass


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Areas(_Strict):
    boligomraader: list[str] = Field(min_length=1)


class Activity(_Strict):
    id: str = Field(pattern=ID)
    name: str
    roster: str | None = None  # file stem in inbox/roster/; None: no roster is kept


class Baseline(_Strict):
    value: float | None = None
    period: str = Field(pattern=r"^[0-9]{4}(-[0-9]{2})?$")  # "2018" or "2021-02"
    comparison_value: float | None = None
    source: str | None = None
    compute: bool = False  # the pipeline computes value (and comparison) at `period`

    @model_validator(mode="after")
    def _value_or_compute(self):
        if (self.value is None) != self.compute:
            raise ValueError("give either a value or compute: true")
        return self


class Target(_Strict):
    value: float | None = None
    date: dt.date | None = None
    direction: Literal["up", "down", "hold"] | None = None  # "skal øges", "skal falde", "fastholdes"

    @model_validator(mode="after")
    def _complete(self):
        if self.value is not None and self.date is None:
            raise ValueError("a target value needs a date")
        if self.value is None and self.direction is None:
            raise ValueError("give a value and date, or a direction")
        return self


class Filters(_Strict):
    maalgrupper: list[str] | None = None
    aldersgruppe: Literal["18-29", "30-64"] | None = None
    max_alder: int | None = Field(default=None, ge=15, le=70)  # ages below this, on the day
    activity: str | None = None
    months_after: int | None = Field(default=None, ge=1, le=24)
    afslutningsaarsag: str | None = None

    @field_validator("maalgrupper")
    @classmethod
    def _known_codes(cls, v):
        known = set(seed_values("maalgruppe_koder", "maalgruppe_code"))
        bad = [c for c in v or [] if c not in known]
        if bad:
            raise ValueError(f"unknown målgruppe code(s) {', '.join(bad)}")
        return v

    @field_validator("afslutningsaarsag")
    @classmethod
    def _known_reason(cls, v):
        if v is not None and v not in seed_values("afslutningsaarsager", "afslutningsaarsag"):
            raise ValueError(f"unknown Afslutningsårsag '{v}'")
        return v


class PlanIndicator(_Strict):
    indicator: str
    text: str  # the plan's own wording
    variant: str = ""
    filters: Filters = Filters()
    area_level: AreaLevel
    period_type: PeriodType
    baseline: Baseline | None = None
    target: Target | None = None
    # Replaces the plan's advarsel_ved_aendring for this indicator (a noisy small count, say).
    advarsel_ved_aendring: AdvarselVedAendring | None = None

    @field_validator("indicator")
    @classmethod
    def _in_catalogue(cls, v):
        if v not in seed_values("indicators", "indicator_id"):
            raise ValueError(f"'{v}' is not an indicator id of dbt_project/seeds/indicators.csv")
        return v


class AdvarselVedAendring(_Strict):
    """How far a published figure may move between two publications before the
    publication carries a warning (it never blocks): `procentpoint` is an absolute move
    for indicators measured in percent; `procent` is a move relative to the old value, for
    every other indicator and for percent indicators without `procentpoint`."""
    procent: float | None = Field(default=None, gt=0)
    procentpoint: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _some(self):
        if self.procent is None and self.procentpoint is None:
            raise ValueError("give procent, procentpoint or both")
        return self


class NotMeasurable(_Strict):
    text: str
    reason: str


class Delmaal(_Strict):
    id: str = Field(pattern=ID)
    name: str
    indicators: list[PlanIndicator] = []
    not_measurable: list[NotMeasurable] = []


class Plan(_Strict):
    id: str = Field(pattern=ID)
    name: str
    kind: Literal["delaftale", "strategi"]
    owner: str
    parties: list[str] = []
    valid_from: dt.date
    valid_to: dt.date
    kommunekode: str = Field(pattern=r"^[0-9]{3}$")
    areas: Areas | None = None  # a municipal strategy covers the whole kommune
    # LBF Beboerdata names a helhedsplan's area as one "Boligområde" row: its name there.
    lbf_boligomraade: str | None = None
    activities: list[Activity] = []
    delmaal: list[Delmaal] = []
    # The default for every indicator of the plan; none: the plan's figures are not watched.
    advarsel_ved_aendring: AdvarselVedAendring | None = None

    @model_validator(mode="after")
    def _consistent(self):
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        ids = [d.id for d in self.delmaal]
        if len(ids) != len(set(ids)):
            raise ValueError("delmaal ids must be unique")
        activities = {a.id for a in self.activities}
        for d in self.delmaal:
            for i in d.indicators:
                if i.filters.activity and i.filters.activity not in activities:
                    raise ValueError(f"delmaal {d.id}: activity '{i.filters.activity}' is not in activities")
                if i.area_level in ("afdeling", "boligomraade", "helhedsplan") and not self.areas:
                    raise ValueError(f"delmaal {d.id}: area level {i.area_level} needs the plan's areas")
        return self


def load_plan(path: Path) -> Plan:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise PlanError(f"{path.name}{where}: not valid YAML") from None
    try:
        plan = Plan.model_validate(data)
    except ValidationError as e:
        msgs = [f"{path.name}: field {'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
                for err in e.errors()]
        raise PlanError("\n".join(msgs)) from None
    if plan.id != path.stem:
        raise PlanError(f"{path.name}: field id: '{plan.id}' must equal the file name '{path.stem}'")
    return plan


def load_plans(folder: Path) -> list[Plan]:
    plans, errors = [], []
    for path in sorted(folder.glob("*.yaml")):
        try:
            plans.append(load_plan(path))
        except PlanError as e:
            errors.append(str(e))
    if errors:
        raise PlanError("\n".join(errors))
    return plans


def plan_areas_table(plans: list[Plan]) -> pa.Table:
    rows = [(p.id, b) for p in plans if p.areas for b in p.areas.boligomraader]
    return pa.table({"plan_id": pa.array([r[0] for r in rows], pa.string()),
                     "boligomraade": pa.array([r[1] for r in rows], pa.string())})


def plan_activities_table(plans: list[Plan]) -> pa.Table:
    """One row per activity of a plan; `roster` is the file stem of its roster in
    inbox/roster/ (null: no roster is kept). Project indicators are read per activity,
    at the helhedsplan of the plan that lists it."""
    rows = [(p.id, a.id, a.name, a.roster) for p in plans for a in p.activities]
    return pa.table({"plan_id": pa.array([r[0] for r in rows], pa.string()),
                     "activity_id": pa.array([r[1] for r in rows], pa.string()),
                     "activity_name": pa.array([r[2] for r in rows], pa.string()),
                     "roster": pa.array([r[3] for r in rows], pa.string())})


def plan_indicators_table(plans: list[Plan]) -> pa.Table:
    """One row per plan indicator, for the indicator_values mart."""
    rows = []
    for p in plans:
        for d in p.delmaal:
            for n, i in enumerate(d.indicators):
                b, t = i.baseline, i.target
                w = i.advarsel_ved_aendring or p.advarsel_ved_aendring
                rows.append({
                    "plan_id": p.id, "kommunekode": p.kommunekode, "lbf_boligomraade": p.lbf_boligomraade,
                    "delmaal_id": d.id, "position": n,
                    "indicator_id": i.indicator, "variant": i.variant, "text": i.text,
                    "filter_maalgrupper": i.filters.maalgrupper, "filter_max_alder": i.filters.max_alder,
                    "filter_aldersgruppe": i.filters.aldersgruppe,
                    "filter_afslutningsaarsag": i.filters.afslutningsaarsag,
                    "filter_activity": i.filters.activity, "filter_months_after": i.filters.months_after,
                    "area_level": i.area_level, "period_type": i.period_type,
                    "baseline_value": b.value if b else None, "baseline_period": b.period if b else None,
                    "baseline_comparison_value": b.comparison_value if b else None,
                    "baseline_compute": b.compute if b else False,
                    "target_value": t.value if t else None, "target_date": t.date if t else None,
                    "target_direction": t.direction if t else None,
                    "advarsel_procent": w.procent if w else None,
                    "advarsel_procentpoint": w.procentpoint if w else None,
                })
    schema = pa.schema([
        ("plan_id", pa.string()), ("kommunekode", pa.string()), ("lbf_boligomraade", pa.string()),
        ("delmaal_id", pa.string()), ("position", pa.int32()),
        ("indicator_id", pa.string()), ("variant", pa.string()), ("text", pa.string()),
        ("filter_maalgrupper", pa.list_(pa.string())), ("filter_max_alder", pa.int32()),
        ("filter_aldersgruppe", pa.string()), ("filter_afslutningsaarsag", pa.string()),
        ("filter_activity", pa.string()), ("filter_months_after", pa.int32()),
        ("area_level", pa.string()), ("period_type", pa.string()), ("baseline_value", pa.float64()),
        ("baseline_period", pa.string()), ("baseline_comparison_value", pa.float64()), ("baseline_compute", pa.bool_()),
        ("target_value", pa.float64()), ("target_date", pa.date32()), ("target_direction", pa.string()),
        ("advarsel_procent", pa.float64()), ("advarsel_procentpoint", pa.float64()),
    ])
    return pa.Table.from_pylist(rows, schema=schema)
