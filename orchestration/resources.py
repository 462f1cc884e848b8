from __future__ import annotations

from pathlib import Path

import dagster as dg

from helhedsdata.config import Settings


class HelhedsdataResource(dg.ConfigurableResource):
    """The home folder (warehouse, published file, quarantine) and the inbox."""

    home: str
    inbox: str

    @property
    def settings(self) -> Settings:
        return Settings(Path(self.home), Path(self.inbox))


def default_resources() -> dict:
    from orchestration.assets.dbt import dbt_resource

    s = Settings.from_env()
    s.export_env()  # dbt's profile reads the warehouse path from the environment
    return {"helhedsdata": HelhedsdataResource(home=str(s.home), inbox=str(s.inbox)), "dbt": dbt_resource()}
