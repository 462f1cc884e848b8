"""The status report per plan (issue 16): after every successful publication, one HTML file per
plan and an index in <home>/reports, built from the published file only (report/)."""
import dagster as dg

from warehouse import gx_worker
from warehouse.plans import load_plans
from orchestration.resources import HelhedsdataResource

BUILD = "report.build:build_summaries"


@dg.asset(deps=["publication"], group_name="published", kinds={"html"},
          description="One self-contained HTML status report per plan and index.html in <home>/reports, "
                      "built from the published file only (the disclosure control BI users get); "
                      "see docs/runbook.md, 'Status reports'.")
def status_reports(context: dg.AssetExecutionContext, helhedsdata: HelhedsdataResource):
    s = helhedsdata.settings
    reports = _build(context, s.published, load_plans(s.plans), s.reports)
    for r in reports:
        context.log.info(f"Status report {r['plan_id']}: {r['path']} ({r['path'].stat().st_size / 1024:.0f} KB)"
                         + ("" if r["covered"] else "; the publication holds no figures for this plan"))
    return dg.MaterializeResult(metadata={
        "index": dg.MetadataValue.path(str(s.reports / "index.html")),
        "reports": dg.MetadataValue.json({r["plan_id"]: {"file": r["path"].name, "bytes": r["path"].stat().st_size,
                                                         "covered": r["covered"], "on_track": r["counts"]}
                                          for r in reports}),
    })


def warm() -> None:
    """Called as dbt starts: the kept worker imports the reports' modules (matplotlib) while
    dbt runs, instead of this process at the reports' turn."""
    gx_worker.preload(BUILD.split(":")[0])


def _build(context, published, plans, out) -> list[dict]:
    """The reports, built in the night's kept worker process when there is one (GX's, idle by
    now: warehouse/gx_worker.py `beside`), else here."""
    future = gx_worker.beside(BUILD, published, plans, out)
    if future is not None:
        try:
            return gx_worker.answer(future)
        except gx_worker.WorkerDied as e:
            context.log.warning(f"status reports: {e}; built in this process instead")
    from report.build import build_summaries

    return build_summaries(published, plans, out)
