"""The readers at their boundary: the sample extract's quirks, privacy, and every fault
the contract names (docs/sources.md), reported with the right file, line and rule.

The samples in tests/samples/inbox show the format only; the values pinned here are read
off those files by hand (see `cat -A`)."""
from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from sources.contract import ContractError, _check_encoding, _has_byte, read_file
from sources.momentum import CONTRACTS, read_extract
from sources.omraader import read_register
from tests.reader_helpers import PSEUDO, addr_key, col, key

from tests.conftest import SAMPLES  # noqa: E402
SAMPLE_EXTRACT = SAMPLES / "momentum" / "20210301"
EXTRACT_DATE = date(2021, 3, 1)

CPR_SHAPE = re.compile(r"\b\d{6}-?\d{4}\b")
STREETS = ("søstjernevej", "stenbjergparken", "hvedemarken", "nørager", "perlegade")
# Personal columns that must never leave a reader. `bynavn` (town) and `afdelingsnavn`
# (a housing department) are not personal and are allowed.
PERSONAL_COLUMN = re.compile(r"^navn$|_navn$|vejnavn|husn|cpr|etage|side_?d", re.IGNORECASE)

BOM = "\ufeff"


# ---------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def extract():
    return read_extract(SAMPLE_EXTRACT, PSEUDO, SAMPLES)


@pytest.fixture(scope="module")
def register():
    table, _ = read_register(SAMPLES, PSEUDO)
    return table


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """A copy of the sample inbox's Momentum extract, to corrupt."""
    shutil.copytree(SAMPLE_EXTRACT, tmp_path / "momentum" / "20210301")
    return tmp_path


def folder_of(inbox: Path) -> Path:
    return inbox / "momentum" / "20210301"


def edit_lines(path: Path, edit) -> None:
    """Edit a UTF-8-with-BOM, CRLF file line by line (index 0 = header = physical line 1)."""
    text = path.read_bytes().decode("utf-8-sig")
    assert text.endswith("\r\n")
    lines = text[:-2].split("\r\n")
    lines = edit(lines)
    path.write_bytes((BOM + "\r\n".join(lines) + "\r\n").encode("utf-8"))


def replace_in_line(path: Path, line: int, old: str, new: str) -> None:
    def edit(lines):
        assert old in lines[line - 1], (line, old)
        lines[line - 1] = lines[line - 1].replace(old, new, 1)
        return lines
    edit_lines(path, edit)


def assert_private(text: str) -> None:
    assert not CPR_SHAPE.search(text), "a CPR-shaped string leaked"
    low = text.lower()
    for street in STREETS:
        assert street not in low, f"street {street} leaked"


def rejected(inbox: Path, only: str | None = None) -> ContractError:
    """Read the corrupted copy; `only` reads just that file (and the control file): the
    others are the untouched samples, clean by test_sample_extract_reads, and skipping
    them keeps the suite fast."""
    contracts = CONTRACTS if only is None else {only: CONTRACTS[only]}
    with pytest.raises(ContractError) as info:
        read_extract(folder_of(inbox), PSEUDO, inbox, contracts=contracts)
    err = info.value
    assert_private(str(err))
    for v in err.violations:
        assert_private(str(v))
    return err


def found(err: ContractError) -> list[tuple[str, str, list[int]]]:
    return [(v.file, v.rule, v.lines) for v in err.violations]


MAAL = "momentum/20210301/maalgruppe.csv"
TILBUD = "momentum/20210301/tilbud.csv"
SAMTALE = "momentum/20210301/samtale.csv"
ADRESSE = "momentum/20210301/borger_adresse.csv"
KONTROL = "momentum/20210301/_kontrol.csv"


# ---------------------------------------------------------------- 1. the sample's quirks

def test_sample_has_the_quirks_the_tests_rely_on():
    for name in ("borger_adresse.csv", "maalgruppe.csv", "tilbud.csv", "samtale.csv", "_kontrol.csv"):
        raw = (SAMPLE_EXTRACT / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), name
        assert b"\r\n" in raw and raw.count(b"\n") == raw.count(b"\r\n"), name
        assert b";" in raw.splitlines()[0], name
    adresse = (SAMPLE_EXTRACT / "borger_adresse.csv").read_bytes().decode("utf-8-sig")
    assert "0407921235;" in adresse and "040792-1235;" in adresse
    assert "søstjernevej ;12 a;" in adresse and "Søstjernevej;12A;" in adresse


