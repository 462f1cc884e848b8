"""Layer 3: the status report per plan (issue 16), built from the published DuckDB file only.

It reads `published.indicator_values`, `published.maalgruppe_status` and
`published.publication_log` — never the warehouse — so a report carries exactly the disclosure
control BI users get, and the plan files (names, parties, targets, not-measurable goals).
Called by the Dagster asset `status_reports` (orchestration/assets/report.py) and by
`helhedsdata report`."""
