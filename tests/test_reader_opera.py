"""The Opera reader (sources/opera.py): the sample extract, the generator's output, the
dialect's quirks (Windows-1252, ISO dates, upper case, codes as text) and every fault,
each reported with the right file, line and rule and without quoting a value.

Values pinned here are read off tests/samples/inbox/opera/20191231 by hand (cat -A)."""
from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from tests.conftest import SAMPLES

from synth.generator import generate_inbox
from sources import momentum, opera
from sources.contract import ContractError, read_file
from sources.omraader import read_register
from tests.reader_helpers import PSEUDO, addr_key, col, key

SAMPLE = SAMPLES / "opera" / "20191231"
EXTRACT_DATE = date(2019, 12, 31)
CPR_SHAPE = re.compile(r"\b\d{6}-?\d{4}\b")
STREETS = ("søstjernevej", "hvedemarken", "nørager", "stenbjergparken")

MATCH = "opera/20191231/MATCHPERIODER.csv"
AKT = "opera/20191231/AKTIVERING.csv"
ADR = "opera/20191231/ADRESSER.csv"
KONTROL = "opera/20191231/_KONTROL.csv"


def assert_private(text: str) -> None:
    assert not CPR_SHAPE.search(text), "a CPR-shaped string leaked"
    for street in STREETS:
        assert street not in text.lower(), street


@pytest.fixture(scope="module")
def extract():
    return opera.read_extract(SAMPLE, PSEUDO, SAMPLES)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLE, tmp_path / "opera" / "20191231")
    return tmp_path


def folder(inbox: Path) -> Path:
    return inbox / "opera" / "20191231"


def edit(path: Path, change) -> None:
    """Edit a Windows-1252, CRLF file line by line (index 0 = the header = line 1)."""
    text = path.read_bytes().decode("cp1252")
    assert text.endswith("\r\n") and "\ufeff" not in text
    lines = change(text[:-2].split("\r\n"))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def replace_in_line(path: Path, line: int, old: str, new: str) -> None:
    def change(lines):
        assert old in lines[line - 1], (line, old)
        lines[line - 1] = lines[line - 1].replace(old, new, 1)
        return lines
    edit(path, change)


def add_rows(inbox: Path, name: str, rows: list[str]) -> None:
    """Append data rows and keep the control file's count right."""
    edit(folder(inbox) / name, lambda ls: ls + rows)
    n = len((folder(inbox) / name).read_bytes().split(b"\r\n")) - 2

    def fix(ls):
        return [f"{name};{n}" if l.startswith(name + ";") else l for l in ls]
    edit(folder(inbox) / "_KONTROL.csv", fix)


def rejected(inbox: Path, only: str | None = None) -> ContractError:
    contracts = opera.CONTRACTS if only is None else {only: opera.CONTRACTS[only]}
    with pytest.raises(ContractError) as info:
        opera.read_extract(folder(inbox), PSEUDO, inbox, contracts=contracts)
    assert_private(str(info.value))
    return info.value


def found(err: ContractError) -> list[tuple[str, str, list[int]]]:
    return [(v.file, v.rule, v.lines) for v in err.violations]


# ---------------------------------------------------------------- the sample

def test_sample_is_windows_1252_crlf_upper_case():
    raw = (SAMPLE / "ADRESSER.csv").read_bytes()
    assert b"\xd8" in raw  # 'Ø' in Windows-1252 (UTF-8 would be C3 98)
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\n") == raw.count(b"\r\n")
    assert b"S\xd8STJERNEVEJ;12A;" in raw


