"""A run that did not publish: its row in published.publication_log (the DuckDB file and,
when HELHEDSDATA_PUBLISH_URL is set, PostgreSQL), a line in logs/publications.jsonl, a note
in the run's Dagster log, and a notice by e-mail and/or webhook.

One function, `handle_not_published`, for both paths: `helhedsdata run` calls it when its
run did not publish, and the run_failure_sensor calls it for runs the daemon or the UI
started. Everything is read from Dagster's event log by run id.

The notice holds check names, step names, counts, dates and paths: never a value from a
file, so never a CPR, name, address or person_key.

Channels (environment; none set = no notice, the log row is still written):
  HELHEDSDATA_NOTIFY_WEBHOOK      URL that gets a JSON POST
  HELHEDSDATA_NOTIFY_SMTP_HOST    SMTP server; with HELHEDSDATA_NOTIFY_EMAIL_TO (comma-separated)
  HELHEDSDATA_NOTIFY_SMTP_PORT    default 25
  HELHEDSDATA_NOTIFY_EMAIL_FROM   default helhedsdata@<hostname>
  HELHEDSDATA_NOTIFY_SMTP_USER / HELHEDSDATA_NOTIFY_SMTP_PASSWORD   login, when the server wants one
  HELHEDSDATA_NOTIFY_SMTP_STARTTLS  1: STARTTLS before login
"""
from __future__ import annotations

import json
import logging
import os
import socket
import sys

from warehouse.config import Settings

log = logging.getLogger("helhedsdata")


def run_checks(instance, run_id: str) -> list[dict]:
    """Every asset check evaluated in the run: asset, check, passed, severity."""
    import dagster as dg

    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    out = []
    for r in records:
        ev = r.event_log_entry.dagster_event.event_specific_data
        out.append({"asset": ev.asset_key.to_user_string(), "check": ev.check_name, "passed": bool(ev.passed),
                    "severity": ev.severity.value})
    return sorted(out, key=lambda c: (c["asset"], c["check"]))


def failed_steps(instance, run_id: str) -> list[str]:
    import dagster as dg

    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records
    return sorted({r.event_log_entry.dagster_event.step_key for r in records})


def step_seconds(instance, run_id: str) -> dict[str, float]:
    """Seconds per step of the run (Dagster's step stats): where the time went."""
    out = {}
    for st in instance.get_run_step_stats(run_id):
        if st.start_time and st.end_time:
            out[st.step_key] = round(st.end_time - st.start_time, 2)
    return out


def not_published_entry(settings: Settings, instance, run_id: str) -> dict:
    """The log row of a run that did not publish: the failed blocking checks (status
    `blocked`) or, when no check failed, the failed steps (status `failed`)."""
    from warehouse import inbox_state
    from warehouse.publication_log import code_version

    checks = run_checks(instance, run_id)
    steps = failed_steps(instance, run_id)
    blocking = [c for c in checks if not c["passed"] and c["severity"] == "ERROR"]
    if blocking:
        status = "blocked"
        message = ("blocked by check(s) " + ", ".join(f"{c['asset']}:{c['check']}" for c in blocking)
                   + f"; {len(checks) - len(blocking)} of {len(checks)} checks passed or only warned; "
                   "the previous publication stays")
    else:
        status = "failed"
        message = ("failed step(s) " + (", ".join(steps) or "none")
                   + "; no blocking check failed; the previous publication stays")
    return {"publication_id": run_id, "status": status, "checks": checks, "code_version": code_version(),
            "message": message, "extract_dates": {}, "row_counts": {}, "failed_steps": steps,
            "freshness": inbox_state.freshness(settings.inbox, settings.plans)}


