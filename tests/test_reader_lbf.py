"""The LBF Beboerdata reader (sources/lbf.py): the sample, the generator's three years,
an .xlsx with the same columns, LBF's own suppression ('x'), thousands and decimal
separators, and faults naming the file, the line and the rule.

Values pinned here are read off tests/samples/inbox/lbf/beboerdata_2018.csv by hand."""
from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest

from tests.conftest import SAMPLES

from synth.generator import generate_inbox
from sources import lbf
from sources.contract import ContractError
from tests.reader_helpers import col

HEADER = ("Niveau;Kommunekode;Boligorganisation;Afdelingsnummer;Afdelingsnavn;År;Aldersgruppe;"
          "Antal beboere;Offentligt forsørgede fuldtidspersoner;Andel offentligt forsørgede (%)")
B2018 = "lbf/beboerdata_2018.csv"
SUPP = ["antal_beboere_suppressed_at_source", "offentligt_forsoergede_fuldtidspersoner_suppressed_at_source",
        "andel_offentligt_forsoergede_pct_suppressed_at_source"]


@pytest.fixture(scope="module")
def sample():
    return lbf.read_lbf(SAMPLES)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLES / "lbf", tmp_path / "lbf")
    return tmp_path


def sample_lines() -> list[str]:
    text = (SAMPLES / "lbf" / "beboerdata_2018.csv").read_bytes().decode("utf-8-sig")
    return text[:-2].split("\r\n")


def write(inbox: Path, name: str, lines: list[str]) -> Path:
    path = inbox / "lbf" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def change_line(inbox: Path, line: int, old: str, new: str) -> None:
    lines = sample_lines()
    assert old in lines[line - 1], (line, old)
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    write(inbox, "beboerdata_2018.csv", lines)


def rejected(inbox: Path) -> ContractError:
    with pytest.raises(ContractError) as info:
        lbf.read_lbf(inbox)
    return info.value


def found(err: ContractError) -> list[tuple[str, str, list[int]]]:
    return [(v.file, v.rule, v.lines) for v in err.violations]


# ---------------------------------------------------------------- the sample

def test_sample_reads(sample):
    table, files = sample
    assert files == [B2018]
    assert table.num_rows == 6
    assert table.column_names == [
        "source_row", "niveau", "kommunekode", "boligorganisation", "afdelingsnummer", "afdelingsnavn", "aar",
        "aldersgruppe", "antal_beboere", SUPP[0], "offentligt_forsoergede_fuldtidspersoner", SUPP[1],
        "andel_offentligt_forsoergede_pct", SUPP[2], "source_file"]
    assert col(table, "niveau") == ["Afdeling", "Afdeling", "Afdeling", "Boligområde", "Kommune", "Kommune"]
    assert col(table, "afdelingsnummer") == ["22", "22", "35", None, None, None]
    assert col(table, "afdelingsnavn") == ["Søstjernevej", "Søstjernevej", "Nørager", "Aktiv i fællesskabet", None, None]
    assert col(table, "aldersgruppe") == ["18-29", "30-64", "18-29", "18-29", "18-29", "30-64"]
    assert col(table, "kommunekode") == ["540"] * 6
    assert col(table, "aar") == [2018] * 6
    assert col(table, "source_file") == [B2018] * 6
    assert col(table, "source_row") == [1, 2, 3, 4, 5, 6]


def test_types(sample):
    table, _ = sample
    types = {f.name: f.type for f in table.schema}
    assert types["aar"] == types["antal_beboere"] == pa.int64()
    assert types["offentligt_forsoergede_fuldtidspersoner"] == types["andel_offentligt_forsoergede_pct"] == pa.float64()
    assert all(types[s] == pa.bool_() for s in SUPP)


def test_thousands_separator_and_decimal_comma(sample):
    table, _ = sample
    assert col(table, "antal_beboere") == [163, 402, None, 1045, 9870, 36112]  # '1.045', '9.870', '36.112'
    assert col(table, "offentligt_forsoergede_fuldtidspersoner") == [31.0, 204.0, None, 200.0, 1216.0, 6399.0]
    assert col(table, "andel_offentligt_forsoergede_pct") == [19.02, 50.75, None, 19.14, 12.32, 17.72]


