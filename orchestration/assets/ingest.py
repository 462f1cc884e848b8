"""Source assets: each reader's typed, pseudonymised output loaded into the warehouse's
raw schema. Asset keys equal the dbt sources' (source, table), so lineage runs
unbroken from files to the published tables."""

import dagster as dg
import pyarrow as pa

from helhedsdata.plans import load_plans, plan_areas_table, plan_indicators_table
from helhedsdata.config import PLANS_DIR
from helhedsdata.quarantine import quarantine
from helhedsdata.warehouse import load_raw
from orchestration.resources import HelhedsdataResource
from sources import momentum, omraader
from sources.contract import ContractError

GROUP = "sources"


def _schema(table: pa.Table) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(f.name, str(f.type)) for f in table.schema])


def _metadata(table: pa.Table, **extra) -> dict:
    return {"dagster/row_count": table.num_rows, "dagster/column_schema": _schema(table), **extra}


MOMENTUM_SPECS = [
    dg.AssetSpec(["momentum", name], group_name=GROUP, kinds={"csv", "duckdb"},
                 description=f"Momentum `{c.file}` of the newest accepted extract, pseudonymised.")
    for name, c in momentum.CONTRACTS.items()
]


@dg.multi_asset(specs=MOMENTUM_SPECS, name="momentum_extract")
def momentum_extract(context: dg.AssetExecutionContext, helhedsdata: HelhedsdataResource):
    """Read the newest complete Momentum extract; an extract that breaks its contract is
    quarantined and the next newest is tried, so the pipeline goes on with the last good one."""
    s = helhedsdata.settings
    pseudo = s.pseudonymizer()
    rejected = []
    for folder in momentum.find_extracts(s.inbox):
        try:
            ext = momentum.read_extract(folder, pseudo, s.inbox)
        except ContractError as e:
            dest = quarantine(folder, momentum.SOURCE, s.quarantine, e)
            rejected.append(folder.name)
            context.log.error(f"Rejected momentum/{folder.name}; moved to {dest}:\n{e}")
            continue
        break
    else:
        raise dg.Failure(f"No accepted Momentum extract in {s.inbox / momentum.SOURCE} "
                         f"(rejected: {', '.join(rejected) or 'none'}); see {s.quarantine}")
    load_raw(s.warehouse, momentum.SOURCE, ext.tables, ext.extract_date, str(ext.folder))
    context.log.info(f"Loaded momentum/{ext.folder.name}: " +
                     ", ".join(f"{k} {v.num_rows}" for k, v in ext.tables.items()))
    for name, table in ext.tables.items():
        yield dg.MaterializeResult(
            asset_key=["momentum", name],
            metadata=_metadata(table, extract_date=str(ext.extract_date), extract_folder=ext.folder.name,
                               rejected_extracts=", ".join(rejected) or "none"),
        )


@dg.asset(key=["omraader", "adresser"], group_name=GROUP, kinds={"csv", "duckdb"},
          description="The housing organisation's address register; streets replaced by address keys.")
def omraader_adresser(context: dg.AssetExecutionContext, helhedsdata: HelhedsdataResource):
    s = helhedsdata.settings
    table, as_of = omraader.read_register(s.inbox, s.pseudonymizer())
    load_raw(s.warehouse, omraader.SOURCE, {"adresser": table}, as_of, str(s.inbox / omraader.PATH))
    return dg.MaterializeResult(metadata=_metadata(table, file_date=str(as_of)))


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["plans", "plan_omraader"], group_name=GROUP, kinds={"yaml", "duckdb"},
                     description="The boligområder each plan (plans/*.yaml) covers."),
        dg.AssetSpec(["plans", "plan_indicators"], group_name=GROUP, kinds={"yaml", "duckdb"},
                     description="Each plan's delmål indicators with filters, baseline and target."),
    ],
    name="plans",
)
def plans(context: dg.AssetExecutionContext, helhedsdata: HelhedsdataResource):
    """Plans, validated on load: an invalid plan fails this step with file and field named."""
    s = helhedsdata.settings
    loaded = load_plans(PLANS_DIR)
    tables = {"plan_omraader": plan_areas_table(loaded), "plan_indicators": plan_indicators_table(loaded)}
    load_raw(s.warehouse, "plans", tables, None, str(PLANS_DIR))
    for name, table in tables.items():
        yield dg.MaterializeResult(asset_key=["plans", name],
                                   metadata=_metadata(table, plans=", ".join(p.id for p in loaded)))
