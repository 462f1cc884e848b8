"""The command line for the people who run it (issue 17): `--help` that explains, `--version`,
`helhedsdata check` before a night, a run that fails fast on a wrong setting, and the summary
at the end of a run. No pipeline run: small hand-made inboxes and publication files."""
from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from cli.main import build_parser, main, print_run_summary
from tests.inbox_builder import d, write_momentum, write_register
from warehouse.config import Settings

REPO = Path(__file__).resolve().parents[1]


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_version_is_the_installed_package_version(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"helhedsdata {version('helhedsdata')}"


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_command_explains_itself(name):
    cmd = _subcommands()[name]
    text = cmd.format_help()
    assert len(cmd.description) > 80  # more than the one-line summary
    assert "exit codes:\n  0  " in text
    for action in cmd._actions:
        if action.option_strings and action.dest != "help":
            assert action.help, f"{name} {action.option_strings} has no help"
            if action.default not in (None, False):
                assert f"(default: {action.default})" in " ".join(text.split()), (name, action.dest)


def test_the_commands_that_read_settings_name_their_environment_variables():
    cmds = _subcommands()
    for name, variables in {"run": ["HELHEDSDATA_HOME", "HELHEDSDATA_INBOX", "HELHEDSDATA_PLANS",
                                    "HELHEDSDATA_PSEUDONYM_KEY", "HELHEDSDATA_PUBLISH_URL", "HELHEDSDATA_NOTIFY_*",
                                    "HELHEDSDATA_RETAIN_*"],
                            "check": ["HELHEDSDATA_INBOX", "HELHEDSDATA_PLANS", "HELHEDSDATA_PSEUDONYM_KEY"],
                            "prune": ["HELHEDSDATA_HOME", "HELHEDSDATA_RETAIN_*"]}.items():
        text = cmds[name].format_help()
        assert "environment:" in text
        for v in variables:
            assert f"\n  {v} " in text, (name, v)


def _inbox(root: Path, broken_newest: bool) -> Path:
    inbox = root / "inbox"
    rows = {"borger_adresse.csv": [("010190-3001", "Søstjernevej", "12A", "", "", "6400", "Sønderborg", "540",
                                    d("2015-01-01"), "")],
            "maalgruppe.csv": [("010190-3001", "6.2", "", d("2020-01-01"), "", "")],
            "tilbud.csv": [("010190-3001", "T-1", "Virksomhedspraktik", d("2020-06-01"), d("2020-08-31"), "15,0", "", "")],
            "samtale.csv": [("010190-3001", "S-1", "Jobsamtale", d("2020-09-01"), d("2020-09-01"), "Afholdt")]}
    write_momentum(inbox, "20210201", rows)
    bad = dict(rows)
    if broken_newest:
        bad["maalgruppe.csv"] = rows["maalgruppe.csv"] + [("010190-3002", "6.2", "", "31-02-2020", "", "")]
    write_momentum(inbox, "20210301", bad)
    write_register(inbox)
    return inbox


def test_check_says_what_a_run_would_reject_and_accept_and_writes_nothing(tmp_path, capsys):
    inbox = _inbox(tmp_path, broken_newest=True)
    before = sorted(p for p in tmp_path.rglob("*"))
    assert main(["check", "--inbox", str(inbox), "--home", str(tmp_path / "home")]) == 0
    out = capsys.readouterr().out
    assert "20210301: a run would REJECT it (moved to the quarantine)" in out
    assert "momentum/20210301/maalgruppe.csv, line 3: " in out  # file, line (header is line 1) and rule
    assert "20210201: accepted; extract date 01.02.2021; rows borger_adresse 1, maalgruppe 1" in out
    assert "A run would publish." in out
    assert "010190" not in out  # never a value
    assert sorted(p for p in tmp_path.rglob("*")) == before  # nothing written, nothing moved


def test_check_exit_1_when_a_run_would_not_publish(tmp_path, capsys):
    inbox = _inbox(tmp_path, broken_newest=False)
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "broken.yaml").write_text("id: broken\nname: 12\n")
    assert main(["check", "--inbox", str(inbox), "--plans", str(plans), "--home", str(tmp_path / "home")]) == 1
    out = capsys.readouterr().out
    assert "plans  (BLOCKS A RUN)" in out and "broken.yaml" in out
    assert "A run would NOT publish" in out


