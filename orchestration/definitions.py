"""The one Definitions object: `dagster dev -m orchestration.definitions`."""
import dagster as dg

from orchestration.assets.dbt import dbt_models, dbt_resource
from orchestration.assets.ingest import (
    lbf_beboerdata,
    momentum_extract,
    omraader_adresser,
    opera_extract,
    plans,
    roster_deltagere,
)
from orchestration.assets.publish import publication
from orchestration.assets.report import status_reports
from orchestration.checks import control_count_checks, freshness_checks, row_count_checks
from orchestration.jobs import loggers, nightly_job
from orchestration.resources import HelhedsdataResource
from orchestration.schedules import nightly_schedule
from orchestration.sensors import inbox_sensor, not_published_sensor

defs = dg.Definitions(
    assets=[momentum_extract, opera_extract, omraader_adresser, lbf_beboerdata, roster_deltagere, plans, dbt_models, publication,
            status_reports],
    asset_checks=control_count_checks + row_count_checks + freshness_checks,
    schedules=[nightly_schedule],
    sensors=[inbox_sensor, not_published_sensor],
    jobs=[nightly_job],
    resources={"helhedsdata": HelhedsdataResource(), "dbt": dbt_resource()},
    executor=dg.in_process_executor,
    loggers=loggers,
)