def test_sample_extract_reads(extract):
    assert extract.extract_date == EXTRACT_DATE
    assert set(extract.tables) == {"borger_adresse", "maalgruppe", "tilbud", "samtale"}
    assert extract.row_counts == {"borger_adresse": 6, "maalgruppe": 6, "tilbud": 4, "samtale": 4}
    assert {k: t.num_rows for k, t in extract.tables.items()} == extract.row_counts


def test_bom_does_not_spoil_the_first_column(extract):
    # With the BOM glued to 'CPR-nummer' the header check would fail; every row
    # must carry a person key from the first column.
    for name, table in extract.tables.items():
        assert "person_key" in table.column_names, name
        assert table.column("person_key").null_count == 0, name
    assert col(extract.tables["maalgruppe"], "person_key")[0] == key("1203851234")


def test_crlf_leaves_no_carriage_return_in_values(extract):
    for name, table in extract.tables.items():
        for c in table.columns:
            if pa.types.is_string(c.type):
                assert not any(v.endswith("\r") for v in c.to_pylist() if v), (name, c)
    assert col(extract.tables["samtale"], "status") == ["Afholdt", None, "Afholdt", "Udeblevet"]
    assert col(extract.tables["maalgruppe"], "afslutningsaarsag") == [
        None, "Målgruppeskift", None, "Ordinær uddannelse", None, None]


def test_cpr_with_and_without_hyphen_is_one_person(extract):
    adresse = extract.tables["borger_adresse"]
    keys = col(adresse, "person_key")
    assert keys[1] == keys[2] == key("0407921235")  # '0407921235' and '040792-1235'
    assert len(set(keys)) == 5
    # ... and the same person across files
    maal = col(extract.tables["maalgruppe"], "person_key")
    assert maal[1] == maal[2] == keys[1]
    assert col(extract.tables["tilbud"], "person_key")[1] == keys[1]


def test_address_spacing_case_and_letter_give_one_key(extract, register):
    adresse = col(extract.tables["borger_adresse"], "address_key")
    expected = addr_key("Søstjernevej", "12A", "6400")
    # 'Søstjernevej;12A;6400' and 'søstjernevej ;12 a;6400'
    assert adresse[0] == adresse[1] == expected
    assert addr_key("søstjernevej ", "12 a", "6400") == expected
    assert addr_key("Søstjernevej", "14", "6400") != expected
    assert col(register, "address_key")[0] == expected


def test_decimal_comma(extract):
    tilbud = extract.tables["tilbud"]
    assert tilbud.schema.field("timer_pr_uge").type == pa.float64()
    assert col(tilbud, "timer_pr_uge") == [15.0, 37.0, 30.5, 2.0]


DATE_COLUMNS = {
    "borger_adresse": ["gyldig_fra", "gyldig_til"],
    "maalgruppe": ["start_date", "end_date"],
    "tilbud": ["start_date", "end_date"],
    "samtale": ["frist", "afholdt_dato"],
}


def test_dates_are_typed(extract):
    for name, cols in DATE_COLUMNS.items():
        table = extract.tables[name]
        for c in cols + ["extract_date"]:
            assert table.schema.field(c).type == pa.date32(), (name, c)
        for c in table.columns:
            if pa.types.is_string(c.type):
                assert not any(re.fullmatch(r"\d{1,2}[-.]\d{1,2}[-.]\d{4}|\d{4}-\d{2}-\d{2}", v)
                               for v in c.to_pylist() if v), (name, c)
    assert col(extract.tables["borger_adresse"], "gyldig_fra")[1] == date(2019, 8, 15)
    assert col(extract.tables["borger_adresse"], "gyldig_til")[1] == date(2020, 12, 31)
    assert col(extract.tables["maalgruppe"], "start_date") == [
        date(2019, 2, 3), date(2020, 6, 1), date(2020, 9, 15), date(2020, 8, 1), date(2019, 3, 5), date(2020, 3, 1)]
    assert col(extract.tables["samtale"], "frist")[1] == date(2021, 4, 15)  # after the extract date: allowed


def test_empty_end_date_and_empty_status_are_null(extract):
    assert col(extract.tables["maalgruppe"], "end_date") == [
        None, date(2020, 9, 14), None, date(2021, 1, 31), None, None]
    assert col(extract.tables["samtale"], "status")[1] is None
    assert col(extract.tables["samtale"], "afholdt_dato")[1] is None
    assert col(extract.tables["tilbud"], "cvr_nummer") == ["12345678", None, "87654321", None]


