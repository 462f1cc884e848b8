"""Operations through real runs (one module-scoped sequence on a 500-person inbox, with
PostgreSQL publication): a full run, a Momentum-only subset run that publishes, and a
failed run whose notice reaches a local SMTP and HTTP receiver. Then the run_failure
sensor's path on a failed run the daemon could have started."""
import json
import os
import re
import shutil
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import duckdb
import pytest

from warehouse import inbox_state
from warehouse.config import REPO, Settings
from tests.conftest import PG_SERVER, query, restored_environ

pytestmark = pytest.mark.slow  # every test here needs a pipeline run

CPR = re.compile(r"\b\d{6}-?\d{4}\b")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Receivers:
    """A local SMTP server (aiosmtpd) and a local HTTP server, recording what they get."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.mails: list[str] = []
        self.posts: list[dict] = []
        outer = self

        class Mail:
            async def handle_DATA(self, server, session, envelope):
                outer.mails.append(envelope.content.decode("utf-8", "replace"))
                return "250 OK"

        class Hook(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.posts.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.smtp = Controller(Mail(), hostname="127.0.0.1", port=_free_port())
        self.smtp.start()
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.env = {"HELHEDSDATA_NOTIFY_SMTP_HOST": "127.0.0.1", "HELHEDSDATA_NOTIFY_SMTP_PORT": str(self.smtp.port),
                    "HELHEDSDATA_NOTIFY_EMAIL_TO": "drift@jobcenter.example",
                    "HELHEDSDATA_NOTIFY_WEBHOOK": f"http://127.0.0.1:{self.http.server_port}/hook"}

    def close(self):
        self.smtp.stop()
        self.http.shutdown()


def _materialized(instance, run_id: str) -> set[str]:
    recs = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    return {r.event_log_entry.dagster_event.asset_key.to_user_string() for r in recs}


def _last_run_id(instance) -> str:
    return instance.get_runs(limit=1)[0].run_id


def _person_keys(home) -> set[str]:  # as text, to look for in logs
    return {str(r[0]) for r in query(home / "warehouse.duckdb",
                                "SELECT DISTINCT person_key FROM raw.momentum__maalgruppe LIMIT 2000")}


def _pg_log(url):
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con:
        return con.execute("SELECT publication_id, status, message, freshness FROM published.publication_log "
                           "ORDER BY published_at").fetchall()


@pytest.fixture(scope="module")
def ops(tmp_path_factory):
    """Run 1 full, run 2 --only-changed after a new Momentum extract, run 3 --only-changed
    after a plan broke (fails: a notice goes out)."""
    import psycopg

    from cli.main import main, run_pipeline

    root = tmp_path_factory.mktemp("ops")
    inbox, home, plans = root / "inbox", root / "home", root / "plans"
    assert main(["generate", "--out", str(inbox), "--persons", "500", "--seed", "11"]) == 0
    shutil.copytree(REPO / "plans", plans)
    db = f"helhedsdata_i6_ops_{os.getpid()}"
    admin = "host=127.0.0.1 port=5432 user=postgres dbname=test"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        con.execute(f"CREATE DATABASE {db}")
    url = f"{PG_SERVER}/{db}"
    settings = Settings(home.resolve(), inbox.resolve(), url, plans.resolve())
    receivers = _Receivers()
    out = {"settings": settings, "receivers": receivers, "url": url}
    try:
        with restored_environ(*receivers.env, "HELHEDSDATA_PUBLISH_URL", "HELHEDSDATA_PLANS",
                              "HELHEDSDATA_HOME", "HELHEDSDATA_INBOX", "DAGSTER_HOME"):
            os.environ.update(receivers.env)
            assert run_pipeline(settings, quiet=True)
            with dg.DagsterInstance.get() as instance:
                out["run1"] = _last_run_id(instance)
            newest = sorted((inbox / "momentum").iterdir())[-1]
            name = str(int(newest.name) + 1)  # the next day's extract: same files, a new folder
            shutil.copytree(newest, inbox / "momentum" / name)
            out["new_extract"] = name
            assert run_pipeline(settings, quiet=True, only_changed=True)
            with dg.DagsterInstance.get() as instance:
                out["run2"] = _last_run_id(instance)
            out["published_after_run2"] = query(settings.published, "SELECT count(*) FROM published.indicator_values")
            plan = sorted(plans.glob("*.yaml"))[0]
            plan.write_text(plan.read_text().replace("delmaal:", "delmaal_broken:", 1))
            assert not run_pipeline(settings, quiet=True, only_changed=True)
            with dg.DagsterInstance.get() as instance:
                out["run3"] = _last_run_id(instance)
            yield out
    finally:
        receivers.close()
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


def test_momentum_only_run_rebuilds_momentum_and_publishes(ops):
    s = ops["settings"]
    with dg.DagsterInstance.get() as instance:
        full, subset = _materialized(instance, ops["run1"]), _materialized(instance, ops["run2"])
        run2 = instance.get_run_by_id(ops["run2"])
    for key in ("lbf/beboerdata", "roster/deltagere", "omraader/adresser", "plans/plan_indicators"):
        assert key in full and key not in subset, key
    assert not [k for k in subset if k.startswith("opera/")]
    assert "momentum/maalgruppe" in subset and "publication" in subset
    assert run2.tags[inbox_state.SOURCES_TAG] == "momentum"
    assert len(subset) < len(full)
    log = query(s.published, "SELECT publication_id, status, message, extract_dates, freshness "
                             "FROM published.publication_log ORDER BY published_at")
    pub2 = [r for r in log if r[0] == ops["run2"]]
    assert pub2 and pub2[0][1] == "published" and "rebuilt only what changed: momentum" in pub2[0][2]
    new_date = f"{ops['new_extract'][:4]}-{ops['new_extract'][4:6]}-{ops['new_extract'][6:]}"
    assert json.loads(pub2[0][3])["momentum"] == new_date  # the new extract was published
    fresh = json.loads(pub2[0][4])
    assert set(fresh) == {"momentum", "roster", "lbf", "omraader"}
    assert fresh["momentum"]["as_of"] == new_date and fresh["momentum"]["max_age_days"] == 2
    assert ops["published_after_run2"][0][0] > 0
    # PostgreSQL got the same publication and the freshness column.
    pg = {r[0]: r for r in _pg_log(ops["url"])}
    assert pg[ops["run2"]][1] == "published" and json.loads(pg[ops["run2"]][3]) == fresh


def test_publication_metadata_has_seconds_per_step_and_freshness(ops):
    with dg.DagsterInstance.get() as instance:
        mat = instance.get_latest_materialization_event(dg.AssetKey("publication")).asset_materialization
    seconds = mat.metadata["seconds_per_step"].value
    assert "momentum_extract" in seconds and "dbt_models" in seconds
    assert "lbf_beboerdata" not in seconds  # the subset run did not read LBF
    assert all(v >= 0 for v in seconds.values()) and seconds["dbt_models"] > 0
    assert set(mat.metadata["freshness"].value) == {"momentum", "roster", "lbf", "omraader"}
    assert mat.metadata["rebuilt_sources"].value == "momentum"


def test_freshness_checks_are_warn_checks_in_the_run(ops):
    with dg.DagsterInstance.get() as instance:
        recs = instance.get_records_for_run(ops["run1"], of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    fresh = {r.event_log_entry.dagster_event.event_specific_data.asset_key.path[0]:
             r.event_log_entry.dagster_event.event_specific_data for r in recs
             if r.event_log_entry.dagster_event.event_specific_data.check_name == "extract_is_fresh"}
    assert set(fresh) == {"momentum", "roster", "lbf", "omraader"}
    assert all(ev.severity == dg.AssetCheckSeverity.WARN for ev in fresh.values())
    report = inbox_state.freshness(ops["settings"].inbox, ops["settings"].plans)
    assert {k: ev.passed for k, ev in fresh.items()} == {k: r["fresh"] for k, r in report.items()}


def test_failed_run_is_logged_in_file_and_postgres_and_noticed_without_person_data(ops):
    s, rec = ops["settings"], ops["receivers"]
    log = {r[0]: r for r in query(s.published, "SELECT publication_id, status, message, freshness "
                                               "FROM published.publication_log")}
    row = log[ops["run3"]]
    assert row[1] == "failed" and "plans" in row[2] and json.loads(row[3])["momentum"]["as_of"]
    assert _pg_log(ops["url"])[-1][:2] == (ops["run3"], "failed")
    # The previous publication stays: the PostgreSQL tables are run 2's.
    assert query(s.published, "SELECT count(*) FROM published.indicator_values") == ops["published_after_run2"]
    assert len(rec.mails) == 1 and len(rec.posts) == 1
    mail, post = rec.mails[0], rec.posts[0]
    assert f"run {ops['run3'][:8]}" in mail and "NOT published (failed)" in mail and "plans" in mail
    assert post["run_id"] == ops["run3"] and post["status"] == "failed" and "plans" in post["failed_steps"]
    keys = _person_keys(s.home)
    assert keys
    for text in (mail, json.dumps(post)):
        assert not CPR.search(text)
        assert not [k for k in keys if k in text]


def test_run_failure_sensor_records_and_notices_a_daemon_run(ops):
    """A run the daemon started (no cli tag) fails: the sensor writes the row and sends the
    notice; a CLI run is left to the CLI (it did both already)."""
    from orchestration.sensors import not_published_sensor

    s, rec = ops["settings"], ops["receivers"]
    s.export_env()
    mails_before, posts_before = len(rec.mails), len(rec.posts)

    @dg.op
    def breaks():
        raise RuntimeError("disk full")

    @dg.job(name="nightly")
    def failing():
        breaks()

    with dg.DagsterInstance.get() as instance:
        result = failing.execute_in_process(instance=instance, raise_on_error=False)
        assert not result.success
        ctx = dg.build_run_status_sensor_context(
            sensor_name="not_published_sensor", dagster_event=result.get_run_failure_event(),
            dagster_instance=instance, dagster_run=result.dagster_run).for_run_failure()
        not_published_sensor(ctx)
        cli_run = instance.get_run_by_id(ops["run3"])
        cli_event = instance.get_records_for_run(ops["run3"], of_type=dg.DagsterEventType.RUN_FAILURE).records[0]
        cli_ctx = dg.build_run_status_sensor_context(
            sensor_name="not_published_sensor", dagster_event=cli_event.event_log_entry.dagster_event,
            dagster_instance=instance, dagster_run=cli_run).for_run_failure()
        assert isinstance(not_published_sensor(cli_ctx), dg.SkipReason)
    log = {r[0]: r for r in query(s.published, "SELECT publication_id, status, message FROM published.publication_log")}
    assert log[result.run_id][1] == "failed" and "breaks" in log[result.run_id][2]
    assert _pg_log(ops["url"])[-1][:2] == (result.run_id, "failed")
    assert len(rec.mails) == mails_before + 1 and len(rec.posts) == posts_before + 1
    assert rec.posts[-1]["run_id"] == result.run_id and "disk full" not in json.dumps(rec.posts[-1])
    assert ops["run3"] not in [p["run_id"] for p in rec.posts[posts_before:]]


def test_only_changed_with_nothing_changed_starts_no_run(ops, capsys):
    """Against the last successful run (run 2): the failed run 3's broken plan still counts
    as changed; the repo's plans (the copy's originals, same names, sizes and times) do not."""
    from cli.main import run_pipeline
    from orchestration.definitions import defs
    from orchestration.jobs import changed_selection

    s = ops["settings"]
    with dg.DagsterInstance.get() as instance:
        changed, keys = changed_selection(instance, defs.resolve_asset_graph(), s,
                                          inbox_state.fingerprints(s.inbox, s.plans))
        assert changed == ["plans"] and "lbf/beboerdata" not in {k.to_user_string() for k in keys}
        runs_before = len(instance.get_runs())
    assert run_pipeline(Settings(s.home, s.inbox, s.publish_url, REPO / "plans"), quiet=True, only_changed=True)
    assert "Nothing in the inbox changed" in capsys.readouterr().out
    with dg.DagsterInstance.get() as instance:
        assert len(instance.get_runs()) == runs_before
