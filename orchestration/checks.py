"""Asset checks beyond dbt's tests. Built by a factory: one blocking control-count
check per Momentum table."""

import dagster as dg

from helhedsdata.warehouse import connect
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
        counts, viol = read_control_file(folder / momentum.CONTROL_FILE, "utf-8-sig",
                                         f"{source}/{folder.name}/{momentum.CONTROL_FILE}", ("Fil", "Antal rækker"))
        expected = counts.get(file_name)
        return dg.AssetCheckResult(
            passed=not viol and expected == loaded,
            metadata={"loaded_rows": loaded, "control_file_rows": expected if expected is not None else -1,
                      "extract": folder.name},
        )

    return _check


control_count_checks = [control_count_check(momentum.SOURCE, name, c.file) for name, c in momentum.CONTRACTS.items()]