def test_extract_date_column(extract):
    for name, table in extract.tables.items():
        assert col(table, "extract_date") == [EXTRACT_DATE] * table.num_rows, name


def test_cpr_leading_zero_is_kept(tmp_path):
    path = tmp_path / "maalgruppe.csv"
    lines = [
        "CPR-nummer;Målgruppekode;Målgruppe;Startdato;Slutdato;Afslutningsårsag",
        "0104851234;6.2;Jobparat;01-01-2020;31-01-2020;Målgruppeskift",
        "010485-1234;6.1;Dagpengemodtager;01-02-2020;;",
    ]
    path.write_bytes((BOM + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    res = read_file(path, CONTRACTS["maalgruppe"], PSEUDO, EXTRACT_DATE, "maalgruppe.csv")
    assert res.violations == []
    keys = col(res.table, "person_key")
    assert keys == [key("0104851234")] * 2
    assert key("0104851234") != key("104851234")

    # The birth date is read from the same CPR before it is pseudonymised.
    assert col(res.table, "foedselsdato") == [date(1985, 4, 1)] * 2


@pytest.mark.parametrize("cpr, born", [
    ("0101801234", date(1980, 1, 1)),    # 7th digit 0-3: 1900s
    ("0101054234", date(2005, 1, 1)),    # 4 and yy <= 36: 2000s
    ("0101404234", date(1940, 1, 1)),    # 4 and yy > 36: 1900s
    ("0101105234", date(2010, 1, 1)),    # 5-8 and yy <= 57: 2000s
    ("0101605234", date(1860, 1, 1)),    # 5-8 and yy > 57: 1800s
    ("0101209234", date(2020, 1, 1)),    # 9 and yy <= 36: 2000s
    ("0101509234", date(1950, 1, 1)),    # 9 and yy > 36: 1900s
    ("2902004234", date(2000, 2, 29)),   # a leap day
    ("2902001234", None),                # 1900 was not a leap year
    ("3102801234", None),                # 31 February: no date, not 2 or 3 March
])
def test_birth_date_from_cpr(cpr, born):
    from sources.pseudonym import cpr_birth_date

    assert cpr_birth_date(pa.array([cpr])).to_pylist() == [born]


def test_birth_dates_of_many_cprs_sharing_their_first_seven_digits():
    # Each distinct first seven digits is dated once and spread back over every value.
    from sources.pseudonym import cpr_birth_date

    values = pa.chunked_array([["0101601234", None, "0101605234"], ["0101609999", "2902001234", "0101601111"]])
    assert cpr_birth_date(values).to_pylist() == [
        date(1960, 1, 1), None, date(1860, 1, 1), date(1960, 1, 1), None, date(1960, 1, 1)]


# ---------------------------------------------------------------- 2. privacy at the boundary

def all_tables(extract, register) -> dict[str, pa.Table]:
    return {**extract.tables, "register": register}


def test_no_cpr_in_any_returned_value(extract, register):
    for name, table in all_tables(extract, register).items():
        for col, c in zip(table.column_names, table.columns):
            for v in c.to_pylist():
                assert not (isinstance(v, str) and CPR_SHAPE.search(v)), (name, col)
            if not pa.types.is_integer(c.type):
                continue
            values = [v for v in c.to_pylist() if v is not None]
            if col == "person_key":
                # a pseudonym over the whole 64-bit range: never a number a CPR could become
                assert values and not any(0 <= v < 10**10 for v in values), name
            else:
                # nor any digit string a CPR number would become if typed as a number
                assert max(values or [0]) < 10**8, (name, col)


def test_no_street_in_citizen_tables(extract):
    # The register's department names (afdelingsnavn 'Søstjernevej') are the housing
    # organisation's, not a citizen's address, so only the extract is checked here.
    for name, table in extract.tables.items():
        for c in table.columns:
            for v in c.to_pylist():
                if isinstance(v, str):
                    assert not any(s in v.lower() for s in STREETS), (name, c.type)


def test_no_personal_columns(extract, register):
    for name, table in all_tables(extract, register).items():
        bad = [c for c in table.column_names if PERSONAL_COLUMN.search(c)]
        assert bad == [], name
    assert "vejnavn" not in register.column_names and "husnummer" not in register.column_names


# ---------------------------------------------------------------- 3. faults

def test_truncated_file_breaks_the_control_count(inbox):
    edit_lines(folder_of(inbox) / "maalgruppe.csv", lambda ls: ls[:-1])
    err = rejected(inbox, "maalgruppe")
    assert found(err) == [(MAAL, "control-count", [])]
    assert "5 data rows, control file says 6" in str(err)


def test_missing_column(inbox):
    def drop_name(ls):  # drop 'Målgruppe' (the third field) everywhere
        return [";".join(f for i, f in enumerate(line.split(";")) if i != 2) for line in ls]
    edit_lines(folder_of(inbox) / "maalgruppe.csv", drop_name)
    err = rejected(inbox, "maalgruppe")
    assert found(err) == [(MAAL, "missing-column", [1])]
    assert "Målgruppe" in str(err.violations[0])


def test_extra_column(inbox):
    edit_lines(folder_of(inbox) / "samtale.csv", lambda ls: [ls[0] + ";Ekstra"] + [l + ";x" for l in ls[1:]])
    err = rejected(inbox, "samtale")
    assert found(err) == [(SAMTALE, "extra-column", [1])]


@pytest.mark.parametrize("name, display, line", [
    ("tilbud.csv", TILBUD, 4),  # ASCII header; 'Løntilskud' on line 4
    ("samtale.csv", SAMTALE, 5),  # 'Opfølgningssamtale' on line 5
    ("maalgruppe.csv", MAAL, 1),  # 'Målgruppekode' in the header
])
def test_wrong_encoding(inbox, name, display, line):
    path = folder_of(inbox) / name
    path.write_bytes(path.read_bytes().decode("utf-8-sig").encode("cp1252"))
    err = rejected(inbox, name.removesuffix(".csv"))
    assert found(err) == [(display, "encoding", [line])]


def test_comma_separator(inbox):
    path = folder_of(inbox) / "samtale.csv"
    edit_lines(path, lambda ls: [l.replace(";", ",") for l in ls])
    err = rejected(inbox, "samtale")
    assert found(err) == [(SAMTALE, "separator", [1])]


@pytest.mark.parametrize("name, display, line, old, bad", [
    ("maalgruppe.csv", MAAL, 5, "230199-2346", "321385-1234"),  # day 32
    ("maalgruppe.csv", MAAL, 5, "230199-2346", "12038-1234"),  # nine digits
    ("borger_adresse.csv", ADRESSE, 5, "230199-2346", "231399-2346"),  # month 13, on the Hvedemarken row
])
def test_invalid_cpr(inbox, name, display, line, old, bad):
    replace_in_line(folder_of(inbox) / name, line, old, bad)
    err = rejected(inbox, name.removesuffix(".csv"))
    assert found(err) == [(display, "cpr", [line])]
    assert bad not in str(err)


def test_end_before_start(inbox):
    replace_in_line(folder_of(inbox) / "maalgruppe.csv", 5, "01-08-2020;31-01-2021", "01-08-2020;31-07-2020")
    err = rejected(inbox, "maalgruppe")
    assert found(err) == [(MAAL, "period", [5])]


def test_unknown_maalgruppe_code(inbox):
    replace_in_line(folder_of(inbox) / "maalgruppe.csv", 7, ";6.6;", ";6.99;")
    err = rejected(inbox, "maalgruppe")
    assert found(err) == [(MAAL, "code", [7])]


def test_overlapping_periods(inbox):
    # 040792-1235: 6.2 01-06-2020..14-09-2020, then 6.1 from 01-09-2020 (was 15-09-2020)
    replace_in_line(folder_of(inbox) / "maalgruppe.csv", 4, "15-09-2020", "01-09-2020")
    err = rejected(inbox, "maalgruppe")
    assert found(err) == [(MAAL, "overlap", [4])]


def test_empty_file_zero_bytes(inbox):
    (folder_of(inbox) / "samtale.csv").write_bytes(b"")
    err = rejected(inbox, "samtale")
    assert found(err) == [(SAMTALE, "empty-file", [])]


def test_empty_file_header_only(inbox):
    edit_lines(folder_of(inbox) / "samtale.csv", lambda ls: ls[:1])
    err = rejected(inbox, "samtale")
    assert found(err) == [(SAMTALE, "empty-file", [])]


@pytest.mark.parametrize("edit", [lambda l: l + ";x", lambda l: l.rsplit(";", 1)[0]], ids=["too-many", "too-few"])
def test_wrong_field_count(inbox, edit):
    edit_lines(folder_of(inbox) / "tilbud.csv", lambda ls: ls[:3] + [edit(ls[3])] + ls[4:])
    err = rejected(inbox, "tilbud")
    assert found(err) == [(TILBUD, "field-count", [4])]


def test_date_after_the_extract(inbox):
    replace_in_line(folder_of(inbox) / "maalgruppe.csv", 2, "03-02-2019", "31-12-2099")
    err = rejected(inbox, "maalgruppe")
    assert found(err) == [(MAAL, "date-range", [2])]


def test_iso_date_in_a_ddmmyyyy_column(inbox):
    # Slutdato (not required), so only the date rule can fire.
    replace_in_line(folder_of(inbox) / "maalgruppe.csv", 2, "03-02-2019;;", "03-02-2019;2021-03-01;")
    err = rejected(inbox, "maalgruppe")
    assert found(err) == [(MAAL, "date", [2])]


def test_a_value_typed_once_is_judged_on_every_row(inbox):
    # Dates and numbers are typed once per distinct text and spread over the rows: the same
    # bad date, and the same bad number, is a fault on each line that holds it.
    path = folder_of(inbox) / "tilbud.csv"
    replace_in_line(path, 2, "28-03-2021", "31-02-2021")
    replace_in_line(path, 4, "01-02-2021;;30,5", "31-02-2021;;tre")
    replace_in_line(path, 5, "01-02-2021;;2", "31-02-2021;;tre")
    err = rejected(inbox, "tilbud")
    assert sorted(found(err)) == [(TILBUD, "date", [2]), (TILBUD, "date", [4, 5]), (TILBUD, "number", [4, 5])]


@pytest.mark.parametrize("at", [0, 5], ids=["line-start", "mid-field"])
def test_binary_garbage(inbox, at):
    path = folder_of(inbox) / "maalgruppe.csv"
    lines = path.read_bytes().split(b"\r\n")
    lines[2] = lines[2][:at] + b"\x00\xff\xfe\x81" + lines[2][at:]  # physical line 3
    path.write_bytes(b"\r\n".join(lines))
    err = rejected(inbox, "maalgruppe")
    assert found(err) == [(MAAL, "encoding", [3])]


def test_missing_control_file(inbox):
    (folder_of(inbox) / "_kontrol.csv").unlink()
    err = rejected(inbox)
    assert found(err) == [(KONTROL, "control-file-missing", [])]


def _multiline_arbejdssted(path: Path) -> None:
    raw = path.read_bytes()
    assert raw.count(b"Lokal Brugs A/S") == 1
    path.write_bytes(raw.replace(b"Lokal Brugs A/S", b'"Lokal; Brugs\r\nA/S"'))  # data row 1 spans lines 2-3


def test_quoted_field_with_separator_and_line_break_reads(inbox):
    _multiline_arbejdssted(folder_of(inbox) / "tilbud.csv")
    ext = read_extract(folder_of(inbox), PSEUDO, inbox)
    tilbud = ext.tables["tilbud"]
    assert ext.row_counts["tilbud"] == 4
    assert col(tilbud, "tilbud_id") == ["T-1001", "T-1002", "T-1003", "T-1004"]
    assert col(tilbud, "cvr_nummer") == ["12345678", None, "87654321", None]
    arbejdssted = next(c for c in CONTRACTS["tilbud"].columns if c.header == "Arbejdssted")
    if arbejdssted.kind == "drop":  # free text about a workplace: not handed over
        assert "arbejdssted" not in tilbud.column_names
    else:
        assert col(tilbud, "arbejdssted") == ["Lokal; Brugs\r\nA/S", None, "Nordals Metal ApS", None]
    assert col(tilbud, "timer_pr_uge") == [15.0, 37.0, 30.5, 2.0]


def test_the_search_for_a_quote_that_picks_the_parser_sees_every_byte_and_an_empty_file(tmp_path):
    # A quote anywhere (here only the last byte) must choose the parser that keeps line breaks
    # inside quoted values; an empty file has none (and cannot be mapped into memory).
    body = b"a;b\r\n" * 100_000
    cases = {"empty": b"", "none": body, "last": body + b'"', "first": b'"' + body}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    assert {n: _has_byte(tmp_path / n, b'"') for n in cases} == {"empty": False, "none": False, "last": True,
                                                                  "first": True}


def test_line_numbers_count_the_extra_physical_line(inbox):
    path = folder_of(inbox) / "tilbud.csv"
    _multiline_arbejdssted(path)
    # data row 3 ('Løntilskud privat') is now physical line 5, not 4
    raw = path.read_bytes()
    path.write_bytes(raw.replace("Løntilskud privat".encode(), b"Ukendt tilbud"))
    err = rejected(inbox, "tilbud")
    assert found(err) == [(TILBUD, "code", [5])]


def test_field_count_line_counts_the_extra_physical_line(inbox):
    path = folder_of(inbox) / "tilbud.csv"
    _multiline_arbejdssted(path)
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b";Nordals Metal ApS\r\n", b";Nordals Metal ApS;x\r\n"))
    err = rejected(inbox, "tilbud")
    assert found(err) == [(TILBUD, "field-count", [5])]


