"""The roster reader (sources/roster.py): hand-kept lists whose faults are per row. A bad
row is reported with its file, row number and rule while the good rows load; blank and
Total rows are no faults; a person entered twice is one enrolment; no name, remark or CPR
reaches the table or a message.

Values pinned here are read off tests/samples/inbox/roster by hand (cat -A, openpyxl)."""
from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tests.conftest import SAMPLES

from synth.generator import generate_inbox
from sources import momentum, opera, roster
from tests.reader_helpers import PSEUDO, col, key

HEADER = ["CPR", "Navn", "Startdato", "Slutdato", "Status ved afslutning", "Timer pr. uge", "Bemærkning"]
XLSX = "roster/beskaeftigelsesfremmende-forloeb.xlsx"
CSV = "roster/praktikpladser-til-udsatte-ledige.csv"
# A CPR number on its own (not ten digits inside a hex person key).
CPR_SHAPE = re.compile(r"(?<![0-9A-Za-z])(0[1-9]|[12][0-9]|3[01])(0[1-9]|1[0-2])[0-9]{2}-?[0-9]{4}(?![0-9A-Za-z])")


def rows_of(table: pa.Table, aktivitet: str) -> pa.Table:
    return table.filter(pc.equal(table.column("aktivitet"), aktivitet))


def write_csv(inbox: Path, name: str, rows: list[list]) -> Path:
    path = inbox / "roster" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [";".join(HEADER)] + [";".join("" if v is None else str(v) for v in r) for r in rows]
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def write_xlsx(inbox: Path, name: str, rows: list[list], sheet: str = "Deltagere") -> Path:
    path = inbox / "roster" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def faults(result) -> list[tuple[str, str, list[int], str]]:
    return [(v.file, v.rule, v.lines, v.level) for v in result.row_faults]


def assert_private(result, secrets: list[str]) -> None:
    """No CPR-shaped string, name or remark in the table or in any message."""
    texts = [str(v) for v in result.row_faults + result.file_faults]
    for c in result.table.columns:
        texts += [str(v) for v in c.to_pylist()]
    blob = "\n".join(texts)
    assert not CPR_SHAPE.search(blob), "a CPR-shaped string leaked"
    for s in secrets:
        assert s.lower() not in blob.lower(), s


@pytest.fixture(scope="module")
def sample():
    return roster.read_rosters(SAMPLES, PSEUDO)


# ---------------------------------------------------------------- the samples

def test_sample_reads(sample):
    assert sample.files == [XLSX, CSV]
    assert sample.file_faults == []
    assert sample.table.column_names == ["aktivitet", "person_key", "startdato", "slutdato",
                                         "status_ved_afslutning", "timer_pr_uge", "source_row"]
    assert sample.table.num_rows == 6
    types = {f.name: f.type for f in sample.table.schema}
    assert types["startdato"] == types["slutdato"] == pa.date32()
    assert types["timer_pr_uge"] == pa.float64() and types["source_row"] == pa.int64()


def test_sample_xlsx_values(sample):
    t = rows_of(sample.table, "beskaeftigelsesfremmende-forloeb")
    assert col(t, "person_key") == [key("2301992346"), key("1203851234"), key("1505704568")]  # ' 150570-4568 '
    assert col(t, "startdato") == [date(2020, 9, 7), date(2021, 3, 1), date(2020, 6, 1)]  # Excel date, '01.03.2021'
    assert col(t, "slutdato") == [date(2020, 11, 13), None, date(2020, 9, 30)]  # Excel date, empty, '30-09-2020'
    assert col(t, "status_ved_afslutning") == ["Uddannelse", None, "Fortsat ledig"]
    assert col(t, "timer_pr_uge") == [None, None, None]
    assert col(t, "source_row") == [2, 3, 4]  # Excel rows; 5 is blank, 6 is Total


