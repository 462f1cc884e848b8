import dagster as dg

from orchestration.progress import progress_logger

# Everything, in process: DuckDB has one writer, so steps must not run in parallel
# processes, and the multiprocess executor's start-up costs seconds per step.
nightly_job = dg.define_asset_job("nightly", selection=dg.AssetSelection.all(),
                                  description="Ingest the inbox, build and test the warehouse, publish.")

# Loggers available to runs of every job; the CLI selects `progress` through run config.
loggers = {"progress": progress_logger, "console": dg.colored_console_logger}
