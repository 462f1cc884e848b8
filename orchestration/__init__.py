"""The Dagster code location: assets, checks, resources and jobs assembled into one Definitions."""
