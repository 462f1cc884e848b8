"""The retention (warehouse/retention.py) on hand-made home folders: what it keeps, what it
deletes, what `helhedsdata prune --dry-run` says, and how an archive entry that still holds the
deliveries (format 1, before issue 15) is converted or deleted. No pipeline run."""
from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.inbox_builder import REGISTER, d, write_momentum, write_register
from tests.test_privacy import CPR_SHAPE
from warehouse import history, retention
from warehouse.config import Settings

NOW = datetime(2026, 6, 15, 3, 0)


def _entry(home: Path, extract: str, archived: datetime, fmt: int = 2, size: int = 1000) -> Path:
    entry = home / "archive" / extract
    (entry / "tables").mkdir(parents=True)
    (entry / "tables" / "momentum__maalgruppe.parquet").write_bytes(b"x" * size)
    info = {"archived_at": archived.isoformat(timespec="seconds"), "publication_id": extract}
    if fmt == 2:
        info["format"] = 2
    (entry / history.ARCHIVE_INFO).write_text(json.dumps(info))
    return entry


def _settings(tmp_path) -> Settings:
    home = tmp_path / "home"
    home.mkdir()
    return Settings(home, home / "inbox")


def _planned(s: Settings, **kw) -> dict[str, retention.Action]:
    return {a.what: a for a in retention.plan(s, retention.Retention(**kw), now=NOW)}


def test_archive_entries_are_kept_35_days_month_ends_5_years_and_the_newest_always(tmp_path):
    s = _settings(tmp_path)
    days = lambda n: NOW - timedelta(days=n)  # noqa: E731
    _entry(s.home, "20200130", days(6 * 365))       # month-end of January 2020, archived 6 years ago
    _entry(s.home, "20210130", days(4 * 365))       # month-end of January 2021, 4 years ago
    _entry(s.home, "20210115", days(4 * 365 + 15))  # a daily entry of January 2021
    _entry(s.home, "20260505", days(36))            # a daily entry, 36 days old
    _entry(s.home, "20260509", days(35) + timedelta(hours=1))  # inside 35 days, just
    _entry(s.home, "20260531", days(40))            # month-end of May 2026
    _entry(s.home, "20260610", days(5))             # this month's newest
    planned = _planned(s)
    assert set(planned) == {"archive/20200130", "archive/20210115", "archive/20260505"}
    assert all(a.kind == "delete" for a in planned.values())
    assert "more than 5 years ago" in planned["archive/20200130"].reason
    assert "more than 35 days ago" in planned["archive/20260505"].reason


def test_the_newest_entry_is_never_deleted_however_old(tmp_path):
    s = _settings(tmp_path)
    _entry(s.home, "20150105", NOW - timedelta(days=20 * 365))
    _entry(s.home, "20150107", NOW - timedelta(days=20 * 365))
    assert set(_planned(s)) == {"archive/20150105"}


def test_quarantine_and_logs_past_their_retention(tmp_path):
    s = _settings(tmp_path)
    for name, age in (("20260501", 31), ("20260520", 29)):
        folder = s.quarantine / "momentum" / name
        folder.mkdir(parents=True)
        (folder / "maalgruppe.csv").write_text("x" * 50)
        (folder / "REJECTED.json").write_text(json.dumps({"rejected_at": (NOW - timedelta(days=age)).isoformat()}))
    s.logs.mkdir()
    old, new = s.logs / "runs.jsonl.1", s.logs / "runs.jsonl"
    old.write_text("a")
    new.write_text("b")
    stamp = (NOW - timedelta(days=91)).timestamp()
    os.utime(old, (stamp, stamp))
    os.utime(new, (NOW.timestamp(), NOW.timestamp()))
    planned = _planned(s)
    assert set(planned) == {"quarantine/momentum/20260501", "logs/runs.jsonl.1"}


def test_retention_is_configured_from_the_environment(monkeypatch):
    monkeypatch.setenv("HELHEDSDATA_RETAIN_DAILY_DAYS", "10")
    monkeypatch.setenv("HELHEDSDATA_RETAIN_MONTH_END_YEARS", "")
    r = retention.Retention.from_env()
    assert (r.daily_days, r.month_end_years, r.quarantine_days, r.run_history_days) == (10, 5, 30, 90)
    monkeypatch.setenv("HELHEDSDATA_RETAIN_QUARANTINE_DAYS", "a month")
    with pytest.raises(retention.ConfigError, match="HELHEDSDATA_RETAIN_QUARANTINE_DAYS must be a whole number"):
        retention.Retention.from_env()


