"""The one Definitions object: `dagster dev -m orchestration.definitions`."""
import dagster as dg

from orchestration.assets.dbt import dbt_models
from orchestration.assets.ingest import (
    lbf_beboerdata,
    momentum_extract,
    omraader_adresser,
    opera_extract,
    plans,
    roster_deltagere,
)
from orchestration.assets.publish import publication
from orchestration.checks import control_count_checks, row_count_checks
from orchestration.jobs import loggers, nightly_job
from orchestration.resources import default_resources

defs = dg.Definitions(
    assets=[momentum_extract, opera_extract, omraader_adresser, lbf_beboerdata, roster_deltagere, plans, dbt_models, publication],
    asset_checks=control_count_checks + row_count_checks,
    jobs=[nightly_job],
    resources=default_resources(),
    executor=dg.in_process_executor,
    loggers=loggers,
)