def test_sample_extract_reads(extract):
    assert extract.source == "opera"
    assert extract.extract_date == EXTRACT_DATE
    assert extract.row_counts == {"matchperioder": 3, "aktivering": 2, "adresser": 3}
    assert {k: t.num_rows for k, t in extract.tables.items()} == extract.row_counts
    assert extract.tables["matchperioder"].column_names == [
        "source_row", "person_key", "foedselsdato", "lab_grp", "start_date", "end_date", "afgang_kode", "extract_date"]
    assert extract.tables["aktivering"].column_names == [
        "source_row", "person_key", "tilbud_art", "start_date", "end_date", "timer_pr_uge", "extract_date"]
    assert extract.tables["adresser"].column_names == [
        "source_row", "address_key", "person_key", "postnummer", "gyldig_fra", "gyldig_til", "extract_date"]


def test_sample_values_are_typed(extract):
    m = extract.tables["matchperioder"]
    assert m.schema.field("lab_grp").type == pa.string()
    assert col(m, "lab_grp") == ["2.3", "2.12", "2.2"]
    assert col(m, "afgang_kode") == ["03", "02", "01"]  # two digits, leading zero kept
    assert col(m, "start_date") == [date(2016, 5, 2), date(2017, 9, 1), date(2012, 1, 9)]
    assert col(m, "end_date") == [date(2019, 2, 2), date(2018, 6, 30), date(2013, 3, 31)]
    assert col(m, "person_key") == [key("1203851234"), key("2301992346"), key("3112643457")]
    assert col(m, "extract_date") == [EXTRACT_DATE] * 3
    a = extract.tables["aktivering"]
    assert col(a, "tilbud_art") == ["VP", "NYT"]
    assert a.schema.field("timer_pr_uge").type == pa.float64()
    assert col(a, "timer_pr_uge") == [20.0, 18.5]  # '18,5': decimal comma
    assert col(a, "end_date") == [date(2017, 5, 26), date(2012, 9, 28)]
    adr = extract.tables["adresser"]
    assert col(adr, "postnummer") == ["6400"] * 3
    assert col(adr, "gyldig_fra") == [date(2016, 5, 1), date(2018, 2, 1), date(2010, 10, 10)]
    assert col(adr, "gyldig_til") == [None, None, None]  # open: empty end date
    assert col(adr, "source_row") == [1, 2, 3]


def test_person_keys_match_momentum(extract):
    # Opera writes '1203851234'; Momentum '120385-1234': one person.
    mom = momentum.read_extract(SAMPLES / "momentum" / "20210301", PSEUDO, SAMPLES)
    assert col(mom.tables["maalgruppe"], "person_key")[0] == col(extract.tables["matchperioder"], "person_key")[0]
    shared = set(col(extract.tables["matchperioder"], "person_key")) & set(col(mom.tables["maalgruppe"], "person_key"))
    assert shared == {key("1203851234"), key("2301992346"), key("3112643457")}


def test_upper_case_address_gets_momentums_and_the_registers_key(extract):
    register, _ = read_register(SAMPLES, PSEUDO)
    mom = momentum.read_extract(SAMPLES / "momentum" / "20210301", PSEUDO, SAMPLES)
    adr = col(extract.tables["adresser"], "address_key")
    # SØSTJERNEVEJ;12A;6400 = Momentum's 'Søstjernevej;12A;6400' = the register's row 1
    assert adr[0] == addr_key("Søstjernevej", "12A", "6400") == col(mom.tables["borger_adresse"], "address_key")[0]
    assert adr[0] == col(register, "address_key")[0]
    assert adr[1] == addr_key("Hvedemarken", "41", "6400") == col(register, "address_key")[4]
    assert adr[2] == addr_key("Nørager", "7", "6400")


def test_nothing_personal_is_handed_over(extract):
    for name, table in extract.tables.items():
        assert not [c for c in table.column_names if re.search(r"vej|husn|etage|doer|cpr", c)], name
        for c in table.columns:
            for v in c.to_pylist():
                if isinstance(v, str):
                    assert not CPR_SHAPE.search(v) and not re.fullmatch(r"\d{10}", v), name
                    assert not any(s in v.lower() for s in STREETS), name


