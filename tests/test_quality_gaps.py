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

from tests.reader_helpers import drifted_suite_loader

from warehouse import expectations as E
from warehouse.config import Settings
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
    assert "Aflyst" in next(e["kwargs"]["value_set"] for e in E.load_suite("momentum__samtale")["expectations"]
                            if e["type"] == "expect_column_values_to_be_in_set" and e["kwargs"]["column"] == "status")
    load = drifted_suite_loader(E.load_suite, "momentum__samtale", "status", lambda v: v != "Aflyst")
    monkeypatch.setattr(E, "load_suite", load)


def _accept(settings, pseudo):
    with dg.build_asset_context() as ctx:
        return ingest._accept_newest(ctx, settings, momentum, pseudo)


def _settings(tmp_path, inbox) -> Settings:
    return Settings((tmp_path / "home").resolve(), inbox.resolve())


def test_the_newer_extract_keeps_its_contract(inbox, pseudonym_key):
    """The premise: the GX failure below is not a contract fault."""
    ext = momentum.read_extract(inbox / "momentum" / NEW, pseudonym_key, inbox)
    assert ext.tables["samtale"].column("status").to_pylist().count("Aflyst") == 1


def test_a_failed_suite_quarantines_the_extract_and_the_older_one_is_used(tmp_path, inbox, drifted, pseudonym_key):
    s = _settings(tmp_path, inbox)
    acc = _accept(s, pseudonym_key)
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
    with dg.build_asset_context() as ctx:
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
    acc = _accept(s, pseudonym_key)
    assert acc.extract is None and acc.rejected == [NEW]
    failed = [c for c in acc.checks if not c.passed]
    assert [c.asset_key.to_user_string() for c in failed] == ["momentum/samtale"]
    assert failed[0].metadata["failed_expectations"].value[0]["unexpected_count"] == 1


def test_without_drift_the_newest_extract_is_accepted(tmp_path, inbox, pseudonym_key):
    acc = _accept(_settings(tmp_path, inbox), pseudonym_key)
    assert acc.extract.folder.name == NEW and acc.rejected == [] and all(c.passed for c in acc.checks)


def test_the_files_of_an_extract_are_written_as_they_are_read_and_rolled_back_when_one_breaks_its_contract(
        tmp_path, inbox, pseudonym_key, monkeypatch):
    """`RawLoad`: each file of an extract is written to the warehouse as soon as it is read,
    while the reader still reads the others; a file that breaks its contract rejects the whole
    extract, and what was written of it is rolled back: the older extract is what is loaded."""
    import duckdb

    from warehouse.database import RawLoad

    # The newer extract: tilbud keeps its contract with other hours, samtale's header is wrong.
    _edit(inbox / "momentum" / NEW / "tilbud.csv", lambda t: t.replace(";37;", ";36;"))
    _edit(inbox / "momentum" / NEW / "samtale.csv", lambda t: t.replace(SAMTALE_HEADER, SAMTALE_HEADER + "x"))
    reading, added = [], []
    read_extract, add = momentum.read_extract, RawLoad.add

    def read_extract_watched(folder, *args, **kwargs):
        reading.append(folder.name)
        try:
            return read_extract(folder, *args, **kwargs)
        finally:
            reading.pop()

    def add_watched(self, name, table):
        added.append((reading[-1] if reading else None, name))
        add(self, name, table)

    monkeypatch.setattr(momentum, "read_extract", read_extract_watched)
    monkeypatch.setattr(RawLoad, "add", add_watched)
    s = _settings(tmp_path, inbox)
    acc = _accept(s, pseudonym_key)
    assert acc.extract.folder.name == OLD and acc.rejected == [NEW]
    # handed to the load while their extract was being read: the three good files of the newer
    # one (then rolled back), all four of the older one
    assert sorted(added) == sorted([(NEW, n) for n in ("borger_adresse", "maalgruppe", "tilbud")]
                                   + [(OLD, n) for n in momentum.CONTRACTS])
    with duckdb.connect(str(s.warehouse), read_only=True) as con:
        assert con.execute("SELECT list(timer_pr_uge ORDER BY tilbud_id) FROM raw.momentum__tilbud").fetchone()[0] \
            == [15.0, 37.0, 30.5, 2.0]
        assert con.execute("SELECT DISTINCT origin FROM meta.loads").fetchall() == [(str(inbox / "momentum" / OLD),)]


