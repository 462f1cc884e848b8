"""The command line `helhedsdata` (cli/main.py): the only place, with the Dagster UI, that starts
a run. Layer 4 of 4 (docs/architecture.md): it may import every layer below it and the
synthetic-data generator (`synth/`, for `helhedsdata generate` and the demo)."""