def test_row_after_a_skipped_row_keeps_its_line(inbox):
    # A row with too many fields on line 3 must not shift the line of a later fault (line 5).
    path = folder_of(inbox) / "tilbud.csv"
    edit_lines(path, lambda ls: ls[:2] + [ls[2] + ";x", ls[3], ls[4].replace("Mentorstøtte", "Ukendt")])
    err = rejected(inbox, "tilbud")
    assert sorted(found(err), key=lambda f: f[1]) == [(TILBUD, "code", [5]), (TILBUD, "field-count", [3])]


def test_bad_bytes_in_a_row_with_a_wrong_field_count_are_an_encoding_fault(inbox):
    # Arrow parses UTF-8 itself and checks the bytes of the fields it converts; a row it skips
    # for a wrong field count is never converted, so its bytes are checked apart: the file is
    # still rejected for its encoding, on that line, as when Python decoded the whole file.
    path = folder_of(inbox) / "tilbud.csv"
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3].rstrip(b"\r") + b";\xff\r"
    path.write_bytes(b"\n".join(lines))
    err = rejected(inbox, "tilbud")
    assert found(err) == [(TILBUD, "encoding", [4])]


def test_encoding_line_across_chunk_boundary(tmp_path):
    # The check streams 1 MiB chunks. A four-byte character split by a chunk boundary,
    # then a bad byte and the line's end: the fault is on line 2, wherever the split falls.
    header = BOM.encode("utf-8") + b"h\r\n"
    emoji = "\U0001F600".encode("utf-8")
    path = tmp_path / "f.csv"
    for shift in range(-6, 4):
        pad = (1 << 20) - len(header) + shift
        path.write_bytes(header + b"a" * pad + emoji + b"\xff\r\nok\r\n")
        assert [v.lines for v in _check_encoding(path, "utf-8-sig", "f.csv")] == [[2]], shift