def test_an_error_between_the_read_and_the_load_closes_the_load(tmp_path, inbox, pseudonym_key, monkeypatch):
    """Whatever ends an extract's turn, its load is closed: a failure after the files were read
    and handed over (here: submitting a suite) leaves nothing loaded and the warehouse free for
    the next writer, not held by a transaction left open."""
    import duckdb

    from warehouse.database import RawLoad

    closed = []
    close = RawLoad.close
    monkeypatch.setattr(RawLoad, "close", lambda self: closed.append(self) or close(self))
    submit = ingest._gx_submit

    def fails_after_the_read(context, s, src, tables, *args):
        if not tables:  # the call after the read: every file was handed over while it was read
            raise RuntimeError("boom")
        return submit(context, s, src, tables, *args)

    monkeypatch.setattr(ingest, "_gx_submit", fails_after_the_read)
    s = _settings(tmp_path, inbox)
    with pytest.raises(RuntimeError, match="boom"):
        _accept(s, pseudonym_key)
    assert len(closed) == 1
    with duckdb.connect(str(s.warehouse)) as con:  # a writer can open it: no load holds it
        assert con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'").fetchone() == (0,)


def test_a_load_left_without_finishing_and_a_table_that_cannot_be_written_leave_the_warehouse_as_it_was(tmp_path):
    """`RawLoad` on its own: closed without `finish` (the reader raised), or with a table that
    cannot be written (raised by `finish`, in the caller's thread), nothing of it is seen."""
    import duckdb
    import pyarrow as pa

    from warehouse.database import RawLoad, load_raw

    w = tmp_path / "w.duckdb"
    assert load_raw(w, "src", {"a": pa.table({"x": [1, 2]})}, None, "first")

    def state():
        with duckdb.connect(str(w), read_only=True) as con:
            return (con.execute("SELECT list(table_name ORDER BY table_name) FROM information_schema.tables "
                                "WHERE table_schema = 'raw'").fetchone()[0],
                    con.execute("SELECT sum(x) FROM raw.src__a").fetchone()[0],
                    con.execute("SELECT list(origin) FROM meta.loads").fetchone()[0])

    before = state()
    with RawLoad(w, "src") as load:
        load.add("a", pa.table({"x": [10, 20]}))
        load.add("b", pa.table({"y": [1]}))
    assert state() == before
    with RawLoad(w, "src") as load:
        load.add("a", pa.table({"x": [10, 20]}))
        load.add("bad name", pa.table({"y": [1]}))  # not an SQL identifier: CREATE TABLE fails
        with pytest.raises(duckdb.Error):
            load.finish({"a": pa.table({"x": [10, 20]})}, None, "second")
    assert state() == before


def test_a_small_source_whose_suite_fails_fails_its_step_and_the_previous_table_stays(tmp_path, monkeypatch,
                                                                                       pseudonym_key):
    """LBF (as the rosters and the address register: no older delivery to fall back on): its
    table is written while GX validates it (`_gated_load`), but a failed suite rolls the load
    back: the step fails naming the check, whose result is shown, and the night before's
    table and its record in meta.loads are what the warehouse holds."""
    import duckdb

    from orchestration.resources import HelhedsdataResource

    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLES / "lbf", inbox / "lbf")
    res = HelhedsdataResource(home=str(tmp_path / "home"), inbox=str(inbox))
    with dg.build_asset_context() as ctx:
        first = list(ingest.lbf_beboerdata(ctx, helhedsdata=res))
    assert [o.passed for o in first if isinstance(o, dg.AssetCheckResult)] == [True]

    def state():
        with duckdb.connect(str(res.settings.warehouse), read_only=True) as con:
            return (con.execute("SELECT count(*), count(DISTINCT niveau) FROM raw.lbf__beboerdata").fetchall(),
                    con.execute("SELECT origin, row_count FROM meta.loads WHERE source = 'lbf'").fetchall())

    before = state()
    assert before[0][0][0] > 0
    # A suite drifted from its reader: 'Kommune' no longer accepted (the sample has such rows)
    monkeypatch.setattr(E, "load_suite", drifted_suite_loader(E.load_suite, "lbf__beboerdata", "niveau",
                                                              lambda v: v != "Kommune"))
    out = []
    with dg.build_asset_context() as ctx, pytest.raises(dg.Failure, match="lbf/beboerdata"):
        for o in ingest.lbf_beboerdata(ctx, helhedsdata=res):
            out.append(o)
    assert [(o.check_name, o.passed) for o in out] == [("gx_suite", False)]
    assert out[0].metadata["failed_expectations"].value[0]["expectation"] == "expect_column_values_to_be_in_set"
    assert state() == before


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


