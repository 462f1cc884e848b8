from typing import Optional

import dagster as dg

from warehouse.config import Settings


class HelhedsdataResource(dg.ConfigurableResource):
    """The home folder (warehouse, published file, quarantine) and the inbox. Unset
    fields are resolved from HELHEDSDATA_HOME / HELHEDSDATA_INBOX when a run starts,
    not when the code location loads."""

    home: Optional[str] = None
    inbox: Optional[str] = None

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # Once per run process, whoever launched it (`helhedsdata run`, the schedule, the
        # sensor, the UI): what is loaded by now leaves the garbage collector's work, and
        # the readers' Arrow buffers come from jemalloc (orchestration/memory.py).
        from orchestration.memory import tune_garbage_collector, use_jemalloc_for_arrow

        tune_garbage_collector()
        use_jemalloc_for_arrow()

    @property
    def settings(self) -> Settings:
        s = Settings.from_env(self.home, self.inbox)
        s.export_env()  # dbt's profile reads the warehouse path from the environment
        return s
