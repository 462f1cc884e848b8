"""indicator_results with disclosure control decided (warehouse/disclosure.py):
`suppressed` and `suppression` ('primary' or 'secondary'). Internal: the published
models read the flags from here, so every published table withholds the same cells."""
import sys
from collections import defaultdict

import pyarrow as pa

from warehouse.disclosure import KEY, canonical_values, decide, equations


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
        # interned, as the keys' values are (canonical_values): equations are built of both
        if r["area_level"] == "afdeling":
            afd_of_omraade[sys.intern(r["boligomraade"])].append(sys.intern(r["afdelingsnummer"]))
        elif r["area_level"] == "helhedsplan":
            omraader_of_plan[sys.intern(r["plan_id"])].append(sys.intern(r["boligomraade"]))
    ledige_codes = sorted(sys.intern(c["maalgruppe_code"]) for c in codes if c["i_ledige_omfattet"])
    aktivering_codes = sorted(sys.intern(c["maalgruppe_code"]) for c in codes if c["i_aktivering_ved_start"])

    cols = {c: results.column(c).to_pylist() for c in (
        "persons_numerator", "persons_denominator", "source_suppressed", "period_complete", "data_through")}
    key = list(zip(*(canonical_values(results.column(c)) for c in KEY)))
    # Periods still running (period_complete false), with the day they go to: tied by time to
    # the complete months in their window (warehouse.disclosure.running_ties).
    running = {k: through for k, done, through in zip(key, cols["period_complete"], cols["data_through"]) if not done}
    # Withheld by the source itself (LBF's `x`) counts as primary suppression here too.
    final, flags = decide(key, cols["persons_numerator"], cols["persons_denominator"], cols["source_suppressed"],
                          equations(key, afd_of_omraade, omraader_of_plan, ledige_codes,
                                    aktivering_codes), running)
    results = results.append_column("suppressed", pa.array([final[k] for k in key], pa.bool_()))
    return results.append_column("suppression", pa.array(
        [("primary" if flags[k] else "secondary") if final[k] else None for k in key], pa.string()))