def test_lab_grp_2_10_stays_2_10(tmp_path):
    path = tmp_path / "MATCHPERIODER.csv"
    path.write_bytes(b"CPRNR;LAB_GRP;FRA_DATO;TIL_DATO;AFGANG_KODE\r\n"
                     b"0104851234;2.10;2015-01-01;2015-12-31;99\r\n"
                     b"0104851234;2.1;2016-01-01;;\r\n")
    res = read_file(path, opera.CONTRACTS["matchperioder"], PSEUDO, EXTRACT_DATE, "MATCHPERIODER.csv")
    assert res.violations == []
    assert col(res.table, "lab_grp") == ["2.10", "2.1"]
    assert col(res.table, "person_key") == [key("0104851234")] * 2  # leading zero of the CPR kept


def test_planned_end_of_an_offer_may_lie_after_the_extract(inbox):
    replace_in_line(folder(inbox) / "AKTIVERING.csv", 2, "2017-05-26", "2020-02-28")
    ext = opera.read_extract(folder(inbox), PSEUDO, inbox)
    assert col(ext.tables["aktivering"], "end_date")[0] == date(2020, 2, 28)


def test_find_extracts_needs_the_control_file(inbox):
    assert opera.find_extracts(inbox) == [folder(inbox)]
    (folder(inbox) / "_KONTROL.csv").unlink()
    assert opera.find_extracts(inbox) == []


# ---------------------------------------------------------------- the generator's output

@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    generate_inbox(out, persons=3000, seed=11)
    return out


def test_generated_extract_reads(generated):
    [folder_] = opera.find_extracts(generated)
    ext = opera.read_extract(folder_, PSEUDO, generated)
    control = dict(l.split(";") for l in (folder_ / "_KONTROL.csv").read_text("cp1252").splitlines()[1:])
    assert ext.row_counts == {"matchperioder": int(control["MATCHPERIODER.csv"]),
                              "aktivering": int(control["AKTIVERING.csv"]),
                              "adresser": int(control["ADRESSER.csv"])}
    assert min(ext.row_counts.values()) > 100
    lab = set(col(ext.tables["matchperioder"], "lab_grp"))
    assert {"2.1", "2.10", "2.12", "2.13"} <= lab  # 2.10 and 2.1 stay two codes
    assert set(col(ext.tables["aktivering"], "tilbud_art")) == {"VP", "LTP", "LTO", "NYT", "VO"}
    codes = set(col(ext.tables["matchperioder"], "afgang_kode")) - {None}
    assert codes and all(re.fullmatch(r"\d\d", c) for c in codes)
    assert ext.tables["adresser"].column("address_key").null_count == 0


# ---------------------------------------------------------------- faults

@pytest.mark.parametrize("bad", ["2,3", "23", "2.3a", "6.1x"])
def test_lab_grp_shape(inbox, bad):
    replace_in_line(folder(inbox) / "MATCHPERIODER.csv", 3, ";2.12;", f";{bad};")
    err = rejected(inbox, "matchperioder")
    assert found(err) == [(MATCH, "pattern", [3])]


def test_afgang_kode_without_leading_zero(inbox):
    replace_in_line(folder(inbox) / "MATCHPERIODER.csv", 4, ";01", ";1")
    err = rejected(inbox, "matchperioder")
    assert found(err) == [(MATCH, "code", [4])]
    assert "afslutningsaarsager" in str(err)


@pytest.mark.parametrize("bad", ["vp", "MENTOR", "VPX"])
def test_unknown_tilbud_art(inbox, bad):
    replace_in_line(folder(inbox) / "AKTIVERING.csv", 3, ";NYT;", f";{bad};")
    err = rejected(inbox, "aktivering")
    assert found(err) == [(AKT, "code", [3])]


