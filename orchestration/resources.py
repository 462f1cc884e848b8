from typing import Optional

import dagster as dg
from pydantic import PrivateAttr

from sources.pseudonym import Pseudonymizer
from warehouse.config import Settings


class HelhedsdataResource(dg.ConfigurableResource):
    """The home folder (warehouse, published file, quarantine) and the inbox. Unset
    fields are resolved from HELHEDSDATA_HOME / HELHEDSDATA_INBOX when a run starts,
    not when the code location loads."""

    home: Optional[str] = None
    inbox: Optional[str] = None
    _pseudonymizer: Optional[Pseudonymizer] = PrivateAttr(default=None)

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

    def pseudonymizer(self) -> Pseudonymizer:
        """One per run: every reader of the night hashes with it and shares its cache of hashed
        values, so a person Momentum's files hashed is not hashed again for Opera, the rosters
        or the address register (Opera at 1 000 000 persons: ~0.35 s CPU; docs/benchmarks.md,
        stop 30)."""
        if self._pseudonymizer is None:
            self._pseudonymizer = self.settings.pseudonymizer()
        return self._pseudonymizer

    def forget_pseudonyms(self) -> None:
        """The readers are done: drop the cache (CPR and address texts with their pseudonyms: 23 MB
        after Momentum and Opera at 1 000 000 persons), so it is not held beside dbt's DuckDB."""
        self._pseudonymizer = None