def test_prune_dry_run_says_what_it_would_free_and_changes_nothing_then_prunes(tmp_path, capsys, monkeypatch):
    from cli.main import main

    s = _settings(tmp_path)
    _entry(s.home, "20260101", datetime.utcnow() - timedelta(days=100), size=2_000_000)
    _entry(s.home, "20260115", datetime.utcnow() - timedelta(days=99), size=5)  # January's month end
    _entry(s.home, "20260601", datetime.utcnow(), size=7)
    for var in ("HELHEDSDATA_HOME", "HELHEDSDATA_INBOX", "HELHEDSDATA_PLANS", "HELHEDSDATA_WAREHOUSE",
                "DAGSTER_HOME", "DBT_LOG_PATH"):  # the command exports its home's settings: restored after
        monkeypatch.setenv(var, os.environ.get(var, ""))
    assert main(["prune", "--home", str(s.home), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would delete archive/20260101 (daily entry archived" in out and ": 2.0 MB" in out
    assert "Dry run: 1 action(s), 2.0 MB would be freed; nothing changed." in out
    assert (s.home / "archive" / "20260101").exists()
    assert main(["prune", "--home", str(s.home)]) == 0
    out = capsys.readouterr().out
    assert "deleted archive/20260101" in out and "1 action(s) done, 2.0 MB freed" in out
    assert sorted(p.name for p in (s.home / "archive").iterdir()) == ["20260115", "20260601"]
    assert main(["prune", "--home", str(s.home)]) == 0
    assert "Nothing is past its retention." in capsys.readouterr().out


def test_old_dagster_runs_are_deleted_with_their_event_logs(tmp_path):
    import dagster as dg

    s = _settings(tmp_path)
    s.dagster_home.mkdir(parents=True)

    @dg.op
    def noop():
        return 1

    @dg.job
    def tiny():
        noop()

    with dg.DagsterInstance.local_temp(str(s.dagster_home)) as instance:
        run_id = tiny.execute_in_process(instance=instance).run_id
        now = datetime.utcnow()
        assert retention.plan(s, retention.Retention(), now=now, instance=instance) == []
        later = retention.plan(s, retention.Retention(), now=now + timedelta(days=91), instance=instance)
        assert [a.what for a in later] == [f"run {run_id[:8]}"]
        retention.apply(later)
        assert instance.get_run_by_id(run_id) is None
        assert not list(instance.all_logs(run_id))


def _raw_entry(home: Path, extract: str, archived: datetime) -> Path:
    """An entry as archived before issue 15: the deliveries themselves."""
    entry = home / "archive" / extract
    write_momentum(entry, extract, {
        "borger_adresse.csv": [("010190-3001", "Søstjernevej", "12A", "", "", "6400", "Sønderborg", "540",
                                d("2015-01-01"), "")],
        "maalgruppe.csv": [("010190-3001", "6.2", "", d("2020-01-01"), "", "")],
        "tilbud.csv": [("010190-3001", "T-1", "Virksomhedspraktik", d("2020-06-01"), d("2020-08-31"), "15,0", "", "")],
        "samtale.csv": [("010190-3001", "S-1", "Jobsamtale", d("2020-09-01"), d("2020-09-01"), "Afholdt")],
    })
    write_register(entry, REGISTER)
    (entry / "plans").mkdir()
    (entry / "plans" / "p.yaml").write_text("id: p\n")
    (entry / history.ARCHIVE_INFO).write_text(json.dumps({
        "publication_id": "old", "archived_at": archived.isoformat(timespec="seconds"),
        "extract_dates": {"momentum": f"{extract[:4]}-{extract[4:6]}-{extract[6:]}"}}))
    return entry


def test_an_old_archive_entry_with_deliveries_is_converted_or_deleted(tmp_path, pseudonym_key):
    s = _settings(tmp_path)
    _raw_entry(s.home, "20210201", datetime.utcnow() - timedelta(days=6 * 365))  # a month end past 5 years
    _raw_entry(s.home, "20210301", datetime.utcnow() - timedelta(days=3))
    planned = {a.what: a for a in retention.plan(s, retention.Retention(), pseudo=pseudonym_key)}
    assert planned["archive/20210201"].kind == "delete" and "CPR numbers" in planned["archive/20210201"].reason
    assert planned["archive/20210301"].kind == "convert"
    done, freed = retention.apply(list(planned.values()))
    assert not any(line.startswith("FAILED") for line in done), done
    entry = s.home / "archive" / "20210301"
    assert not (s.home / "archive" / "20210201").exists()
    assert history.entry_format(entry) == 2
    assert history.entry_fingerprint(entry) == history.key_fingerprint(pseudonym_key)
    files = sorted(str(p.relative_to(entry)) for p in entry.rglob("*") if p.is_file())
    assert "tables/momentum__maalgruppe.parquet" in files and "tables/omraader__adresser.parquet" in files
    assert not [f for f in files if f.endswith(".csv") and not f.endswith("_kontrol.csv")], files
    assert pq.read_table(entry / "tables" / "momentum__maalgruppe.parquet").num_rows == 1
    text = "\n".join(p.read_bytes().decode("utf-8", "replace") for p in entry.rglob("*") if p.is_file())
    assert not CPR_SHAPE.search(text)
    # Streets and house numbers are read and dropped by the readers (the register's area names stay).
    for table in ("omraader__adresser", "momentum__borger_adresse"):
        names = set(pq.read_schema(entry / "tables" / f"{table}.parquet").names)
        assert not names & {"vejnavn", "husnummer", "etage", "side_doer"}, names
    # A converted entry reads back as the readers hand it over.
    tables, extract_date, origin = history.read_archived(entry, "momentum")
    assert extract_date.isoformat() == "2021-03-01" and origin.endswith("momentum/20210301")
    assert tables["maalgruppe"].column("person_key").to_pylist()[0] == pseudonym_key.pseudonymize(
        __import__("pyarrow").array(["0101903001"]), "cpr")[0].as_py()


def test_a_conversion_without_the_key_fails_and_keeps_the_entry(tmp_path):
    s = _settings(tmp_path)
    entry = _raw_entry(s.home, "20210301", datetime.utcnow())
    done, _ = retention.apply(retention.plan(s, retention.Retention(), pseudo=None))
    assert len(done) == 1 and done[0].startswith("FAILED to convert archive/20210301")
    assert "HELHEDSDATA_PSEUDONYM_KEY" in done[0]
    assert (entry / "momentum" / "20210301" / "maalgruppe.csv").exists()