def test_x_is_lbfs_own_suppression(sample):
    table, _ = sample
    for s in SUPP:  # row 3 (Nørager, 18-29) is 'x;x;x'
        assert col(table, s) == [False, False, True, False, False, False], s


def test_one_suppressed_count_only(inbox):
    change_line(inbox, 2, ";163;31;19,02", ";163;x;x")
    table, _ = lbf.read_lbf(inbox)
    assert col(table, "antal_beboere")[0] == 163
    assert col(table, SUPP[0])[0] is False
    assert col(table, "offentligt_forsoergede_fuldtidspersoner")[0] is None
    assert col(table, SUPP[1])[0] is True


def test_xlsx_with_the_same_columns(tmp_path):
    """Excel cells hold numbers as numbers; the first sheet is read whatever its name."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Ark1"
    ws.append(HEADER.split(";"))
    ws.append(["Afdeling", 540, "Sønderborg Andelsboligforening", 22, "Søstjernevej", 2019, "18-29", 1736, 31.5, 19.125])
    ws.append(["Afdeling", 540, "Sønderborg Andelsboligforening", 35, "Nørager", 2019, "30-64", "x", "x", "x"])
    ws.append(["Kommune", "540", None, None, None, "2019", "30-64", "35.890", "6.262", "17,45"])
    wb.create_sheet("Noter").append(["not read"])
    (tmp_path / "lbf").mkdir()
    wb.save(tmp_path / "lbf" / "beboerdata_2019.xlsx")
    table, files = lbf.read_lbf(tmp_path)
    assert files == ["lbf/beboerdata_2019.xlsx"]
    assert col(table, "kommunekode") == ["540"] * 3
    assert col(table, "afdelingsnummer") == ["22", "35", None]
    assert col(table, "aar") == [2019] * 3
    assert col(table, "antal_beboere") == [1736, None, 35890]
    assert col(table, "offentligt_forsoergede_fuldtidspersoner") == [31.5, None, 6262.0]
    assert col(table, "andel_offentligt_forsoergede_pct") == [19.125, None, 17.45]  # 19.125 is no thousands
    assert col(table, SUPP[0]) == [False, True, False]
    assert col(table, "source_row") == [1, 2, 3]


def test_all_years_in_one_table(inbox):
    lines = [l.replace(";2018;", ";2019;") for l in sample_lines()]
    write(inbox, "beboerdata_2019.csv", lines)
    table, files = lbf.read_lbf(inbox)
    assert files == [B2018, "lbf/beboerdata_2019.csv"]
    assert col(table, "aar") == [2018] * 6 + [2019] * 6


def test_no_lbf_folder(tmp_path):
    assert lbf.read_lbf(tmp_path) == (None, [])


# ---------------------------------------------------------------- the generator's output

def test_generated_years_read(tmp_path):
    generate_inbox(tmp_path, persons=500, seed=5)
    table, files = lbf.read_lbf(tmp_path)
    assert files == ["lbf/beboerdata_2018.csv", "lbf/beboerdata_2019.csv", "lbf/beboerdata_2020.csv"]
    assert table.num_rows == 36
    assert sorted(set(col(table, "aar"))) == [2018, 2019, 2020]
    # 2018's boligområde and kommune baselines (the 004 delaftale)
    rows = [r for r in table.to_pylist() if r["aar"] == 2018 and r["niveau"] != "Afdeling"]
    assert [(r["niveau"], r["aldersgruppe"], r["antal_beboere"], r["andel_offentligt_forsoergede_pct"]) for r in rows] == [
        ("Boligområde", "18-29", 1045, 19.14), ("Boligområde", "30-64", 2312, 50.65),
        ("Kommune", "18-29", 9870, 12.32), ("Kommune", "30-64", 36112, 17.72)]
    # every suppressed value is null and flagged; every other value is there
    for value, flag in zip(["antal_beboere", "offentligt_forsoergede_fuldtidspersoner", "andel_offentligt_forsoergede_pct"], SUPP):
        assert [v is None for v in col(table, value)] == col(table, flag)
    assert sum(col(table, SUPP[0])) >= 3  # at least one fully suppressed row a year


# ---------------------------------------------------------------- faults

def test_year_in_file_must_match_the_file_name(inbox):
    change_line(inbox, 5, ";2018;", ";2017;")
    err = rejected(inbox)
    assert found(err) == [(B2018, "year", [5])]
    assert "2018" in str(err)


def test_unknown_niveau(inbox):
    change_line(inbox, 3, "Afdeling;", "Afd;")
    err = rejected(inbox)
    assert found(err) == [(B2018, "code", [3])]


def test_unknown_aldersgruppe(inbox):
    change_line(inbox, 7, ";30-64;", ";30-66;")
    err = rejected(inbox)
    assert found(err) == [(B2018, "code", [7])]
    assert "aldersgrupper" in str(err)


def test_count_that_is_not_a_number(inbox):
    change_line(inbox, 2, ";163;", ";16a3;")
    err = rejected(inbox)
    assert found(err) == [(B2018, "number", [2])]


def test_empty_count_is_not_suppression(inbox):
    change_line(inbox, 2, ";163;", ";;")
    err = rejected(inbox)
    assert found(err) == [(B2018, "required", [2])]


def test_kommune_row_with_an_afdeling(inbox):
    change_line(inbox, 6, "Kommune;540;;;;", "Kommune;540;;22;;")
    err = rejected(inbox)
    assert found(err) == [(B2018, "level", [6])]


def test_afdeling_row_without_afdelingsnummer(inbox):
    change_line(inbox, 4, ";35;", ";;")
    err = rejected(inbox)
    assert found(err) == [(B2018, "level", [4])]


def test_share_over_100(inbox):
    change_line(inbox, 3, ";50,75", ";150,75")
    err = rejected(inbox)
    assert found(err) == [(B2018, "share", [3])]


def test_missing_column(inbox):
    write(inbox, "beboerdata_2018.csv", [";".join(l.split(";")[:9]) for l in sample_lines()])
    err = rejected(inbox)
    assert found(err) == [(B2018, "missing-column", [1])]


def test_a_bad_file_is_named_and_the_good_one_is_not(inbox):
    lines = [l.replace(";2018;", ";2019;") for l in sample_lines()]
    lines[2] = lines[2].replace("Afdeling;", "Afd;")
    write(inbox, "beboerdata_2019.csv", lines)
    err = rejected(inbox)
    assert found(err) == [("lbf/beboerdata_2019.csv", "code", [3])]
    table, v = lbf.read_lbf_file(inbox / "lbf" / "beboerdata_2018.csv", 2018, B2018)  # the caller may load the rest
    assert v == [] and table.num_rows == 6


def test_misnamed_file(inbox):
    shutil.copy(inbox / "lbf" / "beboerdata_2018.csv", inbox / "lbf" / "beboerdata_18.csv")
    err = rejected(inbox)
    assert found(err) == [("lbf/beboerdata_18.csv", "file-name", [])]


def test_csv_and_xlsx_for_one_year(inbox):
    wb = openpyxl.Workbook()
    wb.active.append(HEADER.split(";"))
    wb.save(inbox / "lbf" / "beboerdata_2018.xlsx")
    err = rejected(inbox)
    assert found(err) == [("lbf/beboerdata_2018.csv, lbf/beboerdata_2018.xlsx", "duplicate-file", [])]


def test_xlsx_fault_names_the_excel_row(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER.split(";"))
    ws.append(["Kommune", 540, None, None, None, 2020, "18-29", 9755, 1170, 11.99])
    ws.append(["Kommune", 540, None, None, None, 2020, "18-64", 35640, 6128, 17.19])
    (tmp_path / "lbf").mkdir()
    wb.save(tmp_path / "lbf" / "beboerdata_2020.xlsx")
    err = rejected(tmp_path)
    assert found(err) == [("lbf/beboerdata_2020.xlsx", "code", [3])]
    assert str(err).startswith("lbf/beboerdata_2020.xlsx, row 3: rule code")


def test_not_a_workbook(tmp_path):
    (tmp_path / "lbf").mkdir()
    (tmp_path / "lbf" / "beboerdata_2020.xlsx").write_bytes(b"Niveau;Kommunekode\r\n")
    err = rejected(tmp_path)
    assert found(err) == [("lbf/beboerdata_2020.xlsx", "xlsx", [])]