def test_sample_csv_values(sample):
    t = rows_of(sample.table, "praktikpladser-til-udsatte-ledige")
    assert col(t, "person_key") == [key("1203851234"), key("0407921235"), key("3112643457")]  # '0407921235 '
    assert col(t, "startdato") == [date(2021, 1, 4), date(2020, 10, 1), date(2021, 2, 1)]  # '1-10-2020'
    assert col(t, "slutdato") == [date(2021, 3, 28), date(2020, 12, 4), None]  # '04.12.2020'
    assert col(t, "status_ved_afslutning") == ["Virksomhedsforløb", "Beskæftigelse over 18,5 timer", None]
    assert col(t, "timer_pr_uge") == [15.0, 37.0, 30.5]  # '30,5'
    assert col(t, "source_row") == [2, 3, 4]  # lines


def test_sample_duplicate_is_one_enrolment_and_total_and_blank_are_no_faults(sample):
    # 311264-3457 is on lines 4 and 5 with Startdato 01-02-2021; line 6 is blank, 7 is Total.
    assert faults(sample) == [(CSV, "duplicate", [5], "warning")]
    assert "line 4" in str(sample.row_faults[0])
    assert col(sample.table, "person_key").count(key("3112643457")) == 1


def test_person_keys_match_momentum_and_opera(sample):
    mom = momentum.read_extract(SAMPLES / "momentum" / "20210301", PSEUDO, SAMPLES)
    ope = opera.read_extract(SAMPLES / "opera" / "20191231", PSEUDO, SAMPLES)
    et = key("1203851234")
    assert col(mom.tables["maalgruppe"], "person_key")[0] == et  # '120385-1234'
    assert col(ope.tables["matchperioder"], "person_key")[0] == et  # '1203851234'
    keys = col(sample.table, "person_key")
    assert keys[1] == keys[3] == et  # xlsx '1203851234', csv '120385-1234'


def test_sample_is_private(sample):
    assert_private(sample, ["Testperson", "praktikvært", "startet igen", "dobbeltregistreret"])
    assert not {"navn", "bemaerkning", "cpr"} & set(sample.table.column_names)


# ---------------------------------------------------------------- hand-made faults

def test_bad_rows_are_reported_and_good_rows_load(tmp_path):
    write_csv(tmp_path, "jobklub.csv", [
        ["120385-1234", "Anna Andersen", "01-02-2021", "28-02-2021", "Uddannelse", "20", ""],  # 2 good
        ["321385-1234", "Bent Berg", "01-02-2021", "", "", "", ""],  # 3 invalid CPR (day 32)
        ["040792-1235", "Carl Clausen", "31-02-2021", "", "", "", ""],  # 4 no such date
        ["230199-2346", "Dina Dam", "2021-02-01", "", "", "", ""],  # 5 ISO: not the roster's form
        ["311264-3457", "Emil Eriksen", "01-03-2021", "28-02-2021", "Andet", "", ""],  # 6 end before start
        ["150570-4568", "Frida Friis", "01-03-2021", "15-03-2021", "I job", "", ""],  # 7 unknown status
        ["", "", "", "", "", "", ""],  # 8 blank
        ["010203-4567", "Gorm Gade", "1.3.2021", "", "", "12,5", "ringer 12345678"],  # 9 good
        ["Total", "7", "", "", "", "", ""],  # 10 Total
    ])
    res = roster.read_rosters(tmp_path, PSEUDO)
    f = "roster/jobklub.csv"
    assert faults(res) == [(f, "cpr", [3], "error"), (f, "date", [4], "error"), (f, "date", [5], "error"),
                           (f, "period", [6], "error"), (f, "code", [7], "error")]
    assert res.file_faults == [] and res.files == [f]
    assert col(res.table, "source_row") == [2, 9]
    assert col(res.table, "person_key") == [key("1203851234"), key("0102034567")]
    assert col(res.table, "startdato") == [date(2021, 2, 1), date(2021, 3, 1)]
    assert col(res.table, "timer_pr_uge") == [20.0, 12.5]
    assert col(res.table, "aktivitet") == ["jobklub", "jobklub"]
    assert str(res.row_faults[0]) == "roster/jobklub.csv, line 3: rule cpr: CPR is not a valid CPR number"
    assert_private(res, ["Andersen", "Berg", "Clausen", "Dam", "Eriksen", "Friis", "Gade", "I job", "ringer"])