# ---------------------------------------------------------------- 4. the address register

def test_register_reads(register):
    assert register.num_rows == 5
    assert register.column("address_key").null_count == 0
    assert len(set(col(register, "address_key"))) == 5
    assert col(register, "afdelingsnummer") == ["22", "22", "35", "24", "30"]
    assert col(register, "postnummer") == ["6400"] * 5


def test_address_keys_of_many_rows_are_each_rows_own_key(monkeypatch):
    """address_key numbers each row's (street, number, postcode) and looks up only the
    distinct addresses, falling back to joining every row's text when the parts are too many
    to number: both give every row the key its own address gets alone (normalisation that
    makes two spellings one address, nulls, repeats)."""
    import random

    from sources import address
    from sources.address import address_key

    rng = random.Random(7)
    streets = ["Nørre Allé", "nørre  allé", "Hvedemarken", None, "Søstjernevej\u00a0", "Å"]
    numbers = ["12A", "12 a", "007", "7", None, "41", "2", "3B", "3 b"]
    postcodes = ["6400", " 6400", "8000", None]
    rows = [(rng.choice(streets), rng.choice(numbers), rng.choice(postcodes)) for _ in range(400)]
    one_by_one = [addr_key(s, n, p) if None not in (s, n, p) else None for s, n, p in rows]
    s, n, p = (pa.array([r[i] for r in rows], pa.string()) for i in range(3))
    assert address_key(s, n, p, PSEUDO).to_pylist() == one_by_one
    monkeypatch.setattr(address, "NUMBERABLE", 1)  # as if the parts were too many to number
    assert address_key(s, n, p, PSEUDO).to_pylist() == one_by_one