# ------------------------------------------------------------------ item 3: indicator moves warn

def _plan_yaml(tmp_path, plan_level: str, override: str = "") -> Path:
    src = (Path(__file__).resolve().parent.parent / "plans" / "soenderborg-beskaeftigelse-2021.yaml").read_text(encoding="utf-8")
    import re

    src = re.sub(r"(?m)^advarsel_ved_aendring:.*\n", plan_level, src)
    if override:  # on the first indicator (andel_offentligt_forsoergede 18-29)
        src = src.replace('        variant: "18-29"\n', '        variant: "18-29"\n' + override, 1)
    d = tmp_path / "plans"
    d.mkdir(exist_ok=True)
    (d / "soenderborg-beskaeftigelse-2021.yaml").write_text(src, encoding="utf-8")
    return d


def test_advarsel_ved_aendring_is_validated_and_resolved_per_indicator(tmp_path):
    from warehouse.plans import PlanError, load_plans, plan_indicators_table

    d = _plan_yaml(tmp_path, "advarsel_ved_aendring: {procent: 30}\n",
                   "        advarsel_ved_aendring: {procentpoint: 2}\n")
    t = plan_indicators_table(load_plans(d)).to_pylist()
    first = [r for r in t if r["variant"] == "18-29"][0]
    assert (first["advarsel_procent"], first["advarsel_procentpoint"]) == (None, 2.0)  # the override replaces
    assert {(r["advarsel_procent"], r["advarsel_procentpoint"]) for r in t if r is not first} == {(30.0, None)}
    for bad, field in (("advarsel_ved_aendring: {}\n", "advarsel_ved_aendring"),
                       ("advarsel_ved_aendring: {procent: -5}\n", "advarsel_ved_aendring.procent"),
                       ("advarsel_ved_aendring: {procent: 5, points: 2}\n", "advarsel_ved_aendring.points")):
        with pytest.raises(PlanError, match=f"field {field}"):
            load_plans(_plan_yaml(tmp_path, bad))
    d = _plan_yaml(tmp_path, "")  # optional: without it nothing is watched
    assert {(r["advarsel_procent"], r["advarsel_procentpoint"]) for r in plan_indicators_table(load_plans(d)).to_pylist()} == {(None, None)}


def _figures(con, schema: str, rows: list[tuple]) -> None:
    """rows: (indicator, period_start, value, unit), and period_complete when the table has
    that column (a publication from before running periods has not)."""
    running = any(len(r) == 5 for r in rows)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(f"CREATE TABLE {schema}.indicator_values (plan_id VARCHAR, delmaal_id VARCHAR, indicator_id VARCHAR, "
                "variant VARCHAR, area_level VARCHAR, area_id VARCHAR, period_type VARCHAR, period_start DATE, "
                "value DOUBLE, unit VARCHAR" + (", period_complete BOOLEAN)" if running else ")"))
    con.executemany(f"INSERT INTO {schema}.indicator_values VALUES ('p', 'd', ?, '', 'helhedsplan', 'p', 'year', "
                    "?, ?, ?" + (", ?)" if running else ")"), rows)


