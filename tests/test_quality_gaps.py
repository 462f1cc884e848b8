"""Issue 5 gaps, without a pipeline run: a Momentum/Opera extract that fails its GX suite
is quarantined and the next newest good one is used (item 1); a repeated Tilbudsid or
Samtaleid rejects the extract (item 2).

Item 1: the suites are generated from the reader contracts, and every expectation in them
is a rule the reader enforces first (columns, types, required, code lists, patterns, date
ranges, periods, control count, uniqueness). So no file exists that keeps the contract and
fails a suite: a suite can only fail when suite and reader drift apart. The tests make them
drift the way a stale suite would (a code list that lost a code) and run the real GX
validation on real extracts read from disk."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import pytest

from helhedsdata import expectations as E
from helhedsdata.config import Settings
from orchestration.assets import ingest
from sources import momentum
from sources.contract import ContractError
from tests.conftest import SAMPLES

OLD, NEW = "20210301", "20210302"
SAMTALE_HEADER = "CPR-nummer;Samtaleid;Samtaletype;Frist;Afholdt dato;Status"


def _edit(path: Path, fn) -> None:
    text = path.read_bytes().decode("utf-8-sig")
    path.write_bytes(("\ufeff" + fn(text)).encode("utf-8"))


@pytest.fixture
def inbox(tmp_path):
    """Two good Momentum extracts: the newer one has a meeting with status 'Aflyst' (a valid
    code), the older has none."""
    inbox = tmp_path / "inbox"
    for d in (OLD, NEW):
        shutil.copytree(SAMPLES / "momentum" / "20210301", inbox / "momentum" / d)
    _edit(inbox / "momentum" / NEW / "samtale.csv", lambda t: t.replace(";Udeblevet", ";Aflyst"))
    assert ";Aflyst" not in (inbox / "momentum" / OLD / "samtale.csv").read_text(encoding="utf-8-sig")
    return inbox


@pytest.fixture
def drifted(monkeypatch):
    """The samtale suite's status list has lost 'Aflyst' (reader and seed still accept it)."""
    original = E.load_suite

    def load(name, directory=E.SUITES_DIR):
        suite = original(name, directory)
        if name == "momentum__samtale":
            for e in suite["expectations"]:
                if e["type"] == "expect_column_values_to_be_in_set" and e["kwargs"]["column"] == "status":
                    assert "Aflyst" in e["kwargs"]["value_set"]
                    e["kwargs"]["value_set"] = [v for v in e["kwargs"]["value_set"] if v != "Aflyst"]
        return suite

    monkeypatch.setattr(E, "load_suite", load)


def _settings(tmp_path, inbox) -> Settings:
    return Settings((tmp_path / "home").resolve(), inbox.resolve())


def test_the_newer_extract_keeps_its_contract(inbox, pseudonym_key):
    """The premise: the GX failure below is not a contract fault."""
    ext = momentum.read_extract(inbox / "momentum" / NEW, pseudonym_key, inbox)
    assert ext.tables["samtale"].column("status").to_pylist().count("Aflyst") == 1


def test_a_failed_suite_quarantines_the_extract_and_the_older_one_is_used(tmp_path, inbox, drifted, pseudonym_key):
    s = _settings(tmp_path, inbox)
    acc = ingest._accept_newest(dg.build_asset_context(), s, momentum, pseudonym_key)
    assert acc.extract is not None and acc.extract.folder.name == OLD
    assert acc.rejected == [NEW]
    assert all(c.passed for c in acc.checks)  # the accepted extract's results are what is reported
    assert sorted(c.asset_key.to_user_string() for c in acc.checks) == sorted(
        f"momentum/{n}" for n in momentum.CONTRACTS)
    # moved whole, with a report naming file, expectation, count; never a value
    assert not (inbox / "momentum" / NEW).exists()
    dest = s.quarantine / "momentum" / NEW
    assert sorted(p.name for p in dest.iterdir()) == sorted(
        [p.name for p in (inbox / "momentum" / OLD).iterdir()] + ["REJECTED.md", "REJECTED.json"])
    report = json.loads((dest / "REJECTED.json").read_text(encoding="utf-8"))
    assert "Great Expectations" in report["reason"]
    assert [(v["file"], v["rule"], v["count"], v["lines"]) for v in report["violations"]] == [
        (f"momentum/{NEW}/samtale.csv", "expect_column_values_to_be_in_set", 1, [])]
    assert "column status, rule code: 1 of 4 rows validated" in report["violations"][0]["detail"]
    md = (dest / "REJECTED.md").read_text(encoding="utf-8")
    assert f"momentum/{NEW}/samtale.csv" in md and "| expect_column_values_to_be_in_set |" in md
    everything = md + json.dumps(report)
    assert "Aflyst" not in everything and "S-4" not in everything
    cprs = {l.split(";")[0] for l in (dest / "samtale.csv").read_text(encoding="utf-8-sig").splitlines()[1:] if l}
    assert cprs and not any(c in everything or c.replace("-", "") in everything for c in cprs)