def test_invalid_cpr(inbox):
    replace_in_line(folder(inbox) / "ADRESSER.csv", 3, "2301992346", "2313992346")  # month 13
    err = rejected(inbox, "adresser")
    assert found(err) == [(ADR, "cpr", [3])]
    assert "2313992346" not in str(err)


def test_end_before_start(inbox):
    replace_in_line(folder(inbox) / "MATCHPERIODER.csv", 2, "2019-02-02", "2016-05-01")
    err = rejected(inbox, "matchperioder")
    assert found(err) == [(MATCH, "period", [2])]


def test_overlapping_matchperioder(inbox):
    # 1203851234 has 2.3 from 2016-05-02 to 2019-02-02; a 2.2 period from 2019-02-01 overlaps.
    add_rows(inbox, "MATCHPERIODER.csv", ["1203851234;2.2;2019-02-01;;"])
    err = rejected(inbox, "matchperioder")
    assert found(err) == [(MATCH, "overlap", [5])]


def test_adjacent_matchperioder_do_not_overlap(inbox):
    add_rows(inbox, "MATCHPERIODER.csv", ["1203851234;2.2;2019-02-03;;"])
    ext = opera.read_extract(folder(inbox), PSEUDO, inbox)
    assert ext.row_counts["matchperioder"] == 4


def test_overlapping_addresses(inbox):
    # 3112643457 lives at NØRAGER 7 from 2010-10-10, still open.
    add_rows(inbox, "ADRESSER.csv", ["3112643457;PERLEGADE;50;;;6400;2012-01-01;2013-01-01"])
    err = rejected(inbox, "adresser")
    assert found(err) == [(ADR, "overlap", [5])]
    assert "perlegade" not in str(err).lower()


def test_a_planned_end_after_the_extract_is_read(inbox):
    # Issue 12: a planned end is not on docs/sources.md's list of what rejects an extract; the
    # period continues past the extract date (the models cut Opera there).
    replace_in_line(folder(inbox) / "MATCHPERIODER.csv", 3, "2018-06-30", "2020-01-01")
    ext = opera.read_extract(folder(inbox), PSEUDO, inbox, contracts={"matchperioder": opera.CONTRACTS["matchperioder"]})
    assert date(2020, 1, 1) in ext.tables["matchperioder"].column("end_date").to_pylist()


def test_a_start_after_the_extract_is_rejected(inbox):
    replace_in_line(folder(inbox) / "MATCHPERIODER.csv", 3, "2017-09-01", "2020-01-01")
    err = rejected(inbox, "matchperioder")
    assert ("FRA_DATO", "date-range", [3]) in [(v.detail.split()[0], v.rule, v.lines) for v in err.violations]
    assert "after the extract date 2019-12-31" in str(err)


def test_a_date_more_than_a_year_after_the_extract_is_rejected(inbox):
    # A year after 2019-12-31 is 2020-12-31: accepted; the day after is a typing error.
    replace_in_line(folder(inbox) / "MATCHPERIODER.csv", 3, "2018-06-30", "2020-12-31")
    replace_in_line(folder(inbox) / "MATCHPERIODER.csv", 2, "2019-02-02", "2021-01-01")
    err = rejected(inbox, "matchperioder")
    assert found(err) == [(MATCH, "date-range", [2])]
    assert "more than a year after the extract date 2019-12-31" in str(err)


def test_date_before_1990(inbox):
    replace_in_line(folder(inbox) / "ADRESSER.csv", 4, "2010-10-10", "1989-12-31")
    err = rejected(inbox, "adresser")
    assert found(err) == [(ADR, "date-range", [4])]


def test_momentum_date_in_an_opera_file(inbox):
    # TIL_DATO (not required), so only the date rule can fire.
    replace_in_line(folder(inbox) / "AKTIVERING.csv", 2, "2017-05-26", "26-05-2017")
    err = rejected(inbox, "aktivering")
    assert found(err) == [(AKT, "date", [2])]
    assert "%Y-%m-%d" in str(err)