def handle_not_published(settings: Settings, instance, run_id: str) -> dict:
    """Record and announce a run that did not publish. The previous publication stays whole."""
    from warehouse.publish import record_not_published

    entry = not_published_entry(settings, instance, run_id)
    written = record_not_published(settings.published, entry)
    pg = None
    if settings.publish_url:
        from warehouse.publish_pg import record_not_published_pg

        try:
            pg = record_not_published_pg(settings.publish_url, entry)
        except Exception as e:  # noqa: BLE001 - the file's row and the notice still go out
            pg = f"failed: {type(e).__name__}"
            log.error("could not add the not-published row to PostgreSQL's publication_log: %s", type(e).__name__)
    settings.logs.mkdir(parents=True, exist_ok=True)
    with open(settings.logs / "publications.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({**entry, "file": str(settings.published), "logged_in_publication": written,
                             "logged_in_postgresql": pg}) + "\n")
    run = instance.get_run_by_id(run_id)
    try:  # the run log in Dagster (UI) says it too
        instance.report_engine_event(f"NOT published: {entry['message']}", dagster_run=run)
    except Exception:  # noqa: BLE001 - the verdict is already recorded; the UI note is a courtesy
        pass
    entry["notice"] = send_notice(compose_notice(settings, entry, step_seconds(instance, run_id)))
    print(f"\nNOT published ({entry['status']}): {entry['message']}", file=sys.__stderr__)
    return entry


def compose_notice(settings: Settings, entry: dict, seconds: dict[str, float] | None = None) -> dict:
    from warehouse import inbox_state

    stale = inbox_state.stale(entry.get("freshness") or {})
    lines = [
        f"helhedsdata run {entry['publication_id']} did NOT publish ({entry['status']}).",
        entry["message"],
        "",
        f"Failed steps: {', '.join(entry.get('failed_steps') or []) or 'none'}",
        "Failed checks: " + (", ".join(f"{c['asset']}:{c['check']} ({c['severity']})"
                                       for c in entry["checks"] if not c["passed"]) or "none"),
        f"Stale sources: {', '.join(stale) or 'none'}",
        f"Home folder: {settings.home}",
        f"Quarantine (rejected extracts, with reports): {settings.quarantine}",
        f"Dagster run log: the run {entry['publication_id'][:8]} in the Dagster UI; runbook: docs/runbook.md",
    ]
    if seconds:
        lines.append("Seconds per step: " + ", ".join(f"{k} {v}" for k, v in seconds.items()))
    return {"subject": f"[helhedsdata] NOT published ({entry['status']}): run {entry['publication_id'][:8]}",
            "text": "\n".join(lines),
            "run_id": entry["publication_id"], "status": entry["status"],
            "failed_steps": entry.get("failed_steps") or [],
            "failed_checks": [f"{c['asset']}:{c['check']}" for c in entry["checks"] if not c["passed"]],
            "stale_sources": stale}


def send_notice(notice: dict, env: dict | None = None) -> list[str]:
    """Send through every configured channel; returns what was sent (or failed). A channel
    that fails is logged, never raised: the run's outcome is already recorded."""
    env = os.environ if env is None else env
    sent = []
    url = env.get("HELHEDSDATA_NOTIFY_WEBHOOK")
    if url:
        try:
            _post(url, notice)
            sent.append("webhook")
        except Exception as e:  # noqa: BLE001
            log.error("notice by webhook failed: %s", type(e).__name__)
            sent.append(f"webhook failed: {type(e).__name__}")
    host, to = env.get("HELHEDSDATA_NOTIFY_SMTP_HOST"), env.get("HELHEDSDATA_NOTIFY_EMAIL_TO")
    if host and to:
        try:
            _mail(host, int(env.get("HELHEDSDATA_NOTIFY_SMTP_PORT") or 25), to, notice, env)
            sent.append("email")
        except Exception as e:  # noqa: BLE001
            log.error("notice by e-mail failed: %s", type(e).__name__)
            sent.append(f"email failed: {type(e).__name__}")
    return sent


def _post(url: str, notice: dict) -> None:
    import urllib.request

    req = urllib.request.Request(url, data=json.dumps(notice).encode("utf-8"), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=20) as resp:
        resp.read()


def _mail(host: str, port: int, to: str, notice: dict, env) -> None:
    import smtplib
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["Subject"] = notice["subject"]
    msg["From"] = env.get("HELHEDSDATA_NOTIFY_EMAIL_FROM") or f"helhedsdata@{socket.gethostname()}"
    msg["To"] = to
    msg.set_content(notice["text"])
    with smtplib.SMTP(host, port, timeout=20) as smtp:
        if env.get("HELHEDSDATA_NOTIFY_SMTP_STARTTLS") == "1":
            smtp.starttls()
        if env.get("HELHEDSDATA_NOTIFY_SMTP_USER"):
            smtp.login(env["HELHEDSDATA_NOTIFY_SMTP_USER"], env.get("HELHEDSDATA_NOTIFY_SMTP_PASSWORD", ""))
        smtp.send_message(msg)