def test_register_key_matches_citizen_address(extract, register):
    adresse = extract.tables["borger_adresse"]
    hvedemarken = col(register, "address_key")[4]  # Hvedemarken;41;6400
    assert hvedemarken == addr_key("Hvedemarken", "41", "6400")
    assert col(adresse, "address_key")[3] == hvedemarken  # 230199-2346;Hvedemarken;41
    assert col(adresse, "person_key")[3] == key("2301992346")
    # Stenbjergparken 3 and Nørager 7 also match; Perlegade 50 is outside the register.
    reg = set(col(register, "address_key"))
    assert [k in reg for k in col(adresse, "address_key")] == [True, True, True, True, True, False]


def test_pseudonym_indices_name_the_pseudonym():
    """pseudonym_indices: pseudonyms[indices[i]] is the pseudonym of values[i], a null value
    has a null index, and two values share an index exactly when they share a pseudonym
    (the overlap rule groups a person's rows on the index), across calls that share the cache."""
    from sources.pseudonym import Pseudonymizer

    p = Pseudonymizer(b"k" * 32)
    first = pa.array(["1203851234", None, "0101901111", "1203851234"])
    hashed, idx = p.pseudonym_indices(first, "cpr")
    assert pc.take(hashed, idx).to_pylist() == p.pseudonymize(first, "cpr").to_pylist()
    assert idx[1].as_py() is None and idx[0] == idx[3] and idx[0] != idx[2]
    later = pa.chunked_array([["0101901111", "2902001234"], [None, "1203851234"]])
    hashed2, idx2 = p.pseudonym_indices(later, "cpr")
    assert idx2.to_pylist() == [idx[2].as_py(), idx2[1].as_py(), None, idx[0].as_py()]
    assert len(set(idx.to_pylist() + idx2.to_pylist()) - {None}) == 3
    assert pc.take(hashed2, idx2).to_pylist() == Pseudonymizer(b"k" * 32).pseudonymize(later, "cpr").to_pylist()