def _homes(tmp_path, old: list[tuple], new: list[tuple], thresholds: dict[str, tuple]):
    import duckdb

    wh, pub = tmp_path / "warehouse.duckdb", tmp_path / "publication.duckdb"
    for p in (wh, pub):
        p.unlink(missing_ok=True)
    con = duckdb.connect(str(wh))
    _figures(con, "publish_stage", new)
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.plans__plan_indicators (plan_id VARCHAR, delmaal_id VARCHAR, indicator_id VARCHAR, "
                "variant VARCHAR, advarsel_procent DOUBLE, advarsel_procentpoint DOUBLE)")
    con.executemany("INSERT INTO raw.plans__plan_indicators VALUES ('p', 'd', ?, '', ?, ?)",
                    [(k, *v) for k, v in thresholds.items()])
    con.close()
    con = duckdb.connect(str(pub))
    _figures(con, "published", old)
    con.close()
    return wh, pub


def test_moves_beyond_the_threshold_are_counted_and_the_largest_listed(tmp_path):
    from warehouse.moves import indicator_moves

    old = [("share", "2020-01-01", 20.0, "percent"), ("share", "2021-01-01", 20.0, "percent"),
           ("count", "2020-01-01", 100.0, "persons"), ("count", "2021-01-01", 100.0, "persons"),
           ("count", "2022-01-01", 0.0, "persons"), ("count", "2023-01-01", 50.0, "persons"),
           ("quiet", "2020-01-01", 1.0, "count")]
    new = [("share", "2020-01-01", 25.0, "percent"),  # 5 points: not more than 5
           ("share", "2021-01-01", 26.0, "percent"),  # 6 points: beyond
           ("count", "2020-01-01", 125.0, "persons"),  # 25 %: not more than 25
           ("count", "2021-01-01", 140.0, "persons"),  # 40 %: beyond
           ("count", "2022-01-01", 3.0, "persons"),  # from 0: beyond any procent
           ("count", "2023-01-01", None, "persons"),  # suppressed now: not compared
           ("quiet", "2020-01-01", 99.0, "count")]  # no threshold for this indicator
    wh, pub = _homes(tmp_path, old, new, {"share": (1.0, 5.0), "count": (25.0, None), "quiet": (None, None)})
    m = indicator_moves(wh, pub)
    assert (m.compared, m.beyond, m.passed, m.previous) == (6, 3, False, True)
    assert [(t["indicator"], t["period_start"], t["old"], t["new"]) for t in m.top] == [
        ("count", "2022-01-01", 0.0, 3.0), ("count", "2021-01-01", 100.0, 140.0), ("share", "2021-01-01", 20.0, 26.0)]
    assert set(m.top[0]) == {"plan", "indicator", "variant", "area_level", "area", "period_type", "period_start",
                             "old", "new", "unit"}
    assert len(indicator_moves(wh, pub, top=1).top) == 1


def test_running_periods_are_not_compared(tmp_path):
    """A running period's figure moves every month by nature: neither a running row of the new
    publication nor one of the old is compared (the complete row that replaces a running one
    neither); a published file from before the column holds complete periods only."""
    from warehouse.moves import indicator_moves

    old = [("count", "2020-01-01", 100.0, "persons", True), ("count", "2021-01-01", 10.0, "persons", False),
           ("count", "2022-01-01", 10.0, "persons", False)]
    new = [("count", "2020-01-01", 200.0, "persons", True),  # complete on both sides: compared, beyond
           ("count", "2021-01-01", 90.0, "persons", True),  # was running: not compared
           ("count", "2022-01-01", 40.0, "persons", False)]  # still running: not compared
    wh, pub = _homes(tmp_path, old, new, {"count": (25.0, None)})
    m = indicator_moves(wh, pub)
    assert (m.compared, m.beyond) == (1, 1) and m.top[0]["period_start"] == "2020-01-01"
    # the old file has no period_complete column: its rows are complete; the new running one is left out
    wh, pub = _homes(tmp_path, [r[:4] for r in old], new, {"count": (25.0, None)})
    m = indicator_moves(wh, pub)
    assert (m.compared, m.beyond) == (2, 2)


