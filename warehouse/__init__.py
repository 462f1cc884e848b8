"""The library the pipeline calls: settings, plans, the GX suites, disclosure control,
publication (DuckDB file and PostgreSQL), quarantine, history, inbox state, notices.

Layer 2 of 4 (docs/architecture.md): it imports `sources/` and external packages only, never
`orchestration/` (Dagster's code location) or `cli/` (the command line).
"""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("helhedsdata")  # pyproject.toml holds the one version number
except PackageNotFoundError:  # a copy of the tree that was never installed
    __version__ = "0+unknown"
