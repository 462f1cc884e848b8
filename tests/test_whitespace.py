"""Issue 12: white space is white space. Text pasted from Excel or a web form carries
no-break spaces and tabs; every reader folds every Unicode white-space character as it
folds a space (docs/sources.md: the address normalisation folds case and white space)."""
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from sources import momentum
from sources.contract import read_file
from sources.pseudonym import normalise_cpr
from sources.whitespace import CHARACTERS
from tests.inbox_builder import MOMENTUM_HEADERS, write_csv
from tests.reader_helpers import PSEUDO, addr_key, key

# One test per kind the issue names, and the ASCII tab.
KINDS = {
    "no-break space": "\u00a0",
    "narrow no-break space": "\u202f",
    "tab": "\t",
    "em space": "\u2003",
    "ideographic space": "\u3000",
}


@pytest.mark.parametrize("ws", KINDS.values(), ids=KINDS.keys())
def test_street_words_fold(ws):
    assert addr_key(f"Nørre{ws}Allé", "3", "6400") == addr_key("nørre allé", "3", "6400")
    assert addr_key(f"Nørre {ws} Allé{ws}", "3", "6400") == addr_key("Nørre Allé", "3", "6400")


@pytest.mark.parametrize("ws", KINDS.values(), ids=KINDS.keys())
def test_house_number_folds(ws):
    # before the letter, before the number, after it: one number, 12A
    for number in (f"12{ws}A", f"{ws}12A", f"12a{ws}", f"12{ws}{ws}a"):
        assert addr_key("Søstjernevej", number, "6400") == addr_key("Søstjernevej", "12A", "6400"), number


@pytest.mark.parametrize("ws", KINDS.values(), ids=KINDS.keys())
def test_postcode_folds(ws):
    for postcode in (f"6400{ws}", f"{ws}6400", f"64{ws}00"):
        assert addr_key("Søstjernevej", "12A", postcode) == addr_key("Søstjernevej", "12A", "6400"), postcode


@pytest.mark.parametrize("ws", KINDS.values(), ids=KINDS.keys())
def test_cpr_folds(ws):
    assert normalise_cpr(pa.array([f"120385{ws}-1234{ws}", f"{ws}1203851234"])).to_pylist() == ["1203851234"] * 2


def test_the_class_is_unicode_white_space():
    # str.isspace() is Unicode's White_Space plus four ASCII information separators (0x1C-0x1F).
    every = {chr(c) for c in range(0x110000) if chr(c).isspace()} - {"\x1c", "\x1d", "\x1e", "\x1f"}
    assert set(CHARACTERS) == every


@pytest.mark.parametrize("ws", KINDS.values(), ids=KINDS.keys())
def test_a_momentum_file_with_pasted_white_space_reads_like_a_clean_one(tmp_path: Path, ws):
    """Through the reader: fields padded with `ws` type as the clean values do (dates, codes,
    CPR), and the address gets the register's key."""
    header = MOMENTUM_HEADERS["borger_adresse.csv"]
    clean = ("120385-1234", "Søstjernevej", "12A", "", "", "6400", "Sønderborg", "540", "01-03-2019", "")
    pasted = (f"120385-1234{ws}", f"Søstjernevej{ws}", f"12{ws}A", "", "", f"{ws}6400", "Sønderborg",
              f"540{ws}", f"{ws}01-03-2019{ws}", ws)
    contract = momentum.CONTRACTS["borger_adresse"]
    tables = []
    for name, row in (("clean", clean), ("pasted", pasted)):
        path = tmp_path / name / "borger_adresse.csv"
        write_csv(path, header, [row])
        res = read_file(path, contract, PSEUDO, date(2021, 3, 1))
        assert not res.violations, [str(v) for v in res.violations]
        tables.append(res.table.drop_columns(["source_row"]) if "source_row" in res.table.column_names else res.table)
    assert tables[0].to_pylist() == tables[1].to_pylist()
    assert tables[1].column("person_key").to_pylist() == [key("1203851234")]
    assert tables[1].column("address_key").to_pylist() == [addr_key("Søstjernevej", "12A", "6400")]
    assert tables[1].column("gyldig_til").to_pylist() == [None]  # white space alone is empty


def _plain_trim_to_null(values: list) -> list:
    out = []
    for v in values:
        t = None if v is None else v.strip(CHARACTERS)
        out.append(t or None)
    return out


def test_trim_to_null_equals_trimming_every_value():
    """The reader skips the copy when no value could change: that shortcut must give what
    trimming every value gives, for every white-space character at either end, values
    whose last byte ends a white-space character ('é', 'Ñ…'), empty values, nulls, chunked and
    sliced arrays."""
    import random

    import numpy as np
    import pyarrow as pa

    from sources.whitespace import trim_to_null

    rng = random.Random(13)
    plain = ["a", "Nørre Allé", "é", "12A", "6400", "Ø", "x y", "…"]
    values = [None, ""] + plain + [ws + p for ws in CHARACTERS for p in plain[:2]] \
        + [p + ws for ws in CHARACTERS for p in plain[:2]] + list(CHARACTERS)
    samples = [[v] for v in values] + [["a", v, None] for v in values]  # each value on its own
    samples += [rng.sample(values, rng.randint(0, 6)) for _ in range(300)]
    for sample in samples:
        for arr in (pa.array(sample, pa.string()), pa.array(sample, pa.large_string()),
                    pa.chunked_array([pa.array(sample[:2], pa.string()), pa.array(sample[2:], pa.string())]),
                    pa.array(["pad"] + sample + ["pad"], pa.string()).slice(1, len(sample))):
            assert trim_to_null(arr).to_pylist() == _plain_trim_to_null(sample), sample
    clean = pa.array(["a", None, "b"], pa.string())
    assert trim_to_null(clean) is clean  # nothing to trim: handed over without a copy
    # A null whose slot holds bytes (Arrow allows it) beside an empty string: still found.
    offsets = pa.py_buffer(np.array([0, 3, 3, 4], dtype=np.int32))
    data = pa.py_buffer(b"abcd")
    validity = pa.py_buffer(np.packbits([False, True, True], bitorder="little"))
    odd = pa.Array.from_buffers(pa.string(), 3, [validity, offsets, data], null_count=1)
    assert odd.to_pylist() == [None, "", "d"]
    assert trim_to_null(odd).to_pylist() == [None, None, "d"]


def test_cpr_normalisation_without_white_space_equals_the_regular_expression():
    """normalise_cpr strips only the hyphen when no byte of the values could begin a
    white-space character: the same as the full rule, for every kind of white space."""
    import pyarrow as pa

    from sources.pseudonym import _CPR_NOISE

    texts = ["120385-1234", "1203851234", "-120385--1234-", "", None, "12038§-1234", "Å120385-1234"]
    texts += [f"{ws}120385-12{ws}34{ws}" for ws in CHARACTERS]
    for sample in [[t] for t in texts] + [texts]:
        arr = pa.array(sample, pa.string())
        expected = pa.compute.replace_substring_regex(arr, _CPR_NOISE, "").to_pylist()
        assert normalise_cpr(arr).to_pylist() == expected, sample
