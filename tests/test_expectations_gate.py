"""A failing Great Expectations suite blocks the load and the publication (issue 5, item 1).

The readers already reject a file that breaks its contract, so a suite can only fail on a
reader's output when reader and suite disagree. The test makes them disagree the way a
drift would: the maalgruppe suite's code list is emptied, so every row breaks it. Two runs
on the sample inbox: the first publishes; in the second the only Momentum extract fails
its suite, so it is quarantined (as a contract fault would be) and, with no older extract
to fall back on, the run must stop before Momentum is loaded, record the failed check with
counts (no values), and leave the publication in place. (The fallback to an older extract
is tested without a pipeline run in test_quality_gaps.py.)"""
import json
import shutil

import dagster as dg
import pytest

from tests.reader_helpers import drifted_suite_loader

from warehouse import expectations as E
from tests.conftest import SAMPLES, query, restored_environ, run_pipeline

pytestmark = pytest.mark.slow  # every test here needs a pipeline run


_ENV = ("HELHEDSDATA_HOME", "HELHEDSDATA_INBOX", "HELHEDSDATA_PLANS", "HELHEDSDATA_WAREHOUSE", "DAGSTER_HOME")


@pytest.fixture(scope="module")
def restore_env():
    """run_pipeline exports its settings to the environment: put them back afterwards, so a
    later test (`helhedsdata demo`) does not find this module's non-synthetic inbox."""
    with restored_environ(*_ENV):
        yield


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, pseudonym_key, restore_env):
    root = tmp_path_factory.mktemp("gxgate")
    inbox, home = root / "inbox", root / "home"
    shutil.copytree(SAMPLES, inbox)
    assert run_pipeline(home, inbox)
    before = {
        "log": query(home / "publication.duckdb", "SELECT count(*) FROM published.publication_log")[0][0],
        "loads": query(home / "warehouse.duckdb",
                       "SELECT max(loaded_at)::VARCHAR FROM meta.loads WHERE source = 'momentum'")[0][0],
        "values": query(home / "publication.duckdb", "SELECT count(*) FROM published.indicator_values")[0][0],
    }
    drifted = drifted_suite_loader(E.load_suite, "momentum__maalgruppe", "maalgruppe_code", lambda v: False)

    mp = pytest.MonkeyPatch()
    mp.setattr(E, "load_suite", drifted)
    try:
        second = run_pipeline(home, inbox)
    finally:
        mp.undo()
    # quarantined whole with a report; put back, as an operator would, for the runs that follow
    extract = next((home / "quarantine" / "momentum").iterdir())
    report = json.loads((extract / "REJECTED.json").read_text(encoding="utf-8"))
    before["quarantine_rules"] = sorted({(v["file"].split("/")[-1], v["rule"]) for v in report["violations"]})
    shutil.move(str(extract), str(inbox / "momentum" / extract.name))
    for p in (inbox / "momentum" / extract.name).glob("REJECTED.*"):
        p.unlink()
    # what the second run left, read now: a later fixture runs the pipeline again
    before["loads_after"] = query(home / "warehouse.duckdb",
                                  "SELECT max(loaded_at)::VARCHAR FROM meta.loads WHERE source = 'momentum'")[0][0]
    before["log_after"] = query(home / "publication.duckdb", "SELECT count(*) FROM published.publication_log")[0][0]
    before["values_after"] = query(home / "publication.duckdb", "SELECT count(*) FROM published.indicator_values")[0][0]
    return home, before, second


def test_second_run_does_not_publish(two_runs):
    home, before, second = two_runs
    assert second is False
    assert before["log_after"] == before["log"] + 1  # the log gains the row saying why (issue 5, item 3)
    assert before["values_after"] == before["values"]


def test_momentum_was_not_loaded_again(two_runs):
    home, before, _ = two_runs
    assert before["loads_after"] == before["loads"]


def test_the_extract_was_quarantined_with_the_failed_expectation(two_runs):
    _, before, _ = two_runs
    assert before["quarantine_rules"] == [("maalgruppe.csv", "expect_column_values_to_be_in_set")]


def test_failed_check_names_expectation_and_counts_without_values(two_runs, monkeypatch):
    home, _, _ = two_runs
    import os

    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    inst = dg.DagsterInstance.get()
    recs = inst.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION), limit=5000)
    failed = [r.event_log_entry.dagster_event.event_specific_data for r in recs]
    failed = [ev for ev in failed if ev.check_name == "gx_suite" and not ev.passed]
    assert [ev.asset_key.to_user_string() for ev in failed] == ["momentum/maalgruppe"]
    md = {k: v.value for k, v in failed[0].metadata.items()}
    rows = query(home / "warehouse.duckdb", "SELECT count(*) FROM raw.momentum__maalgruppe")[0][0]
    # every row of the (small) sample breaks the emptied code list, none is null: rows of rows
    assert md["rows"] == rows and md["rows_validated"] == rows
    fails = md["failed_expectations"]
    assert [(f["expectation"], f["column"], f["unexpected_count"]) for f in fails] == [
        ("expect_column_values_to_be_in_set", "maalgruppe_code", rows)]
    keys = [str(r[0]) for r in query(home / "warehouse.duckdb", "SELECT DISTINCT person_key FROM raw.momentum__maalgruppe")]
    codes = [r[0] for r in query(home / "warehouse.duckdb", "SELECT DISTINCT maalgruppe_code FROM raw.momentum__maalgruppe")]
    text = json.dumps(md, default=str)
    assert not any(k in text for k in keys) and not any(f'"{c}"' in text for c in codes)


@pytest.fixture(scope="module")
def dbt_test_fails(two_runs):
    """Item 2: a third run where the readers and the suites pass but a dbt test fails: the
    address register lists one entrance under a second afdeling (the reader's contract allows
    it; `unique` on stg_omraader__adresser.address_key does not)."""
    home, before, _ = two_runs
    inbox = home.parent / "inbox"
    path = inbox / "omraader" / "adresser.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    first = lines[1].split(";")
    first[1] = first[1] + "9"  # another afdelingsnummer, same street, number and postcode
    path.write_text("\ufeff" + "\n".join(lines + [";".join(first)]) + "\n", encoding="utf-8")
    return home, before, run_pipeline(home, inbox)


def test_failing_dbt_test_is_an_asset_check_and_blocks_publication(dbt_test_fails, monkeypatch):
    home, before, ok = dbt_test_fails
    assert ok is False
    # the tables stay; the log gains one row per run that did not publish (this one and the GX one)
    assert query(home / "publication.duckdb", "SELECT count(*) FROM published.publication_log")[0][0] == before["log"] + 2
    assert query(home / "publication.duckdb", "SELECT status FROM published.publication_log "
                 "ORDER BY published_at DESC LIMIT 1")[0][0] == "blocked"
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    inst = dg.DagsterInstance.get()
    run = inst.get_runs(limit=1)[0]
    recs = inst.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    evs = [r.event_log_entry.dagster_event.event_specific_data for r in recs]
    # extract_is_fresh (WARN) fails for an old synthetic extract; it never blocks.
    failed = {(ev.asset_key.to_user_string(), ev.check_name) for ev in evs
              if not ev.passed and ev.check_name != "extract_is_fresh"}
    assert failed == {("staging/stg_omraader__adresser", "row_rules_stg_omraader__adresser")}
    [broken] = [ev.metadata["broken_rules"].text for ev in evs if ev.check_name == "row_rules_stg_omraader__adresser"]
    assert broken == "address_key is unique: 1 rows"  # the one rule it broke, with its count
    assert all(ev.passed for ev in evs if ev.check_name == "gx_suite")