def test_xlsx_rows_are_excel_rows(tmp_path):
    write_xlsx(tmp_path, "jobklub.xlsx", [
        ["120385-1234", "Anna Andersen", datetime(2021, 2, 1), None, None, 12.5, None],  # row 2
        [None] * 7,  # row 3 blank
        ["120385-1234 ", "Anna Andersen", "1-2-2021", "28-02-2021", "Uddannelse ", None, "igen"],  # row 4: same enrolment
        [407921235, "Carl Clausen", "01.03.2021", "1-3-2020", None, None, None],  # row 5: end before start
        ["230199-2346", "Dina Dam", "01-13-2021", None, None, None, None],  # row 6: month 13
        [" Total ", 3, None, None, None, None, None],  # row 7
    ])
    res = roster.read_rosters(tmp_path, PSEUDO)
    f = "roster/jobklub.xlsx"
    assert faults(res) == [(f, "duplicate", [2], "warning"), (f, "period", [5], "error"), (f, "date", [6], "error")]
    assert str(res.row_faults[1]) == "roster/jobklub.xlsx, row 5: rule period: end date before start date (startdato > slutdato)"
    # The duplicate with Slutdato and status (row 4) is kept: it says more than row 2.
    assert "row 4" in str(res.row_faults[0])
    assert col(res.table, "source_row") == [4]
    assert col(res.table, "slutdato") == [date(2021, 2, 28)]
    assert col(res.table, "status_ved_afslutning") == ["Uddannelse"]  # trailing space trimmed
    assert_private(res, ["Andersen", "Clausen", "Dam", "igen"])


def test_excel_number_cpr_keeps_its_leading_zero(tmp_path):
    # '0407921235' typed without hyphen: Excel stores the number 407921235.
    write_xlsx(tmp_path, "a.xlsx", [[407921235, "X", datetime(2021, 1, 4), None, None, 30, None]])
    res = roster.read_rosters(tmp_path, PSEUDO)
    assert res.row_faults == []
    assert col(res.table, "person_key") == [key("0407921235")]
    assert col(res.table, "timer_pr_uge") == [30.0]


def test_same_person_on_two_rosters_is_no_duplicate(tmp_path):
    row = ["120385-1234", "Anna", "01-02-2021", "", "", "", ""]
    write_csv(tmp_path, "a.csv", [row])
    write_csv(tmp_path, "b.csv", [row, ["120385-1234", "Anna", "01-05-2021", "", "", "", ""]])
    res = roster.read_rosters(tmp_path, PSEUDO)
    assert res.row_faults == []
    assert col(res.table, "aktivitet") == ["a", "b", "b"]


def test_a_rejected_roster_does_not_stop_the_others(tmp_path):
    write_csv(tmp_path, "god.csv", [["120385-1234", "Anna", "01-02-2021", "", "", "", ""]])
    bad = tmp_path / "roster" / "daarlig.csv"
    bad.write_bytes("CPR;Navn;Start;Slut\r\n120385-1234;Anna;01-02-2021;\r\n".encode("utf-8"))
    write_xlsx(tmp_path, "ark.xlsx", [["120385-1234", "Anna", "01-02-2021", None, None, None, None]], sheet="Ark1")
    res = roster.read_rosters(tmp_path, PSEUDO)
    assert res.files == ["roster/god.csv"]
    assert [(v.file, v.rule) for v in res.file_faults] == [
        ("roster/ark.xlsx", "sheet-missing"), ("roster/daarlig.csv", "missing-column"), ("roster/daarlig.csv", "extra-column")]
    assert res.table.num_rows == 1


