"""indicator_results with disclosure control decided (helhedsdata/disclosure.py):
`suppressed` and `suppression` ('primary' or 'secondary'). Internal: the published
models read the flags from here, so every published table withholds the same cells."""
from collections import defaultdict

import pyarrow as pa

from helhedsdata.disclosure import primary, secondary


def _arrow(relation) -> pa.Table:
    t = relation.arrow()  # Arrow keeps DATE columns dates (pandas would make timestamps)
    return t.read_all() if hasattr(t, "read_all") else t


def model(dbt, session):
    dbt.config(materialized="table")
    results = _arrow(dbt.ref("indicator_results"))
    grid = _arrow(dbt.ref("int_derive_area_grid")).to_pylist()
    codes = _arrow(dbt.ref("maalgruppe_koder")).to_pylist()

    afd_of_omraade = defaultdict(list)
    omraader_of_plan = defaultdict(list)
    for r in grid:
        if r["area_level"] == "afdeling":
            afd_of_omraade[r["boligomraade"]].append(r["afdelingsnummer"])
        elif r["area_level"] == "helhedsplan":
            omraader_of_plan[r["plan_id"]].append(r["boligomraade"])
    ledige_codes = sorted(c["maalgruppe_code"] for c in codes if c["i_ledige_omfattet"])

    cols = {c: results.column(c).to_pylist() for c in (
        "indicator_id", "variant", "period_type", "period_start", "period_end", "area_level", "area_id",
        "persons_numerator", "persons_denominator", "source_suppressed")}
    key = list(zip(*(cols[c] for c in ("indicator_id", "variant", "period_type", "period_start",
                                       "period_end", "area_level", "area_id"))))
    # Withheld by the source itself (LBF's `x`) counts as primary suppression here too.
    flags = {k: bool(src) or primary(n, d) for k, n, d, src in zip(
        key, cols["persons_numerator"], cols["persons_denominator"], cols["source_suppressed"])}
    size = {k: n or 0 for k, n in zip(key, cols["persons_numerator"])}

    equations = []
    for t in {k[:5] for k in key}:
        for omraade, afdelinger in afd_of_omraade.items():
            equations.append([t + ("boligomraade", omraade)] + [t + ("afdeling", a) for a in afdelinger])
        for plan, omraader in omraader_of_plan.items():
            equations.append([t + ("helhedsplan", plan)] + [t + ("boligomraade", o) for o in omraader])
    # ledige_omfattet is the sum of its målgrupper (maalgruppe_antal) in an area on a day.
    for k in key:
        if k[0] == "ledige_omfattet":
            _, _, ptype, start, end, level, area = k
            equations.append([k] + [("maalgruppe_antal", c, ptype, start, end, level, area) for c in ledige_codes])

    # A variant 'X|Y' is the part Y of the total X of the same indicator, area and period
    # (marts/indicators/README.md): the total is the sum of its parts.
    parts_of = defaultdict(list)
    for k in key:
        total_variant, bar, _ = k[1].rpartition("|")
        if bar:
            parts_of[(k[0], total_variant) + k[2:]].append(k)
    equations += [[total] + parts for total, parts in parts_of.items() if total in flags]

    final = secondary(flags, size, equations)
    results = results.append_column("suppressed", pa.array([final[k] for k in key], pa.bool_()))
    return results.append_column("suppression", pa.array(
        [("primary" if flags[k] else "secondary") if final[k] else None for k in key], pa.string()))
