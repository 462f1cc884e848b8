"""Pipeline-level faults (issue 5, items 3, 4, 6 and 7): a bad delivery is quarantined whole
with a clear report, the run goes on with the last good extract, and the publication does
not change; a failed blocking check leaves the publication and logs why; two runs on the
same inbox publish the same tables; an old extract re-delivered changes nothing.

One home, one good publication, then runs in sequence. Every corrupt Momentum or Opera
extract is its own date folder newer than the good one of its source, and all of them are
delivered together: each reader tries the newest first, quarantines each that breaks its
contract and falls back, so ONE run exercises every case of both sources (each case is
still judged on its own folder and report), and after it the inbox holds exactly what it
held before. Six pipeline runs in all.

Missing control file: an extract without `_kontrol.csv` is still being delivered. It is
waited for (left in the inbox, not read, not quarantined) and the run uses the last
complete extract; once the control file arrives it is read like any other.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import query, run_pipeline
from tests.test_privacy import read_unless_gone, secrets_pattern

BOM = "\ufeff"
GOOD = "20210301"  # the generated extract's date folder
INVALID_CPR = "321385-1234"  # day 32: no such CPR
ROSTER_BAD_CPR = "311399-4321"  # month 13
ROSTER = "praktikpladser-til-udsatte-ledige.csv"


# ------------------------------------------------------------------ helpers

def _lines(path: Path) -> list[str]:
    return path.read_bytes().decode("utf-8-sig").split("\r\n")


def _write(path: Path, lines: list[str], encoding: str = "utf-8") -> None:
    path.write_bytes((BOM + "\r\n".join(lines)).encode(encoding) if encoding == "utf-8"
                     else "\r\n".join(lines).encode(encoding))


def _edit(folder: Path, name: str, fn) -> None:
    _write(folder / name, fn(_lines(folder / name)))


def _set_field(line: str, i: int, value: str) -> str:
    f = line.split(";")
    f[i] = value
    return ";".join(f)


def _set_control(folder: Path, name: str, delta: int) -> None:
    _edit(folder, "_kontrol.csv", lambda ls: [
        f"{name};{int(l.split(';')[1]) + delta}" if l.startswith(name + ";") else l for l in ls])


def _consecutive_pair(ls: list[str]) -> int:
    """Index of the first data line whose next line is the same person's next period and
    which has an end date (maalgruppe: CPR;code;name;start;end;årsag)."""
    for i in range(1, len(ls) - 1):
        a, b = ls[i].split(";"), ls[i + 1].split(";")
        if len(b) > 4 and a[0] == b[0] and a[4]:
            return i
    raise AssertionError("the generated maalgruppe.csv has no person with two periods")


def _truncated(f):
    _edit(f, "maalgruppe.csv", lambda ls: ls[:-2] + ls[-1:])  # last data row gone (file ends with CRLF)


def _missing_column(f):
    _edit(f, "maalgruppe.csv", lambda ls: [";".join(x for i, x in enumerate(l.split(";")) if i != 2) if l else l
                                           for l in ls])


def _extra_column(f):
    _edit(f, "samtale.csv", lambda ls: [ls[0] + ";Ekstra"] + [l + ";x" if l else l for l in ls[1:]])


def _wrong_encoding(f):
    _write(f / "samtale.csv", _lines(f / "samtale.csv"), "cp1252")


def _comma_separator(f):
    _edit(f, "samtale.csv", lambda ls: [l.replace(";", ",") for l in ls])


def _invalid_cpr(f):
    _edit(f, "maalgruppe.csv", lambda ls: ls[:1] + [_set_field(ls[1], 0, INVALID_CPR)] + ls[2:])


def _end_before_start(f):
    def fn(ls):
        i = _consecutive_pair(ls)
        start = ls[i].split(";")[3]  # dd-mm-yyyy; a year earlier is before it
        d, m, y = start.split("-")
        return ls[:i] + [_set_field(ls[i], 4, f"{d}-{m}-{int(y) - 1}")] + ls[i + 1:]
    _edit(f, "maalgruppe.csv", fn)


def _unknown_code(f):
    _edit(f, "maalgruppe.csv", lambda ls: ls[:1] + [_set_field(ls[1], 1, "6.99")] + ls[2:])


def _overlap(f):
    def fn(ls):
        i = _consecutive_pair(ls)  # the next period starts on this one's last day
        return ls[:i + 1] + [_set_field(ls[i + 1], 3, ls[i].split(";")[4])] + ls[i + 2:]
    _edit(f, "maalgruppe.csv", fn)


def _empty_file(f):
    (f / "samtale.csv").write_bytes(b"")


def _duplicated_rows(f):
    _edit(f, "maalgruppe.csv", lambda ls: ls[:2] + [ls[1]] + ls[2:])
    _set_control(f, "maalgruppe.csv", +1)  # the control file agrees: only the duplicate is wrong


def _dates_2099(f):  # a meeting held in 2099 (Afholdt dato may not lie after the extract)
    def fn(ls):
        i = next(i for i in range(1, len(ls)) if len(ls[i].split(";")) > 4 and ls[i].split(";")[4])
        d, m, _ = ls[i].split(";")[4].split("-")
        return ls[:i] + [_set_field(ls[i], 4, f"{d}-{m}-2099")] + ls[i + 1:]
    _edit(f, "samtale.csv", fn)


def _binary_garbage(f):
    raw = (f / "maalgruppe.csv").read_bytes().split(b"\r\n")
    raw[2] = b"\x00\xff\xfe\x81" + raw[2]  # physical line 3
    (f / "maalgruppe.csv").write_bytes(b"\r\n".join(raw))


def _duplicated_tilbud_id(f):  # a second offer with the first one's Tilbudsid (line 3 repeats line 2's id)
    _edit(f, "tilbud.csv", lambda ls: ls[:2] + [_set_field(ls[2], 1, ls[1].split(";")[1])] + ls[3:])


# folder -> (case, corruption, file, rule, line or None (file-level), detail fragment or None)
CASES = {
    "20210302": ("truncated file", _truncated, "maalgruppe.csv", "control-count", None, "control file says"),
    "20210303": ("missing column", _missing_column, "maalgruppe.csv", "missing-column", 1, "Målgruppe"),
    "20210304": ("extra column", _extra_column, "samtale.csv", "extra-column", 1, "Ekstra"),
    "20210305": ("wrong encoding", _wrong_encoding, "samtale.csv", "encoding", "any", None),
    "20210306": ("comma separator", _comma_separator, "samtale.csv", "separator", 1, None),
    "20210307": ("invalid CPR", _invalid_cpr, "maalgruppe.csv", "cpr", 2, None),
    "20210308": ("end date before start date", _end_before_start, "maalgruppe.csv", "period", "any", None),
    "20210309": ("unknown målgruppe code", _unknown_code, "maalgruppe.csv", "code", 2, "maalgruppe_koder"),
    "20210310": ("overlapping periods", _overlap, "maalgruppe.csv", "overlap", "any", None),
    "20210311": ("empty file", _empty_file, "samtale.csv", "empty-file", None, None),
    "20210312": ("duplicated rows", _duplicated_rows, "maalgruppe.csv", "overlap", 3, None),
    "20210313": ("dates in 2099", _dates_2099, "samtale.csv", "date-range", "any", "after the extract date"),
    "20210314": ("binary garbage", _binary_garbage, "maalgruppe.csv", "encoding", 3, None),
    "20210316": ("duplicated Tilbudsid", _duplicated_tilbud_id, "tilbud.csv", "unique", 3, "Tilbudsid"),
}


# ------------------------------------------------------------------ Opera (Windows-1252, ISO dates, no BOM)

OPERA_GOOD = "20191231"


def _o_lines(path: Path) -> list[str]:
    return path.read_bytes().decode("cp1252").split("\r\n")


def _o_edit(folder: Path, name: str, fn) -> None:
    (folder / name).write_bytes("\r\n".join(fn(_o_lines(folder / name))).encode("cp1252"))


def _o_truncated(f):
    _o_edit(f, "MATCHPERIODER.csv", lambda ls: ls[:-2] + ls[-1:])


def _o_invalid_cpr(f):
    _o_edit(f, "MATCHPERIODER.csv", lambda ls: ls[:1] + [_set_field(ls[1], 0, INVALID_CPR)] + ls[2:])


def _o_overlap(f):
    def fn(ls):  # the same person's next period starts on this one's last day (CPRNR;LAB_GRP;FRA;TIL;AFGANG)
        i = next(i for i in range(1, len(ls) - 1) if ls[i + 1] and ls[i].split(";")[0] == ls[i + 1].split(";")[0]
                 and ls[i].split(";")[3])
        return ls[:i + 1] + [_set_field(ls[i + 1], 2, ls[i].split(";")[3])] + ls[i + 2:]
    _o_edit(f, "MATCHPERIODER.csv", fn)


def _o_utf8(f):  # re-saved as UTF-8: a street with Ø on line 2, the whole file UTF-8
    ls = _o_lines(f / "ADRESSER.csv")
    ls[1] = _set_field(ls[1], 1, "SØNDERBORGVEJ")
    (f / "ADRESSER.csv").write_bytes("\r\n".join(ls).encode("utf-8"))


def _o_lab_grp(f):  # a LAB § 2 group not of the form n.m
    _o_edit(f, "MATCHPERIODER.csv", lambda ls: ls[:1] + [_set_field(ls[1], 1, "2,2")] + ls[2:])


def _o_end_before_start(f):
    def fn(ls):
        i = next(i for i in range(1, len(ls)) if ls[i] and ls[i].split(";")[3])
        y, m, d = ls[i].split(";")[2].split("-")
        return ls[:i] + [_set_field(ls[i], 3, f"{int(y) - 1}-{m}-{d}")] + ls[i + 1:]
    _o_edit(f, "AKTIVERING.csv", fn)


OPERA_CASES = {
    "20200101": ("Opera truncated file", _o_truncated, "MATCHPERIODER.csv", "control-count", None, "control file says"),
    "20200102": ("Opera invalid CPR", _o_invalid_cpr, "MATCHPERIODER.csv", "cpr", 2, None),
    "20200103": ("Opera overlapping periods", _o_overlap, "MATCHPERIODER.csv", "overlap", "any", None),
    "20200104": ("Opera wrong encoding", _o_utf8, "ADRESSER.csv", "encoding", 2, "UTF-8"),
    "20200105": ("Opera LAB_GRP not n.m", _o_lab_grp, "MATCHPERIODER.csv", "pattern", 2, "LAB_GRP"),
    "20200106": ("Opera end date before start date", _o_end_before_start, "AKTIVERING.csv", "period", "any", None),
}
ALL_CASES = {**{("momentum", k): v for k, v in CASES.items()}, **{("opera", k): v for k, v in OPERA_CASES.items()}}
INCOMPLETE = "20210315"  # no _kontrol.csv: waited for


def checksums(published: Path) -> dict[str, tuple]:
    """Row count and an order-free checksum of every published table but the log (the only
    table with a published_at-style column)."""
    tables = [r[0] for r in query(published, "SELECT table_name FROM duckdb_tables() WHERE schema_name = "
                                             "'published' AND table_name <> 'publication_log' ORDER BY 1")]
    assert tables, "nothing published"
    return {t: tuple(query(published, f"SELECT count(*), sum(hash(x)::HUGEINT) FROM published.{t} x")[0])
            for t in tables}


def log_rows(published: Path) -> list[tuple]:
    return query(published, "SELECT publication_id, status, checks_failed, checks, message "
                            "FROM published.publication_log ORDER BY published_at")


def good_cprs(inbox: Path) -> set[str]:
    """Every CPR of the good extract, with and without the hyphen."""
    out = set()
    for name in ("maalgruppe.csv", "samtale.csv"):
        for line in _lines(inbox / "momentum" / GOOD / name)[1:]:
            if line:
                c = line.split(";")[0]
                out |= {c, c.replace("-", "")}
    for name in ("MATCHPERIODER.csv", "ADRESSER.csv"):  # Opera writes CPRNR without hyphen
        for line in _o_lines(inbox / "opera" / OPERA_GOOD / name)[1:]:
            if line:
                c = line.split(";")[0]
                out |= {c, f"{c[:6]}-{c[6:]}"}
    return out


def texts_outside_data(home: Path):
    """Every file of the home that a person or a log reader sees: reports, logs, Dagster's
    event log. Not the warehouse/publication (tested elsewhere) nor the quarantined data."""
    for p in home.rglob("*"):
        if p.is_file() and p.suffix not in (".duckdb", ".wal") and not (
                "quarantine" in p.parts and p.suffix == ".csv") and not (
                "archive" in p.parts and p.suffix in (".csv", ".xlsx")):  # copies of deliveries
            if (data := read_unless_gone(p)) is not None:  # an SQLite side file may go as we read
                yield p, data


# ------------------------------------------------------------------ the sequence

@pytest.fixture(scope="module")
def root(tmp_path_factory):
    from cli.main import main

    root = tmp_path_factory.mktemp("faults")
    assert main(["generate", "--out", str(root / "inbox"), "--persons", "300", "--seed", "7"]) == 0
    assert (root / "inbox" / "momentum" / GOOD / "_kontrol.csv").exists()
    return root


@pytest.fixture(scope="module")
def first(root):
    inbox, home = root / "inbox", root / "home"
    assert run_pipeline(home, inbox)
    pub = home / "publication.duckdb"
    return {"inbox": inbox, "home": home, "pub": pub, "sums": checksums(pub), "log": log_rows(pub),
            "roster_rows": query(home / "warehouse.duckdb", "SELECT count(*) FROM raw.roster__deltagere")[0][0],
            "opera_rows": {t: query(home / "warehouse.duckdb", f"SELECT count(*) FROM raw.opera__{t}")[0][0]
                           for t in ("matchperioder", "aktivering", "adresser")}}


@pytest.fixture(scope="module")
def second(first):
    """The same inbox again."""
    assert run_pipeline(first["home"], first["inbox"])
    return {"sums": checksums(first["pub"]), "log": log_rows(first["pub"])}


@pytest.fixture(scope="module")
def faulty(first, second):
    """Every corrupt extract, one incomplete extract and bad roster rows, delivered together."""
    inbox, home = first["inbox"], first["home"]
    good = inbox / "momentum" / GOOD
    files = {}
    for (source, folder), (_, corrupt, *_) in ALL_CASES.items():
        src = good if source == "momentum" else inbox / "opera" / OPERA_GOOD
        shutil.copytree(src, inbox / source / folder)
        corrupt(inbox / source / folder)
        files[source, folder] = sorted(p.name for p in (inbox / source / folder).iterdir())
    shutil.copytree(good, inbox / "momentum" / INCOMPLETE)
    (inbox / "momentum" / INCOMPLETE / "_kontrol.csv").unlink()
    roster = inbox / "roster" / ROSTER
    before_roster = roster.read_bytes()
    ls = _lines(roster)
    n = len([l for l in ls if l])  # physical lines: header + data rows; appended rows follow
    bad = [f"{ROSTER_BAD_CPR};Ugyldig Person;01-03-2020;01-04-2020;Fortsat ledig;10;",  # invalid CPR
           f"{ls[1].split(';')[0]};Samme Person;01-05-2020;01-04-2020;Fortsat ledig;10;",  # end before start
           f"{ls[1].split(';')[0]};Samme Person;01-06-2020;01-07-2020;Ukendt status;10;"]  # unknown status
    body = [l for l in ls if l]
    _write(roster, body + bad + [""])
    ok = run_pipeline(home, inbox)
    state = {"ok": ok, "files": files, "sums": checksums(first["pub"]), "log": log_rows(first["pub"]),
             "bad_roster_lines": [n + 1, n + 2, n + 3],
             "roster_rows": query(home / "warehouse.duckdb", "SELECT count(*) FROM raw.roster__deltagere")[0][0],
             "incomplete_stayed": (inbox / "momentum" / INCOMPLETE).is_dir(),
             "loaded_extract": query(home / "warehouse.duckdb",
                                     "SELECT max(extract_date)::VARCHAR FROM raw.momentum__maalgruppe")[0][0],
             "loaded_opera": {t: query(home / "warehouse.duckdb", f"SELECT min(extract_date)::VARCHAR, "
                                       f"max(extract_date)::VARCHAR, count(*) FROM raw.opera__{t}")[0]
                              for t in ("matchperioder", "aktivering", "adresser")}}
    # The inbox as before: the incomplete extract and the roster restored for the runs that follow.
    shutil.rmtree(inbox / "momentum" / INCOMPLETE)
    roster.write_bytes(before_roster)
    return state


@pytest.fixture(scope="module")
def redelivered(first, faulty):
    """An older extract (a copy of the good one dated a month earlier) arrives after the newer."""
    inbox = first["inbox"]
    shutil.copytree(inbox / "momentum" / GOOD, inbox / "momentum" / "20210201")
    assert run_pipeline(first["home"], inbox)
    state = {"sums": checksums(first["pub"]), "log": log_rows(first["pub"]),
             "loaded": query(first["home"] / "warehouse.duckdb", "SELECT origin FROM meta.loads WHERE source = "
                             "'momentum' ORDER BY loaded_at DESC LIMIT 1")[0][0]}
    shutil.rmtree(inbox / "momentum" / "20210201")
    return state


@pytest.fixture(scope="module")
def blocked(first, redelivered):
    """A blocking check fails: the control file seen by the check disagrees with the load."""
    import orchestration.checks as checks

    real = checks.read_control_file

    def lying(*args, **kwargs):
        counts, viol = real(*args, **kwargs)
        return {k: v + 1 if k == "maalgruppe.csv" else v for k, v in counts.items()}, viol

    mp = pytest.MonkeyPatch()
    mp.setattr(checks, "read_control_file", lying)
    try:
        ok = run_pipeline(first["home"], first["inbox"])
    finally:
        mp.undo()
    jsonl = [json.loads(l) for l in (first["home"] / "logs" / "publications.jsonl").read_text().splitlines()]
    return {"ok": ok, "sums": checksums(first["pub"]), "log": log_rows(first["pub"]), "jsonl": jsonl[-1]}


# ------------------------------------------------------------------ item 6: idempotence

@pytest.mark.slow
def test_first_run_publishes(first):
    assert [r[1] for r in first["log"]] == ["published"]
    assert first["sums"]["indicator_values"][0] > 0 and first["sums"]["maalgruppe_status"][0] > 0


@pytest.mark.slow
def test_same_inbox_twice_publishes_identical_tables(first, second):
    assert second["sums"] == first["sums"]
    assert [r[1] for r in second["log"]] == ["published", "published"]
    assert second["log"][0][0] != second["log"][1][0]  # two publications, two run ids


@pytest.mark.slow
def test_the_second_run_loads_no_unchanged_seed_but_runs_every_check(first, second):
    """orchestration/seeds.py: the code lists are not loaded again while their files and
    configuration are those the warehouse's tables were loaded from; their dbt tests still run,
    so both publications name the same checks."""
    import dagster as dg

    (_, _, _, checks_1, message_1), (_, _, _, checks_2, message_2) = second["log"]
    assert (checks_2, message_2) == (checks_1, message_1)
    assert any(c["asset"].startswith("seeds/") for c in json.loads(checks_2))

    def materialized(run_id: str) -> set[str]:
        recs = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
        return {r.event_log_entry.dagster_event.asset_key.to_user_string() for r in recs}

    with dg.DagsterInstance.from_config(str(first["home"] / "dagster")) as instance:
        run_1, run_2 = second["log"][0][0], second["log"][1][0]
        seeds_1 = {k for k in materialized(run_1) if k.startswith("seeds/")}
        built_2 = materialized(run_2)
    assert len(seeds_1) == 9
    assert not seeds_1 & built_2
    assert "marts/indicator_results" in built_2 and "publication" in built_2
    codes = query(first["home"] / "warehouse.duckdb", "SELECT count(*) FROM seeds.maalgruppe_koder")[0][0]
    assert codes > 0


@pytest.mark.slow
def test_redelivered_old_extract_changes_nothing(first, redelivered):
    assert redelivered["sums"] == first["sums"]
    assert redelivered["loaded"].endswith(GOOD)  # the newest extract stays the one loaded
    assert redelivered["log"][-1][1] == "published"


# ------------------------------------------------------------------ item 7: the fault suite

@pytest.mark.slow
def test_faulty_run_still_publishes_from_the_last_good_extract(first, faulty):
    assert faulty["ok"]
    assert faulty["loaded_extract"] == "2021-03-01"
    # Opera too fell back to its last good extract, every row of it
    for t, (lo, hi, n) in faulty["loaded_opera"].items():
        assert lo == hi == "2019-12-31", t
        assert n == first["opera_rows"][t] > 0, t
    assert faulty["sums"] == first["sums"]  # zero published rows changed
    assert len(faulty["log"]) == 3 and faulty["log"][-1][1] == "published"  # the log gained one row
    # the roster's rows_valid check only warns: published, and the log row says so
    assert faulty["log"][-1][4].endswith("1 warning(s): roster/deltagere:rows_valid")


@pytest.mark.slow
@pytest.mark.parametrize("source,folder", sorted(ALL_CASES), ids=[ALL_CASES[k][0] for k in sorted(ALL_CASES)])
def test_each_fault_is_quarantined_whole_with_a_clear_report(first, faulty, source, folder):
    case, _, file, rule, line, detail = ALL_CASES[source, folder]
    home, inbox = first["home"], first["inbox"]
    dest = home / "quarantine" / source / folder
    assert not (inbox / source / folder).exists(), f"{case}: left in the inbox"
    assert sorted(p.name for p in dest.iterdir() if not p.name.startswith("REJECTED")) == faulty["files"][source, folder]
    report = json.loads((dest / "REJECTED.json").read_text(encoding="utf-8"))
    want_file = f"{source}/{folder}/{file}"
    hits = [v for v in report["violations"] if v["file"] == want_file and v["rule"] == rule]
    assert hits, f"{case}: expected {want_file} {rule}, got {report['violations']}"
    # Only the injected fault: no other rule fires on a one-fault copy of a good extract.
    assert {(v["file"], v["rule"]) for v in report["violations"]} == {(want_file, rule)}
    if line is None:
        assert hits[0]["lines"] == []
    elif line == "any":
        assert hits[0]["lines"], f"{case}: no line named"
    else:
        assert hits[0]["lines"][0] == line
    md = (dest / "REJECTED.md").read_text(encoding="utf-8")
    assert want_file in md and f"| {rule} |" in md
    if detail:
        assert detail in hits[0]["detail"]


@pytest.mark.slow
def test_incomplete_extract_is_waited_for_not_quarantined(first, faulty):
    assert faulty["incomplete_stayed"]
    assert not (first["home"] / "quarantine" / "momentum" / INCOMPLETE).exists()


@pytest.mark.slow
def test_bad_roster_rows_are_reported_per_row_and_good_rows_load(first, faulty):
    from dagster import AssetKey, DagsterInstance

    assert faulty["roster_rows"] == first["roster_rows"]  # every good row still loads, no bad one
    with DagsterInstance.from_config(str(first["home"] / "dagster")) as instance:
        # the faulty run's materialisation: the newest but two (redelivered and blocked runs followed)
        records = instance.fetch_materializations(AssetKey(["roster", "deltagere"]), limit=10).records
        faults = [r.asset_materialization.metadata["row_faults"].value for r in records]
    per_row = next(f for f in faults if any(x["level"] == "error" for x in f))
    errors = sorted((x["row"], x["rule"]) for x in per_row if x["level"] == "error" and ROSTER in x["file"])
    lines = faulty["bad_roster_lines"]
    assert errors == [(lines[0], "cpr"), (lines[1], "period"), (lines[2], "code")]


@pytest.mark.slow
def test_no_cpr_in_any_report_or_log(first, faulty, blocked):
    cprs = good_cprs(first["inbox"]) | {INVALID_CPR, INVALID_CPR.replace("-", ""), ROSTER_BAD_CPR,
                                        ROSTER_BAD_CPR.replace("-", "")}
    anywhere = re.compile(secrets_pattern(cprs).pattern.encode())  # one pass per file, not one per CPR
    seen = 0
    for path, data in texts_outside_data(first["home"]):
        seen += 1
        leaked = [c for c in cprs if c.encode() in data] if anywhere.search(data) else []
        assert not leaked, f"{len(leaked)} CPR number(s) in {path.relative_to(first['home'])}"
    assert seen >= len(ALL_CASES) * 2  # the reports were among them
    for row in blocked["log"]:
        assert not [c for c in cprs if c in " ".join(map(str, row))]


@pytest.mark.slow
def test_no_good_extract_fails_cleanly(root):
    """Only a corrupt Momentum extract: it is quarantined, nothing is published, the run fails."""
    inbox, home = root / "inbox-nogood", root / "home-nogood"
    shutil.copytree(root / "inbox", inbox, ignore=shutil.ignore_patterns("momentum"))
    shutil.copytree(root / "inbox" / "momentum" / GOOD, inbox / "momentum" / "20210302")
    _truncated(inbox / "momentum" / "20210302")
    assert not run_pipeline(home, inbox)
    assert not (home / "publication.duckdb").exists()
    assert (home / "quarantine" / "momentum" / "20210302" / "REJECTED.md").exists()
    last = json.loads((home / "logs" / "publications.jsonl").read_text().splitlines()[-1])
    assert last["status"] == "failed" and "momentum_extract" in last["message"]
    assert last["logged_in_publication"] is False  # no publication to add a row to


# ------------------------------------------------------------------ item 3: a blocking check fails

@pytest.mark.slow
def test_blocked_publication_stays_and_the_log_says_which_check(first, blocked):
    assert not blocked["ok"]
    assert blocked["sums"] == first["sums"]  # the previous publication stays, whole
    pid, status, failed, checks, message = blocked["log"][-1]
    assert status == "blocked" and failed >= 1
    assert "momentum/maalgruppe:control_count_matches" in message
    failing = [c for c in json.loads(checks) if not c["passed"]]
    assert {"asset": "momentum/maalgruppe", "check": "control_count_matches", "passed": False,
            "severity": "ERROR"} in failing
    assert len(blocked["log"]) == len(first["log"]) + 4  # second, faulty, redelivered, blocked
    assert blocked["jsonl"]["status"] == "blocked" and blocked["jsonl"]["logged_in_publication"]


@pytest.mark.slow
def test_row_count_drop_is_a_warning_with_figures(first, blocked):
    """The WARN check ran in every run; with the same extract each time it passed (0 % change)."""
    from dagster import AssetCheckKey, AssetKey, DagsterInstance

    with DagsterInstance.from_config(str(first["home"] / "dagster")) as instance:
        key = AssetCheckKey(AssetKey(["momentum", "maalgruppe"]), "row_count_not_dropped")
        rec = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
        ev = rec.event.dagster_event.event_specific_data
    assert ev.passed and ev.severity.value == "WARN"
    assert ev.metadata["change_pct"].value == 0.0
    assert ev.metadata["rows"].value == ev.metadata["previous_rows"].value > 0


def test_row_count_drop_over_20_percent_warns(tmp_path):
    """The warning itself, on a hand-made load history: 1000 then 799 rows is -20.1 % (warns),
    1000 then 800 is -20.0 % (does not)."""
    import duckdb

    from orchestration.checks import row_count_drop_check
    from orchestration.resources import HelhedsdataResource

    check = row_count_drop_check("momentum", "maalgruppe")
    results = []
    for now in (799, 800):
        home = tmp_path / str(now)
        home.mkdir()
        con = duckdb.connect(str(home / "warehouse.duckdb"))
        con.execute("CREATE SCHEMA meta")
        con.execute("CREATE TABLE meta.loads (loaded_at TIMESTAMP, source VARCHAR, table_name VARCHAR, "
                    "extract_date DATE, origin VARCHAR, row_count BIGINT)")
        con.execute("INSERT INTO meta.loads VALUES ('2021-03-01 02:00', 'momentum', 'maalgruppe', '2021-03-01', 'x', 1000),"
                    f" ('2021-03-02 02:00', 'momentum', 'maalgruppe', '2021-03-02', 'y', {now}),"
                    " ('2021-03-02 02:00', 'momentum', 'tilbud', '2021-03-02', 'y', 5)")
        con.close()
        results.append(check(helhedsdata=HelhedsdataResource(home=str(home), inbox=str(tmp_path))))
    warned, kept = results
    assert not warned.passed and warned.severity.value == "WARN"
    assert warned.metadata["change_pct"].value == -20.1 and warned.metadata["previous_rows"].value == 1000
    assert kept.passed


@pytest.mark.slow
def test_indicator_move_check_ran_on_every_publication(first, blocked):
    """The WARN check on the publication asset: nothing to compare on the first run; later
    runs of the same data compare every figure and find no move."""
    from dagster import AssetKey, DagsterEventType, DagsterInstance, EventRecordsFilter

    with DagsterInstance.from_config(str(first["home"] / "dagster")) as instance:
        recs = instance.get_event_records(EventRecordsFilter(event_type=DagsterEventType.ASSET_CHECK_EVALUATION),
                                          ascending=True, limit=5000)
    evs = [r.event_log_entry.dagster_event.event_specific_data for r in recs]
    evs = [e for e in evs if e.asset_key == AssetKey("publication") and e.check_name == "indicator_moves_within_threshold"]
    assert len(evs) == 4  # first, second, faulty, redelivered (the blocked run published nothing)
    md = [{k: v.value for k, v in e.metadata.items()} for e in evs]
    assert md[0]["previous_publication"] is False and md[0]["figures_compared"] == 0
    for m, e in zip(md[1:], evs[1:]):
        assert e.passed and e.severity.value == "WARN"
        assert m["figures_compared"] > 0 and m["moves_beyond_threshold"] == 0 and m["largest_moves"] == []


def test_a_load_that_is_not_to_commit_leaves_the_raw_tables_and_their_record_as_they_were(tmp_path):
    """load_raw(commit_if=…): the suites gate the load's commit (orchestration/assets/ingest.py).
    Asked False, or failing while asked, nothing of the load is seen: tables, new tables,
    meta.loads."""
    import duckdb
    import pyarrow as pa

    from warehouse.database import load_raw

    w = tmp_path / "w.duckdb"
    assert load_raw(w, "src", {"a": pa.table({"x": [1, 2]})}, None, "first") is True

    def state():
        with duckdb.connect(str(w), read_only=True) as con:
            tables = sorted(r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'").fetchall())
            return tables, con.execute("SELECT sum(x) FROM raw.src__a").fetchone()[0], \
                sorted(con.execute("SELECT origin, row_count FROM meta.loads").fetchall())

    before = state()
    assert before == (["src__a"], 3, [("first", 2)])
    second = {"a": pa.table({"x": [10, 20, 30]}), "b": pa.table({"y": ["new"]})}
    assert load_raw(w, "src", second, None, "second", commit_if=lambda: False) is False
    assert state() == before

    def fails():
        raise RuntimeError("the worker died")

    with pytest.raises(RuntimeError, match="the worker died"):
        load_raw(w, "src", second, None, "third", commit_if=fails)
    assert state() == before
    assert load_raw(w, "src", second, None, "fourth", commit_if=lambda: True) is True
    assert state() == (["src__a", "src__b"], 60, [("first", 2), ("fourth", 1), ("fourth", 3)])


def test_record_ids_are_loaded_uncompressed_with_every_type_and_value_as_the_arrow_table_has_them(tmp_path):
    """load_raw(record_ids=…): a contract's unique columns (Momentum's Tilbudsid and Samtaleid)
    are stored uncompressed; every column keeps the type CREATE TABLE AS would give it, and
    a warm load replaces the table (orchestration/assets/ingest.py `_record_ids`)."""
    import datetime

    import duckdb
    import pyarrow as pa

    from orchestration.assets.ingest import _record_ids
    from sources import lbf, momentum
    from warehouse.database import load_raw

    assert _record_ids(momentum) == {"tilbud": ("tilbud_id",), "samtale": ("samtale_id",)}
    assert _record_ids(lbf) == {}
    n = 200_000  # more than one row group: DuckDB would compress these blocks otherwise
    t = pa.table({"samtale_id": [f"S{i:09d}" for i in range(n)], "status": ["Afholdt", "Aflyst"] * (n // 2),
                  "frist": pa.array([datetime.date(2021, 1, 1)] * n, pa.date32()),
                  "timer": pa.array([1.5] * n, pa.float64()), "person_key": pa.array(range(n), pa.int64())})
    w = tmp_path / "w.duckdb"
    for _ in range(2):  # empty home, then warm
        assert load_raw(w, "momentum", {"samtale": t}, None, "x", record_ids={"samtale": ("samtale_id",)})
    with duckdb.connect(str(w), read_only=True) as con:
        compression = dict(con.execute(
            "SELECT column_name, list(DISTINCT compression) FROM pragma_storage_info('raw.momentum__samtale') "
            "WHERE segment_type = 'VARCHAR' GROUP BY ALL").fetchall())
        assert compression["samtale_id"] == ["Uncompressed"]
        assert "Uncompressed" not in compression["status"]
        types = con.execute("SELECT column_name, data_type FROM information_schema.columns "
                            "WHERE table_name = 'momentum__samtale' ORDER BY ordinal_position").fetchall()
        assert types == [("samtale_id", "VARCHAR"), ("status", "VARCHAR"), ("frist", "DATE"),
                         ("timer", "DOUBLE"), ("person_key", "BIGINT")]
        assert con.execute("SELECT count(*), count(DISTINCT samtale_id), max(samtale_id) "
                           "FROM raw.momentum__samtale").fetchall() == [(n, n, f"S{n - 1:09d}")]