def test_the_asset_reports_the_accepted_extract_and_names_the_rejected(tmp_path, inbox, drifted, pseudonym_key):
    """The multi-asset itself: check results of the accepted extract, metadata naming the
    rejected one, the rejection in the run log."""
    from orchestration.resources import HelhedsdataResource

    res = HelhedsdataResource(home=str(tmp_path / "home"), inbox=str(inbox))
    ctx = dg.build_asset_context()
    out = list(ingest.momentum_extract(ctx, helhedsdata=res))
    checks = [o for o in out if isinstance(o, dg.AssetCheckResult)]
    mats = [o for o in out if isinstance(o, dg.MaterializeResult)]
    assert len(checks) == len(mats) == len(momentum.CONTRACTS)
    assert all(c.passed for c in checks)
    for m in mats:
        assert m.metadata["rejected_extracts"] == NEW and m.metadata["extract_folder"] == OLD


def test_no_extract_left_fails_with_the_failed_suite_shown(tmp_path, inbox, drifted, pseudonym_key):
    shutil.rmtree(inbox / "momentum" / OLD)
    s = _settings(tmp_path, inbox)
    acc = ingest._accept_newest(dg.build_asset_context(), s, momentum, pseudonym_key)
    assert acc.extract is None and acc.rejected == [NEW]
    failed = [c for c in acc.checks if not c.passed]
    assert [c.asset_key.to_user_string() for c in failed] == ["momentum/samtale"]
    assert failed[0].metadata["failed_expectations"].value[0]["unexpected_count"] == 1


def test_without_drift_the_newest_extract_is_accepted(tmp_path, inbox, pseudonym_key):
    acc = ingest._accept_newest(dg.build_asset_context(), _settings(tmp_path, inbox), momentum, pseudonym_key)
    assert acc.extract.folder.name == NEW and acc.rejected == [] and all(c.passed for c in acc.checks)


# ------------------------------------------------------------------ item 2: record ids are unique

@pytest.mark.parametrize("file,rule_header", [("tilbud.csv", "Tilbudsid"), ("samtale.csv", "Samtaleid")])
def test_a_repeated_id_rejects_the_extract(tmp_path, pseudonym_key, file, rule_header):
    inbox = tmp_path / "inbox"
    folder = inbox / "momentum" / OLD
    shutil.copytree(SAMPLES / "momentum" / "20210301", folder)
    lines = (folder / file).read_text(encoding="utf-8-sig").split("\n")
    # line 4 gets line 2's id (the rest of the row differs: only the id repeats)
    f2, f4 = lines[1].split(";"), lines[3].split(";")
    f4[1] = f2[1]
    lines[3] = ";".join(f4)
    (folder / file).write_bytes(("\ufeff" + "\n".join(lines)).encode("utf-8"))
    with pytest.raises(ContractError) as e:
        momentum.read_extract(folder, pseudonym_key, inbox)
    v = e.value.violations
    assert [(x.file, x.rule, x.lines, x.count) for x in v] == [(f"momentum/{OLD}/{file}", "unique", [4], 1)]
    assert rule_header in v[0].detail and f2[1] not in str(e.value)


def test_the_suites_hold_the_uniqueness_rule():
    for name, column in (("momentum__tilbud", "tilbud_id"), ("momentum__samtale", "samtale_id")):
        exps = [e for e in E.load_suite(name)["expectations"] if e["meta"]["rule"] == "unique"]
        assert [(e["type"], e["kwargs"]) for e in exps] == [("expect_column_values_to_be_unique", {"column": column})]