def test_no_previous_publication_or_no_move_passes(tmp_path):
    from warehouse.moves import indicator_moves

    rows = [("count", "2020-01-01", 100.0, "persons")]
    wh, pub = _homes(tmp_path, rows, rows, {"count": (1.0, None)})
    m = indicator_moves(wh, pub)
    assert m.passed and (m.compared, m.beyond) == (1, 0)
    m = indicator_moves(wh, tmp_path / "none.duckdb")
    assert m.passed and not m.previous


def test_publication_asset_declares_the_warn_check():
    from orchestration.assets.publish import publication

    specs = list(publication.check_specs)
    assert [(s.name, s.blocking) for s in specs] == [("indicator_moves_within_threshold", False)]


# ------------------------------------------------------------------ item 5: Data Docs keep the last N runs

_DOCS_SCRIPT = """
import sys
from datetime import date
from pathlib import Path
from warehouse import expectations as E
from sources import momentum
from sources.contract import output_schema
E.DATA_DOCS_RUNS = int(sys.argv[3])
t = output_schema(momentum.CONTRACTS["samtale"]).empty_table()
E.validate("momentum__samtale", t, date(2021, 3, 1), None, Path(sys.argv[1]), run_name=sys.argv[2])
"""


def _runs_on_disk(docs: Path) -> tuple[set[str], set[str], set[str]]:
    results = {p.parts[-3] for p in E.results_dir(docs).rglob("*.json")}
    pages = {p.parts[-3] for p in (docs / "validations").rglob("*.html")}
    index = (docs / "index.html").read_text(encoding="utf-8")
    linked = {r for r in results | pages | {f"run-{i}" for i in range(20)} if f"/{r}/" in index}
    return results, pages, linked


@pytest.mark.slow  # the next night is an interpreter of its own, importing GX
def test_data_docs_keep_the_last_n_runs(tmp_path, monkeypatch):
    import subprocess
    import sys

    from sources.contract import output_schema

    monkeypatch.setattr(E, "DATA_DOCS_RUNS", 3)
    docs = tmp_path / "gx" / "data_docs"
    samtale = output_schema(momentum.CONTRACTS["samtale"]).empty_table()
    tilbud = output_schema(momentum.CONTRACTS["tilbud"]).empty_table()
    for i in range(5):  # five runs of two suites each
        E.validate("momentum__samtale", samtale, None, None, docs, run_name=f"run-{i}")
        E.validate("momentum__tilbud", tilbud, None, None, docs, run_name=f"run-{i}")
        results, pages, linked = _runs_on_disk(docs)
        want = {f"run-{j}" for j in range(max(0, i - 2), i + 1)}
        assert results == want, i
        assert pages == want and linked == want, i
    assert len(list(E.results_dir(docs).rglob("*.json"))) == 6  # 3 runs x 2 suites
    # a new process (the next night's run) sees the earlier runs and prunes the oldest
    subprocess.run([sys.executable, "-c", _DOCS_SCRIPT, str(docs), "run-5", "3"], check=True,
                   cwd=Path(__file__).resolve().parent.parent, capture_output=True)
    results, pages, linked = _runs_on_disk(docs)
    assert results == pages == linked == {"run-3", "run-4", "run-5"}


def test_prune_counts_validations_outside_a_run_one_each(tmp_path):
    store = tmp_path / "validations"
    for suite, run, when in (("a", "__none__", "20260101T000001Z"), ("a", "__none__", "20260101T000002Z"),
                             ("a", "r1", "20260101T000003Z"), ("b", "r1", "20260101T000004Z")):
        p = store / suite / run / when / "x.json"
        p.parent.mkdir(parents=True)
        p.write_text("{}")
    # keep 3 with a validation about to be written: two of the three runs on disk stay
    assert E.prune_validations(store, keep=3) == 1  # r1 and the newer __none__ stay
    left = sorted(str(p.relative_to(store)) for p in store.rglob("*.json"))
    assert left == ["a/__none__/20260101T000002Z/x.json", "a/r1/20260101T000003Z/x.json", "b/r1/20260101T000004Z/x.json"]
    assert not (store / "a" / "__none__" / "20260101T000001Z").exists()


