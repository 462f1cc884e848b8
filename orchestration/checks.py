"""Asset checks beyond dbt's tests. Built by a factory: one blocking control-count
check per Momentum table."""

import dagster as dg

from warehouse.database import connect
from orchestration.resources import HelhedsdataResource
from sources import momentum
from sources.contract import read_control_file


def control_count_check(source: str, table: str, file_name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=dg.AssetKey([source, table]), name="control_count_matches", blocking=True,
                    description=f"Rows loaded into raw.{source}__{table} equal the control file's count for {file_name}.")
    def _check(helhedsdata: HelhedsdataResource) -> dg.AssetCheckResult:
        s = helhedsdata.settings
        with connect(s.warehouse, read_only=True) as con:
            loaded = con.execute(f"SELECT count(*) FROM raw.{source}__{table}").fetchone()[0]
            origin = con.execute(
                "SELECT origin FROM meta.loads WHERE source = ? AND table_name = ? ORDER BY loaded_at DESC LIMIT 1",
                [source, table]).fetchone()[0]
        from pathlib import Path

        folder = Path(origin)
        counts, viol = read_control_file(folder / momentum.CONTROL_FILE, momentum.CONTROL_ENCODING,
                                         f"{source}/{folder.name}/{momentum.CONTROL_FILE}", momentum.CONTROL_HEADERS)
        expected = counts.get(file_name)
        return dg.AssetCheckResult(
            passed=not viol and expected == loaded,
            metadata={"loaded_rows": loaded, "control_file_rows": expected if expected is not None else -1,
                      "extract": folder.name},
        )

    return _check


control_count_checks = [control_count_check(momentum.SOURCE, name, c.file) for name, c in momentum.CONTRACTS.items()]


ROW_COUNT_DROP_WARN = 0.20  # a load more than 20 % below the previous one is worth a look


def row_count_drop_check(source: str, table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=dg.AssetKey([source, table]), name="row_count_not_dropped", blocking=False,
                    description=f"Warns (never blocks) when raw.{source}__{table} holds more than "
                                f"{ROW_COUNT_DROP_WARN:.0%} fewer rows than the previous load.")
    def _check(helhedsdata: HelhedsdataResource) -> dg.AssetCheckResult:
        s = helhedsdata.settings
        with connect(s.warehouse, read_only=True) as con:
            # meta.loads keeps every load of this home: the newest is this run's, the one
            # before it the last load (of any extract: a re-run of the same extract compares equal).
            loads = con.execute(
                "SELECT row_count, extract_date FROM meta.loads WHERE source = ? AND table_name = ? "
                "ORDER BY loaded_at DESC LIMIT 2", [source, table]).fetchall()
        current, current_date = loads[0]
        previous, previous_date = loads[1] if len(loads) > 1 else (None, None)
        change = None if not previous else (current - previous) / previous
        return dg.AssetCheckResult(
            passed=change is None or change >= -ROW_COUNT_DROP_WARN,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"rows": current, "previous_rows": previous if previous is not None else -1,
                      "change_pct": round(change * 100, 1) if change is not None else 0.0,
                      "extract_date": str(current_date), "previous_extract_date": str(previous_date),
                      "threshold_pct": -ROW_COUNT_DROP_WARN * 100},
        )

    return _check


row_count_checks = [row_count_drop_check(momentum.SOURCE, name) for name in momentum.CONTRACTS]


FRESHNESS_CHECK = "extract_is_fresh"


def freshness_check(source: str) -> dg.AssetChecksDefinition:
    """WARN (never blocks): the source's newest delivery is older than its demand in
    warehouse.inbox_state.SOURCES. On the source's first asset: one check per source."""
    from warehouse import inbox_state

    spec = inbox_state.SOURCES[source]

    @dg.asset_check(asset=dg.AssetKey(list(spec.asset_keys[0])), name=FRESHNESS_CHECK, blocking=False,
                    description=f"{source} is delivered {spec.cadence}: warns when its newest extract/file is "
                                f"more than {spec.max_age.days} days old.")
    def _check(helhedsdata: HelhedsdataResource) -> dg.AssetCheckResult:
        s = helhedsdata.settings
        r = inbox_state.freshness(s.inbox, s.plans)[source]
        return dg.AssetCheckResult(
            passed=r["fresh"], severity=dg.AssetCheckSeverity.WARN,
            description=None if r["fresh"] else f"{source} is stale: newest delivery {r['as_of'] or 'none'}",
            metadata={"as_of": r["as_of"] or "none", "age_days": r["age_days"] if r["age_days"] is not None else -1,
                      "max_age_days": r["max_age_days"], "cadence": r["cadence"]})

    return _check


def _freshness_checks() -> list[dg.AssetChecksDefinition]:
    from warehouse import inbox_state

    return [freshness_check(name) for name, s in inbox_state.SOURCES.items() if s.max_age is not None]


freshness_checks = _freshness_checks()