def test_pseudonym_indices_agree_across_calls_and_threads_sharing_the_cache():
    """Values met before, new ones between them, and readers in threads adding to the cache at
    once: every index names the value's own pseudonym, and equal values share one index."""
    import random
    from concurrent.futures import ThreadPoolExecutor

    from sources.pseudonym import Pseudonymizer

    rnd = random.Random(5)
    pool = [f"{rnd.randrange(10**10):010d}" for _ in range(4000)]
    batches = [pa.array([rnd.choice(pool) if rnd.random() > 0.05 else None for _ in range(3000)]) for _ in range(8)]
    fresh = Pseudonymizer(b"k" * 32)
    want = [fresh.pseudonymize(b, "cpr").to_pylist() for b in batches]
    shared = Pseudonymizer(b"k" * 32)
    with ThreadPoolExecutor(4) as ex:
        got = list(ex.map(lambda b: shared.pseudonym_indices(b, "cpr"), batches))
    index_of: dict[str, int] = {}
    for (hashed, idx), b, w in zip(got, batches, want):
        assert pc.take(hashed, idx).to_pylist() == w
        for v, i in zip(b.to_pylist(), idx.to_pylist()):
            if v is not None:
                assert index_of.setdefault(v, i) == i


def test_a_batch_much_smaller_than_the_cache_is_hashed_directly_with_the_same_pseudonyms():
    """A roster's few persons after a night's million: hashed directly (a look-up would hash
    the whole cache again), with the pseudonyms the cache would have given, nulls kept null,
    and the cache left as it is."""
    from sources.pseudonym import SMALL_BATCH, Pseudonymizer

    p = Pseudonymizer(b"k" * 32)
    known = pa.array([f"{i:010d}" for i in range(SMALL_BATCH * 10)])
    p.pseudonym_indices(known, "cpr")
    cached = dict(p._known)
    small = pa.array(["0000000003", None, "9999999999", "0000000003"])  # a known value, a new one
    hashed, idx = p.pseudonym_indices(small, "cpr")
    assert len(hashed) < len(known)  # not the cache's array: hashed here
    assert pc.take(hashed, idx).to_pylist() == Pseudonymizer(b"k" * 32).pseudonymize(small, "cpr").to_pylist()
    assert idx[1].as_py() is None and idx[0] == idx[3]
    assert p._known.keys() == cached.keys() and all(p._known[k] is v for k, v in cached.items())