@pytest.mark.parametrize("case, message", [
    ("no inbox", "the inbox {root}/nowhere does not exist: give --inbox or set HELHEDSDATA_INBOX"),
    ("empty plans", "holds no plan (*.yaml)"),
    ("bad notice", "HELHEDSDATA_NOTIFY_SMTP_PORT must be a port number"),
    ("no key", "HELHEDSDATA_PSEUDONYM_KEY is not set: refusing to read a real inbox"),
])
@pytest.mark.parametrize("command", ["check", "run"])
def test_check_and_run_stop_before_starting_on_a_wrong_setting(tmp_path, capsys, monkeypatch, case, message, command):
    inbox = _inbox(tmp_path, broken_newest=False)
    args = ["--inbox", str(inbox), "--home", str(tmp_path / "home")]
    if case == "no inbox":
        args[1] = str(tmp_path / "nowhere")
    if case == "empty plans":
        (tmp_path / "plans").mkdir()
        monkeypatch.setenv("HELHEDSDATA_PLANS", str(tmp_path / "plans"))
    if case == "bad notice":
        monkeypatch.setenv("HELHEDSDATA_NOTIFY_SMTP_PORT", "smtp")
    if case == "no key":
        monkeypatch.delenv("HELHEDSDATA_PSEUDONYM_KEY")
    assert main([command, *args]) == 2
    assert message.format(root=tmp_path) in capsys.readouterr().err
    assert not (tmp_path / "home").exists()  # Dagster and dbt never started


def _publication(path: Path, status: str, freshness: dict, checks: list[dict]) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA published")
    con.execute("""CREATE TABLE published.publication_log AS SELECT ?::VARCHAR AS status, ?::VARCHAR AS extract_dates,
        ?::VARCHAR AS row_counts, ?::VARCHAR AS checks, ?::VARCHAR AS message, ?::VARCHAR AS freshness,
        ?::TIMESTAMP AS published_at""",
                [status, json.dumps({"momentum": "2021-02-01", "opera": "2019-12-31"}),
                 json.dumps({"indicator_values": 234, "maalgruppe_status": 12100}), json.dumps(checks),
                 "233 checks passed", json.dumps(freshness), datetime.now()])
    con.close()


def test_the_end_of_a_run_says_what_the_publication_says(tmp_path, capsys):
    s = Settings(tmp_path / "home", tmp_path / "inbox")
    s.home.mkdir()
    _publication(s.published, "published",
                 {"momentum": {"fresh": False, "as_of": "2021-02-01", "age_days": 30, "max_age_days": 2},
                  "lbf": {"fresh": True}},
                 [{"asset": "publication", "check": "indicator_moves_within_threshold", "passed": False,
                   "severity": "WARN"}, {"asset": "momentum/maalgruppe", "check": "gx_suite", "passed": True,
                                         "severity": "ERROR"}])
    report = s.quarantine / "momentum" / "20210301" / "REJECTED.md"
    report.parent.mkdir(parents=True)
    report.write_text("# Rejected")
    print_run_summary(s, True, since=datetime.now().timestamp() - 60)
    out = capsys.readouterr().out
    assert f"Published: {s.published}" in out
    assert "extract dates: momentum 2021-02-01, opera 2019-12-31" in out
    assert "published rows: indicator_values 234, maalgruppe_status 12100" in out
    assert "warning: stale source: momentum (newest 2021-02-01, 30 days old; allowed 2)" in out
    assert "warning: a figure moved beyond its plan's threshold" in out
    assert f"quarantined: momentum/20210301; report {report}" in out
