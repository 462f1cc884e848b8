"""The status report per plan (issue 16): after every successful publication, one HTML file per
plan and an index in <home>/reports, built from the published file only (report/)."""
import dagster as dg

from report.build import build
from warehouse.plans import load_plans
from orchestration.resources import HelhedsdataResource


@dg.asset(deps=["publication"], group_name="published", kinds={"html"},
          description="One self-contained HTML status report per plan and index.html in <home>/reports, "
                      "built from the published file only (the disclosure control BI users get); "
                      "see docs/runbook.md, 'Status reports'.")
def status_reports(context: dg.AssetExecutionContext, helhedsdata: HelhedsdataResource):
    s = helhedsdata.settings
    reports = build(s.published, load_plans(s.plans), s.reports)
    for r in reports:
        context.log.info(f"Status report {r.plan.id}: {r.path} ({r.path.stat().st_size / 1024:.0f} KB)"
                         + ("" if r.covered else "; the publication holds no figures for this plan"))
    return dg.MaterializeResult(metadata={
        "index": dg.MetadataValue.path(str(s.reports / "index.html")),
        "reports": dg.MetadataValue.json({r.plan.id: {"file": r.path.name, "bytes": r.path.stat().st_size,
                                                      "covered": r.covered, "on_track": r.counts}
                                          for r in reports}),
    })