def test_ten_digit_cpr_numbers_are_cached_as_numbers_with_the_pseudonyms_of_their_text():
    """Normalised CPR numbers are looked up as the integers they spell: only when every value
    is ten ASCII digits (a sign, a space, other digits or another length keep the texts), and
    each pseudonym is still the HMAC of the text, leading zeros and all, in one call or spread
    over calls that share the cache."""
    import hmac

    from sources.pseudonym import Pseudonymizer, _ten_digit_numbers

    clean = pa.chunked_array([["0000000001", None, "0123456789"], ["9999999999", "0123456789"]])
    assert _ten_digit_numbers(clean).to_pylist() == [1, None, 123456789, 9999999999, 123456789]
    for odd in ("+123456789", " 123456789", "012345678", "01234567890", "٠١٢٣٤٥٦٧٨٩", "01234-6789", ""):
        assert _ten_digit_numbers(pa.array(["0123456789", odd])) is None, odd
    key = b"k" * 32

    def python(v):
        return None if v is None else int.from_bytes(hmac.digest(key, f"cpr\x1f{v}".encode(), "sha256")[:8], "big") - 2**63

    p = Pseudonymizer(key)
    batches = [clean, pa.array(["0123456789", "+123456789", "0000000001"]), pa.array(["1203851234", "0000000001"])]
    for batch in batches:
        hashed, idx = p.pseudonym_indices(batch, "cpr")
        assert pc.take(hashed, idx).to_pylist() == [python(v) for v in batch.to_pylist()]
    assert len(p._known[("cpr", "ten digits")][0]) == 4  # 1, 123456789, 9999999999, 1203851234
    assert sorted(p._known["cpr"][0].to_pylist()) == ["+123456789", "0000000001", "0123456789"]  # a batch with a sign


def test_pseudonyms_are_python_hmac_sha256():
    """Pseudonyms are computed in DuckDB (sources/pseudonym.py): each must equal Python's
    HMAC-SHA256 of "domain\\x1fvalue" (a CPR: the first 8 bytes as an unsigned big-endian number
    minus 2^63; any other domain: the first 16 bytes, hex), for non-ASCII text, the separator
    inside a value, the empty string, keys longer than SHA-256's block, and values met again
    in a later call (the cache) or in another domain."""
    import hmac
    import random

    from sources.pseudonym import Pseudonymizer

    rnd = random.Random(3)
    alphabet = "abcæøåÆØÅ 0123456789|-\x1fé€𝄞\u00a0\u3000'\"\\"
    values = sorted({"".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40))) for _ in range(3000)})
    values += ["", "x" * 500, "1203851234", "ø" * 70]
    for k in (b"k" * 32, b"\x00" * 16, b"\xff" * 64, b"a" * 65, bytes(range(256)) * 2):
        p = Pseudonymizer(k)
        for domain in ("cpr", "address"):
            arr = pa.array(values + [None] + values[:100])
            digests = [None if v is None else hmac.digest(k, f"{domain}\x1f{v}".encode(), "sha256")
                       for v in arr.to_pylist()]
            if domain == "cpr":
                want = [None if d is None else int.from_bytes(d[:8], "big") - 2**63 for d in digests]
                assert min(w for w in want if w is not None) < 0 < max(w for w in want if w is not None)
            else:
                want = [None if d is None else d[:16].hex() for d in digests]
            assert p.pseudonymize(arr, domain).to_pylist() == want
            again = pa.chunked_array([arr[:700], arr[700:]])  # every value known now, in chunks
            assert p.pseudonymize(again, domain).to_pylist() == want


def test_each_file_that_keeps_its_contract_is_handed_over_as_soon_as_it_is_read(inbox):
    """`on_table` (the night starts each file's GX suite with it, orchestration/assets/
    ingest.py): every table of a clean extract once, as the Extract holds it; a file that
    breaks its contract is not handed over, and the extract is still rejected."""
    seen = {}
    ext = read_extract(folder_of(inbox), PSEUDO, inbox, on_table=lambda n, t, rows: seen.setdefault(n, (t, rows)))
    assert set(seen) == set(CONTRACTS)
    for name, (table, rows) in seen.items():
        assert table.equals(ext.tables[name]) and rows == ext.row_counts[name]
    replace_in_line(folder_of(inbox) / "maalgruppe.csv", 7, ";6.6;", ";6.99;")
    seen.clear()
    with pytest.raises(ContractError):
        read_extract(folder_of(inbox), PSEUDO, inbox, on_table=lambda n, t, rows: seen.setdefault(n, (t, rows)))
    assert set(seen) == set(CONTRACTS) - {"maalgruppe"}