def test_two_rosters_for_one_activity(tmp_path):
    write_csv(tmp_path, "a.csv", [["120385-1234", "Anna", "01-02-2021", "", "", "", ""]])
    write_xlsx(tmp_path, "a.xlsx", [["120385-1234", "Anna", "01-02-2021", None, None, None, None]])
    res = roster.read_rosters(tmp_path, PSEUDO)
    assert [(v.file, v.rule) for v in res.file_faults] == [("roster/a.csv, roster/a.xlsx", "duplicate-file")]
    assert res.files == [] and res.table.num_rows == 0


def test_only_blank_and_total_rows_is_an_empty_roster(tmp_path):
    write_csv(tmp_path, "tom.csv", [["", "", "", "", "", "", ""], ["Total", "0", "", "", "", "", ""]])
    res = roster.read_rosters(tmp_path, PSEUDO)
    assert [(v.file, v.rule) for v in res.file_faults] == [("roster/tom.csv", "empty-file")]


def test_no_roster_folder(tmp_path):
    res = roster.read_rosters(tmp_path, PSEUDO)
    assert res.table.num_rows == 0 and res.table.schema == roster.SCHEMA
    assert res.files == [] and res.row_faults == [] and res.file_faults == []


# ---------------------------------------------------------------- the generator's output

@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    generate_inbox(out, persons=3000, seed=3)
    return out


def roster_rows(inbox: Path) -> dict[str, list[list]]:
    """Data rows of each generated roster as written (blank and Total rows aside)."""
    out = {}
    for path in sorted((inbox / "roster").iterdir()):
        if path.suffix == ".xlsx":
            rows = list(openpyxl.load_workbook(path, read_only=True)["Deltagere"].iter_rows(min_row=2, values_only=True))
        else:
            rows = [l.split(";") for l in path.read_text("utf-8-sig").splitlines()[1:]]
        out[path.stem] = [r for r in rows if any(v not in (None, "") for v in r) and r[0] != "Total"]
    return out


def test_generated_rosters_read(generated):
    res = roster.read_rosters(generated, PSEUDO)
    assert res.file_faults == []
    assert [v for v in res.row_faults if v.level == "error"] == []
    # the generator enters one person twice in each roster
    assert sorted((v.file, v.rule) for v in res.row_faults) == [
        ("roster/beskaeftigelsesfremmende-forloeb.xlsx", "duplicate"),
        ("roster/praktikpladser-til-udsatte-ledige.csv", "duplicate")]
    written = roster_rows(generated)
    for stem, rows in written.items():
        assert rows_of(res.table, stem).num_rows == len(rows) - 1, stem
    assert res.table.column("person_key").null_count == 0
    assert res.table.column("startdato").null_count == 0
    names = {str(r[1]).strip() for rows in written.values() for r in rows}
    assert_private(res, sorted(names))


def test_row_with_a_wrong_field_count_is_a_row_fault(tmp_path):
    path = tmp_path / "roster" / "felter.csv"
    path.parent.mkdir()
    path.write_bytes(("\ufeff" + ";".join(HEADER) + "\r\n"
                      "120385-1234;Anna;01-02-2021;;;;\r\n"
                      "040792-1235;Carl;01-02-2021\r\n"  # line 3: three fields
                      '230199-2346;"Dam; Dina\r\nDam";01-03-2021;;;;\r\n'  # lines 4-5: a quoted line break
                      "311264-3457;Emil;01-13-2021;;;;\r\n").encode("utf-8"))  # line 6: month 13
    res = roster.read_rosters(tmp_path, PSEUDO)
    f = "roster/felter.csv"
    assert faults(res) == [(f, "field-count", [3], "error"), (f, "date", [6], "error")]
    assert col(res.table, "source_row") == [2, 4]
    assert col(res.table, "person_key") == [key("1203851234"), key("2301992346")]