def test_control_count(inbox):
    edit(folder(inbox) / "AKTIVERING.csv", lambda ls: ls[:-1])
    err = rejected(inbox, "aktivering")
    assert found(err) == [(AKT, "control-count", [])]
    assert "1 data rows, control file says 2" in str(err)


def test_missing_control_file(inbox):
    (folder(inbox) / "_KONTROL.csv").unlink()
    err = rejected(inbox)
    assert found(err) == [(KONTROL, "control-file-missing", [])]


def test_utf8_file_is_not_read_as_windows_1252(inbox):
    path = folder(inbox) / "ADRESSER.csv"
    path.write_bytes(path.read_bytes().decode("cp1252").encode("utf-8"))  # 'Ø' on line 2
    err = rejected(inbox, "adresser")
    assert found(err) == [(ADR, "encoding", [2])]


def test_utf8_bom_is_not_windows_1252(inbox):
    path = folder(inbox) / "MATCHPERIODER.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # ASCII content, but a UTF-8 BOM
    err = rejected(inbox, "matchperioder")
    assert found(err) == [(MATCH, "encoding", [1])]


def test_the_utf8_sniff_reads_past_ascii_and_names_the_line_and_an_ascii_file_is_read_as_it_is(tmp_path):
    """Opera's sniff for UTF-8 (sources/contract.py `_check_not_utf8`) skips the ASCII it reads
    in 1 MiB chunks: a UTF-8 letter after 1-2 MiB of ASCII still names its line, also when its
    two bytes straddle a chunk boundary; an ASCII-only file is said to be so (it is then parsed as
    UTF-8, the same text) and reads exactly as through the Windows-1252 transcoding."""
    from sources.contract import _check_not_utf8, _load_csv, _parse

    contract = opera.CONTRACTS["aktivering"]
    path = tmp_path / "AKTIVERING.csv"
    lines = (b"x" * 99 + b"\n") * 10_000  # 1 000 000 bytes, 10 000 lines of ASCII
    for at in ((1 << 20) - 1, 1 << 20, (2 << 20) + 5):  # 'Ø' over the first chunk boundary, after it, later
        path.write_bytes(lines + b"y" * (at - len(lines)) + "Ø".encode("utf-8") + b"\nz\n")
        viol, ascii_only = _check_not_utf8(path, "cp1252", "f")
        assert [(v.rule, v.lines) for v in viol] == [("encoding", [10_001])] and not ascii_only, at
    ascii_lines = [b"x" * 99] * 21_000  # 2.1 MB of ASCII
    path.write_bytes(b"\n".join([*ascii_lines, "Ø".encode("cp1252")]))  # Windows-1252 at the end
    assert _check_not_utf8(path, "cp1252", "f") == ([], False)
    sample = folder(SAMPLES) / "AKTIVERING.csv"
    assert sample.read_bytes().isascii()
    assert _check_not_utf8(sample, "cp1252", "f") == ([], True)
    as_ascii, _ = _load_csv(sample, contract, "f")
    transcoded, _, _ = _parse(sample, contract, "f", ascii_only=False)
    assert as_ascii.table.equals(transcoded)


def test_a_byte_windows_1252_does_not_define_names_its_line(inbox):
    """0x81 is no character in Windows-1252: the file is rejected as an encoding fault on the
    line that holds it."""
    path = folder(inbox) / "AKTIVERING.csv"
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b";", b"\x81;", 1)
    path.write_bytes(b"\n".join(lines))
    err = rejected(inbox, "aktivering")
    assert found(err) == [(AKT, "encoding", [3])]


def test_lower_case_headers(inbox):
    edit(folder(inbox) / "AKTIVERING.csv", lambda ls: [ls[0].lower()] + ls[1:])
    err = rejected(inbox, "aktivering")
    assert [(f, r) for f, r, _ in found(err)] == [(AKT, "missing-column"), (AKT, "extra-column")]
