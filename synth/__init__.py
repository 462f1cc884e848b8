"""The synthetic-data generator: writes inboxes of made-up persons in the sources' own
formats (for the demo, the tests and the benchmark). It stands apart from the pipeline: it
imports no product package, and no product package but the command line imports it."""
