"""Indicator moves between two publications (issue 5, item 3: a non-blocking warning).

Before a publication replaces the published file, each figure of the new
`publish_stage.indicator_values` is compared with the same figure (plan, delmål,
indicator, variant, area, period) in the file now published. A figure moves too far
when it moves more than its plan allows (`advarsel_ved_aendring` in the plan YAML,
resolved per indicator into raw.plans__plan_indicators): `procentpoint` for indicators
in percent, otherwise `procent` of the old value (from 0 to anything else is a move
beyond any `procent`). Suppressed or missing figures on either side are not compared, nor
is a running period's figure on either side (`period_complete` false: it moves as its
period goes on, by nature; a file from before that column has complete periods only).
Everything here is an aggregate figure of the published tables: no person data."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

CHECK = "indicator_moves_within_threshold"
TOP = 5  # moves listed in the check's metadata, largest first

_KEY = ("plan_id", "delmaal_id", "indicator_id", "variant", "area_level", "area_id", "period_type", "period_start")


@dataclass
class Moves:
    compared: int  # figures present (not suppressed) in both publications
    beyond: int  # of those, moved more than their threshold
    top: list[dict] = field(default_factory=list)  # the largest few: plan, indicator, area, period, old, new
    previous: bool = True  # False: nothing published yet, nothing compared

    @property
    def passed(self) -> bool:
        return self.beyond == 0


def _sql_path(p: Path) -> str:
    return str(p).replace("'", "''")


def indicator_moves(warehouse: Path, published: Path, top: int = TOP) -> Moves:
    if not published.exists():
        return Moves(0, 0, [], previous=False)
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{_sql_path(warehouse)}' AS wh (READ_ONLY)")
        con.execute(f"ATTACH '{_sql_path(published)}' AS old (READ_ONLY)")
        has_old = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'old' AND "
                              "schema_name = 'published' AND table_name = 'indicator_values'").fetchone()[0]
        if not has_old:
            return Moves(0, 0, [], previous=False)
        key = ", ".join(_KEY)
        complete = " ".join(
            f"AND {alias}.period_complete" for alias, db, schema in (("n", "wh", "publish_stage"), ("o", "old", "published"))
            if con.execute("SELECT count(*) FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? AND "
                           "table_name = 'indicator_values' AND column_name = 'period_complete'",
                           [db, schema]).fetchone()[0])
        judged = f"""
            WITH thresholds AS (  -- the strictest, should one plan list an indicator twice in a delmål
                SELECT plan_id, delmaal_id, indicator_id, coalesce(variant, '') AS variant,
                       min(advarsel_procent) AS procent, min(advarsel_procentpoint) AS procentpoint
                FROM wh.raw.plans__plan_indicators GROUP BY ALL),
            pairs AS (
                SELECT n.plan_id, n.delmaal_id, n.indicator_id, n.variant, n.area_level, n.area_id,
                       n.period_type, n.period_start, n.unit, o.value AS old, n.value AS new,
                       t.procent, t.procentpoint, abs(n.value - o.value) AS points,
                       CASE WHEN o.value <> 0 THEN abs(n.value - o.value) / abs(o.value) * 100
                            WHEN n.value <> 0 THEN 'infinity'::DOUBLE ELSE 0 END AS pct
                FROM wh.publish_stage.indicator_values AS n
                JOIN old.published.indicator_values AS o USING ({key})
                LEFT JOIN thresholds AS t USING (plan_id, delmaal_id, indicator_id, variant)
                WHERE n.value IS NOT NULL AND o.value IS NOT NULL {complete}),
            judged AS (
                SELECT *,
                       CASE WHEN unit = 'percent' AND procentpoint IS NOT NULL THEN points > procentpoint
                            WHEN procent IS NOT NULL THEN pct > procent ELSE false END AS beyond,
                       CASE WHEN unit = 'percent' AND procentpoint IS NOT NULL THEN points ELSE pct END AS size
                FROM pairs)"""
        compared, beyond = con.execute(f"{judged} SELECT count(*), count(*) FILTER (WHERE beyond) FROM judged").fetchone()
        listed = con.execute(f"""{judged}
            SELECT plan_id, indicator_id, variant, area_level, area_id, period_type, period_start::VARCHAR,
                   old, new, unit
            FROM judged WHERE beyond ORDER BY size DESC, plan_id, indicator_id, variant, area_level, area_id, period_start LIMIT {int(top)}""").fetchall()
    finally:
        con.close()
    names = ("plan", "indicator", "variant", "area_level", "area", "period_type", "period_start", "old", "new", "unit")
    return Moves(compared, beyond, [dict(zip(names, r)) for r in listed])