def test_a_move_warning_still_publishes_and_is_named_in_the_log_message(tmp_path, monkeypatch):
    """The publication asset itself, its surroundings stubbed: moves beyond the threshold
    give a failed WARN check, the publication still happens, and the log row's message
    names the check like any other warning."""
    import contextlib

    from warehouse.moves import Moves
    from orchestration.assets import publish

    monkeypatch.setattr(publish, "_check_results", lambda ctx: [
        {"asset": "momentum/maalgruppe", "check": "gx_suite", "passed": True, "severity": "ERROR"}])

    class _Con:
        def execute(self, *a):
            return self

        def fetchall(self):
            return [("momentum", "2021-03-01")]

    monkeypatch.setattr(publish, "connect", lambda *a, **k: contextlib.nullcontext(_Con()))
    top = [{"plan": "p", "indicator": "deltagere", "variant": "", "area_level": "helhedsplan", "area": "p",
            "period_type": "year", "period_start": "2021-01-01", "old": 10.0, "new": 20.0, "unit": "persons"}]
    monkeypatch.setattr(publish.moves, "indicator_moves", lambda wh, pub: Moves(40, 2, top))
    entries = []
    monkeypatch.setattr(publish, "publish", lambda wh, target, entry, url: entries.append(entry) or {"t": 1})
    monkeypatch.setattr(publish, "code_version", lambda: "test")
    # Freshness and step times are the inbox's and the run's; this test has neither.
    monkeypatch.setattr(publish.inbox_state, "freshness", lambda inbox, plans: {})
    monkeypatch.setattr(publish, "step_seconds", lambda instance, run_id: {})

    class _S:
        warehouse, published, logs, publish_url = tmp_path / "wh", tmp_path / "pub", tmp_path / "logs", None
        inbox, plans = tmp_path / "inbox", tmp_path / "plans"

    class _Res:
        settings = _S

    from types import SimpleNamespace

    with dg.build_asset_context() as ctx:
        run_ctx = SimpleNamespace(run=SimpleNamespace(run_id="r1", tags={}), log=ctx.log,  # a run's context, as in a run
                                  instance=None)
        out = publish.publication.op.compute_fn.decorated_fn(run_ctx, _Res())
    assert len(entries) == 1  # published
    assert entries[0]["message"] == "1 checks passed; 1 warning(s): publication:indicator_moves_within_threshold"
    (check,) = out.check_results
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["moves_beyond_threshold"].value == 2 and check.metadata["figures_compared"].value == 40
    assert check.metadata["largest_moves"].value == top


@pytest.mark.slow  # ends the shared GX worker: the next test starts a new one
def test_a_suite_that_errs_fails_the_step_loads_nothing_and_keeps_the_other_tables_docs(tmp_path, inbox, pseudonym_key,
                                                                                      monkeypatch):
    """A suite that raises (not one that fails): the step fails as a fault of the night, not of
    the extract (nothing loaded, nothing quarantined), and the Data Docs of the tables that
    validated are still rendered."""
    from warehouse import gx_worker
    from warehouse.database import row_count

    original = E.load_suite

    def broken(name, *args, **kwargs):
        suite = original(name, *args, **kwargs)
        if name == "momentum__tilbud":
            suite["expectations"].append({"type": "expect_no_such_thing", "kwargs": {}, "meta": {}})
        return suite

    monkeypatch.setattr(E, "load_suite", broken)
    s = _settings(tmp_path, inbox)
    with pytest.raises(RuntimeError, match="suite momentum__tilbud: AttributeError"):
        _accept(s, pseudonym_key)
    gx_worker.stop()
    assert row_count(s.warehouse, "raw.momentum__samtale") is None
    assert not s.quarantine.exists() or not any(s.quarantine.rglob("REJECTED.json"))
    index = (s.home / "gx" / "data_docs" / "index.html").read_text()
    assert all(f"momentum__{n}" in index for n in ("borger_adresse", "maalgruppe", "samtale"))
