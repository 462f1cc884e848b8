"""Plans (delaftaler and strategies): one YAML file per plan in plans/, validated on
load into typed objects. Errors name the file and the field."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class PlanError(Exception):
    pass


class Areas(BaseModel):
    model_config = ConfigDict(extra="forbid")
    boligomraader: list[str] = Field(min_length=1)


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    kind: str = Field(pattern=r"^(delaftale|strategi)$")
    owner: str
    parties: list[str] = []
    valid_from: date
    valid_to: date
    kommunekode: str = Field(pattern=r"^[0-9]{3}$")
    areas: Areas | None = None  # a municipal strategy covers the whole kommune

    @model_validator(mode="after")
    def _period(self):
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


def load_plan(path: Path) -> Plan:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise PlanError(f"{path.name}: not valid YAML: {e}") from None
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
    return pa.table({"plan_id": [r[0] for r in rows], "boligomraade": [r[1] for r in rows]})
