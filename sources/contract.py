"""The declarative file contract and the one engine that enforces it.

A reader module declares, per file, its columns (exact header, warehouse name, kind,
rules); `read_file` parses in the given dialect (a CSV file, or the first or a named
sheet of an .xlsx workbook), checks every rule, pseudonymises CPR numbers and addresses,
and returns a typed Arrow table. Violations name the file, the line (the Excel row in a
workbook) and the rule, and never quote a value (a value may be a CPR number).

Machine extracts are all or nothing (`row_faults="reject"`): one fault rejects the file.
Hand-kept files (`row_faults="drop"`) report each faulty row and hand over the others.
"""
from __future__ import annotations

import codecs
import csv
import io
import mmap
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sources.address import address_key
from sources.codes import seed_values
from sources.pseudonym import (Pseudonymizer, cpr_birth_date, cpr_is_valid, encode_distinct, memory_cursor,
                               normalise_cpr, on_distinct)
from sources.whitespace import trim_to_null

EARLIEST_DATE = date(1990, 1, 1)


def latest_date(extract_date: date) -> date:
    """The latest date an extract may hold: a year after its extract date (a planned end
    further out is a typing error, e.g. 2099 for 2019)."""
    try:
        return extract_date.replace(year=extract_date.year + 1)
    except ValueError:  # 29 February
        return extract_date.replace(year=extract_date.year + 1, day=28)


@dataclass(frozen=True)
class Col:
    header: str  # exact column name in the file
    name: str  # column name in the warehouse
    kind: str  # cpr | text | date | decimal | int | drop (personal: read, never handed over)
    required: bool = False
    codes: tuple[str, str] | None = None  # (dbt seed, column) holding the accepted values
    # Dates only. A date that records what has happened (a period's start) may not lie after
    # the extract date; any other date (an end, a deadline) may be planned ahead, up to
    # PLANNED_HORIZON after it. docs/sources.md's list of what rejects an extract has no planned end.
    not_after_extract: bool = False
    # Accepted values declared in the contract itself: for a file's own structural
    # vocabulary that no model needs as a list (a domain code list belongs in a seed: `codes`).
    values: tuple[str, ...] | None = None
    pattern: str | None = None  # text: the whole trimmed value must match this regular expression
    # The token by which the source marks a value it withheld itself (LBF writes 'x'): the
    # value is null and the boolean column `<name>_suppressed_at_source` is true.
    source_suppression: str | None = None
    # cpr only: also hand over the birth date the CPR encodes, under this name (ages on a
    # day are an indicator filter; the CPR itself never leaves the reader).
    birth_date: str | None = None

    @property
    def suppressed_name(self) -> str:
        return f"{self.name}_suppressed_at_source"


@dataclass(frozen=True)
class Check:
    """A rule across the columns of one row. `condition` is SQL over the typed row `t`
    (warehouse names), true when the row breaks the rule. It must not embed file values."""
    rule: str
    detail: str
    condition: str


@dataclass(frozen=True)
class FileContract:
    file: str
    columns: tuple[Col, ...]
    encoding: str = "utf-8-sig"
    # One format, or several of which any is accepted; an Excel date cell is written in the first.
    date_format: str | tuple[str, ...] = "%d-%m-%Y"
    period: tuple[str, str] | None = None  # (start, end) warehouse names: end >= start
    non_overlapping: bool = False  # periods of one person must not overlap
    address: tuple[str, str, str] | None = None  # (street, number, postcode) headers -> address_key
    checks: tuple[Check, ...] = ()  # rules across columns of a row
    skip_blank_rows: bool = False  # a row whose every field is empty is not data (hand-kept files)
    # (header, regex): a row whose trimmed field matches the whole regex, case folded, is not
    # data and no fault (a 'Total' row under a hand-kept list).
    skip_rows: tuple[tuple[str, str], ...] = ()
    # reject: any fault rejects the whole file (machine extracts: all or nothing).
    # drop: each faulty row is reported on its own and left out; the other rows are handed over.
    row_faults: str = "reject"
    # source_row in the output: "data" = n-th data row (1 = first after the header);
    # "file" = the physical line (CSV) or Excel row (xlsx) a person would look up.
    row_numbers: str = "data"
    # Warehouse columns on which two rows are one record (the same person entered twice):
    # the row with most values filled (then the first) is kept, each other is a warning.
    duplicates: tuple[str, ...] = ()
    # Warehouse columns that identify a row (a record id): a second row with the same values
    # breaks the contract (rule 'unique'). Unlike `duplicates`, nothing is collapsed: in a
    # machine extract a repeated id is a fault of the extract, not a person entered twice.
    unique: tuple[str, ...] = ()
    sheet: str | None = None  # .xlsx: the sheet to read; None = the first

    def __post_init__(self):
        # The overlap rule groups rows by person on person_key (`_validate`): a contract
        # asking for it names its CPR column so.
        if self.non_overlapping and not any(c.name == "person_key" and c.kind == "cpr" for c in self.columns):
            raise ValueError(f"{self.file}: non_overlapping needs a CPR column named person_key")

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def date_formats(self) -> tuple[str, ...]:
        return (self.date_format,) if isinstance(self.date_format, str) else tuple(self.date_format)


@dataclass
class Violation:
    file: str
    rule: str
    detail: str
    lines: list[int] = field(default_factory=list)  # physical line numbers, 1 = header (Excel rows in .xlsx)
    count: int = 1
    level: str = "error"  # error | warning (a warning rejects nothing)

    def __str__(self) -> str:
        unit = "row" if self.file.lower().endswith(".xlsx") else "line"
        where = f"{unit} {self.lines[0]}" if self.lines else "file"
        more = ""
        if self.count > 1:
            sample = ", ".join(str(n) for n in self.lines[:10])
            more = f" ({self.count} rows; {unit}s {sample}{', …' if self.count > 10 else ''})"
        kind = "rule" if self.level == "error" else self.level
        return f"{self.file}, {where}: {kind} {self.rule}: {self.detail}{more}"


class ContractError(Exception):
    """An input file broke its contract; carries every violation found."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        super().__init__("\n".join(str(v) for v in violations))


@dataclass
class ReadResult:
    table: pa.Table | None  # None: the file was rejected
    data_rows: int  # rows in the file, valid or not (compared with the control file)
    violations: list[Violation]  # row_faults="drop": the faulty rows, one each (the table holds the rest)
    warnings: list[Violation] = field(default_factory=list)


@dataclass
class _Raw:
    """A file's data rows as untyped strings, one column per header."""
    table: pa.Table
    bad_rows: int  # records left out for a wrong field count (reported already)
    lines: Callable[[set[int]], dict[int, int]]  # 0-based row index -> physical line / Excel row


def _read_header(path: Path, encoding: str, display: str) -> tuple[list[str] | None, list[Violation]]:
    with open(path, "rb") as fh:
        raw = fh.readline()
    if not raw:
        return None, [Violation(display, "empty-file", "the file is empty (no header line)")]
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        return None, [Violation(display, "encoding", f"line is not valid {encoding}", [1])]
    text = text.rstrip("\r\n")
    if "\ufeff" in text:
        text = text.replace("\ufeff", "")
    return next(csv.reader([text], delimiter=";", quotechar='"')), []


def _check_header(found: list[str], contract: FileContract, display: str) -> list[Violation]:
    expected = contract.headers
    if found == expected:
        return []
    if len(found) == 1 and "," in found[0]:
        return [Violation(display, "separator", "the header is not separated by ';'", [1])]
    out = []
    missing = [h for h in expected if h not in found]
    extra = [h for h in found if h not in expected]
    if missing:
        out.append(Violation(display, "missing-column", "missing column(s) " + ", ".join(missing), [1]))
    if extra:
        out.append(Violation(display, "extra-column", "unexpected column(s) " + ", ".join(extra), [1]))
    if not out:
        out.append(Violation(display, "column-order", "columns are not in the contract's order", [1]))
    return out


def _check_encoding(path: Path, encoding: str, display: str) -> list[Violation]:
    """Find the first line that does not decode, streaming (files can be GBs)."""
    dec = codecs.getincrementaldecoder(encoding)("strict")
    line = 1
    with open(path, "rb") as fh:
        if codecs.lookup(encoding).name == "utf-8-sig":
            # The utf-8-sig decoder reports error offsets past the BOM: skip it ourselves.
            dec = codecs.getincrementaldecoder("utf-8")("strict")
            if fh.read(3) != codecs.BOM_UTF8:
                fh.seek(0)
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            pending = len(dec.getstate()[0])  # bytes of the previous chunk still buffered
            try:
                dec.decode(chunk)
            except UnicodeDecodeError as e:
                line += chunk.count(b"\n", 0, max(0, e.start - pending))
                return [Violation(display, "encoding", f"bytes that are not valid {encoding}", [line])]
            line += chunk.count(b"\n")
    return []


def _physical_lines(path: Path, encoding: str, rows: set[int], n_fields: int) -> dict[int, int]:
    """Map 0-based data-row indices to physical line numbers (only on the error path:
    a quoted field may hold a line break, so row i is not always line i + 2).
    Records Arrow skipped (wrong field count, blank) hold no index."""
    out: dict[int, int] = {}
    if not rows:
        return out
    last = max(rows)
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=";", quotechar='"')
        start = 1
        next(reader, None)
        start = reader.line_num + 1
        i = 0
        for rec in reader:
            if rec and len(rec) == n_fields:
                if i in rows:
                    out[i] = start
                if i >= last:
                    break
                i += 1
            start = reader.line_num + 1
    return out


def _field_count_lines(path: Path, encoding: str, n_fields: int) -> list[int]:
    """Physical lines of records without n_fields fields (Arrow's invalid-row handler
    does not know the line number when it parses in parallel)."""
    out: list[int] = []
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=";", quotechar='"')
        next(reader, None)
        start = reader.line_num + 1
        for rec in reader:
            if rec and len(rec) != n_fields:
                out.append(start)
            start = reader.line_num + 1
    return out


def _has_byte(path: Path, byte: bytes) -> bool:
    """Whether the file holds `byte` anywhere: a search of the file mapped into memory, not
    copied (momentum/samtale.csv at 1 000 000 persons, 300 MB in the page cache: 0.05 s, where
    reading it in chunks took 0.13-0.37 s)."""
    with open(path, "rb") as fh:
        try:
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                return mapped.find(byte) >= 0
        except ValueError:  # an empty file cannot be mapped
            return False


def _parse(path: Path, contract: FileContract, display: str,
           ascii_only: bool = False) -> tuple[pa.Table | None, list[int], list[Violation]]:
    bad_rows: list[int] = []

    def on_invalid(row):  # row.text may hold a CPR: only its position is kept
        bad_rows.append(row.number if row.number is not None else -1)
        return "skip"

    names = [c.header for c in contract.columns]
    # A line break inside a value needs a quoted field. Arrow's parser for values that may hold
    # line breaks cannot split the file into blocks for its threads and costs ~4x the CPU
    # (momentum/samtale.csv at 1 000 000 persons: 4.1 s against 1.0 s); a file without a single
    # quote character (the byte is the same in UTF-8 and cp1252) parses the same without it.
    newlines_in_values = _has_byte(path, b'"')
    # A UTF-8 file is parsed as it is: given any other encoding name (also 'utf-8-sig'), Arrow
    # transcodes the whole file through Python's codecs first (Momentum at 1 000 000 persons:
    # ~9 s CPU of decoding and re-encoding, more than the parse). Arrow skips a byte-order mark
    # and rejects bytes that are not UTF-8 in every field it converts; the rows it skips for a
    # wrong field count are checked below.
    # A file of ASCII only (`ascii_only`: Opera's code and date files) is the same text in UTF-8
    # and is parsed as such, without the transcoding (Opera at 1 000 000 persons: 0.5-0.6 -> ~0.2 s a file).
    utf8 = ascii_only or codecs.lookup(contract.encoding).name in ("utf-8", "utf-8-sig")
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, encoding="utf8" if utf8 else contract.encoding,
                block_size=16 << 20,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=";", quote_char='"', double_quote=True, newlines_in_values=newlines_in_values,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=True, quoted_strings_can_be_null=True, null_values=[""],
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as e:
        enc = _check_encoding(path, contract.encoding, display)
        if enc:
            return None, [], enc
        # Arrow's message can quote the row: report only that parsing failed.
        kind = "invalid UTF-8" if "UTF8" in str(e) else "unparseable CSV"
        return None, [], [Violation(display, "csv-dialect", f"{kind} (expected ';'-separated, '\"'-quoted)")]
    viol = []
    if bad_rows and utf8:
        # Arrow checks the bytes of the fields it converts, not of the rows it skips (today its
        # handler for those fails on them by chance): a file with bytes that are not UTF-8 is
        # an encoding fault, whatever else is wrong with it.
        enc = _check_encoding(path, contract.encoding, display)
        if enc:
            return None, [], enc
    if bad_rows:
        viol.append(Violation(display, "field-count", f"row does not have {len(names)} fields",
                              _field_count_lines(path, contract.encoding, len(names)), len(bad_rows)))
    return table, bad_rows, viol




def _check_not_utf8(path: Path, encoding: str, display: str) -> tuple[list[Violation], bool]:
    """A single-byte encoding (Opera's cp1252) decodes any bytes, so a UTF-8 file would
    be read as mojibake ('Ã˜' for 'Ø'). A byte-order mark, or non-ASCII text that is all
    valid UTF-8, means the file is UTF-8: real cp1252 Danish text is practically never
    valid UTF-8. Also whether the file is ASCII only (its bytes are then the same text in
    either encoding). For a UTF-8 contract: ([], False), nothing read."""
    if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        return [], False
    dec = codecs.getincrementaldecoder("utf-8")("strict")
    first, line = None, 1  # line of the first non-ASCII byte
    with open(path, "rb") as fh:
        if fh.read(3) == codecs.BOM_UTF8:
            return [Violation(display, "encoding", f"the file is UTF-8 (byte-order mark), expected {encoding}", [1])], False
        fh.seek(0)
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            if first is None and chunk.isascii():
                # nothing to decode (and no sequence left open before it: nothing non-ASCII yet)
                line += chunk.count(b"\n")
                continue
            try:
                dec.decode(chunk)
            except UnicodeDecodeError:
                return [], False
            if first is None:
                first = line + chunk.count(b"\n", 0, re.search(rb"[\x80-\xff]", chunk).start())
        try:
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            return [], False
    if first is None:
        return [], True
    return [Violation(display, "encoding", f"the file is UTF-8, expected {encoding}", [first])], False


def _load_csv(path: Path, contract: FileContract, display: str) -> tuple[_Raw | None, list[Violation]]:
    found, viol = _read_header(path, contract.encoding, display)
    if viol:
        return None, viol
    viol, ascii_only = _check_not_utf8(path, contract.encoding, display)
    viol = viol or _check_header(found, contract, display)
    if viol:
        return None, viol
    table, bad_rows, viol = _parse(path, contract, display, ascii_only)
    if table is None:
        return None, viol
    n = len(contract.columns)
    return _Raw(table, len(bad_rows), lambda rows: _physical_lines(path, contract.encoding, rows, n)), viol


def _cell_text(v, col: Col, contract: FileContract) -> str | None:
    """An Excel cell as the text the CSV dialect would hold, so one set of rules types both."""
    if v is None:
        return None
    if isinstance(v, str):
        return v or None
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (datetime, date)):
        return v.strftime(contract.date_formats[0])
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not v.is_integer():
            return format(v, ".15g").replace(".", ",")  # the dialect's decimal comma
        v = int(v)
        # A CPR number typed without hyphen becomes a number in Excel, which drops a leading zero.
        return f"{v:010d}" if col.kind == "cpr" and 0 <= v < 10**10 else str(v)
    return str(v)


def _is_empty(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _load_xlsx(path: Path, contract: FileContract, display: str) -> tuple[_Raw | None, list[Violation]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # the library's message may quote content: report only the rule
        return None, [Violation(display, "xlsx", "the file is not a readable .xlsx workbook")]
    try:
        if contract.sheet is None:
            if not wb.worksheets:
                return None, [Violation(display, "sheet-missing", "the workbook has no sheet")]
            ws = wb.worksheets[0]
        elif contract.sheet in wb.sheetnames:
            ws = wb[contract.sheet]
        else:
            return None, [Violation(display, "sheet-missing", f"the workbook has no sheet {contract.sheet}")]
        rows = ws.iter_rows(min_row=1, values_only=True)
        header = ["" if v is None else str(v) for v in next(rows, ())]
        while header and header[-1] == "":
            header.pop()
        if not header:
            return None, [Violation(display, "empty-file", "the sheet is empty (no header row)")]
        viol = _check_header(header, contract, display)
        if viol:
            return None, viol
        cols = contract.columns
        n = len(cols)
        data: list[list[str | None]] = []
        lines: list[int] = []
        bad: list[int] = []
        for excel_row, values in enumerate(rows, start=2):
            values = tuple(values) + (None,) * max(0, n - len(values))
            if not all(_is_empty(v) for v in values[n:]):
                bad.append(excel_row)
                continue
            data.append([_cell_text(v, c, contract) for v, c in zip(values[:n], cols)])
            lines.append(excel_row)
    finally:
        wb.close()
    while data and all(_is_empty(v) for v in data[-1]):  # empty rows under the data are Excel's
        data.pop()
        lines.pop()
    table = pa.table({c.header: pa.array([r[i] for r in data], pa.string()) for i, c in enumerate(cols)})
    viol = []
    if bad:
        viol.append(Violation(display, "field-count", f"row has values beyond the {n} columns", bad, len(bad)))
    return _Raw(table, len(bad), lambda wanted: {i: lines[i] for i in wanted}), viol


def read_file(path: Path, contract: FileContract, pseudo: Pseudonymizer | None = None,
              extract_date: date | None = None, display: str | None = None) -> ReadResult:
    """Read, check and type one file. Without an `extract_date` no date is checked against
    it and no `extract_date` column is added."""
    display = display or path.name
    if not path.exists():
        return ReadResult(None, 0, [Violation(display, "file-missing", "the file is missing")])
    loader = _load_xlsx if path.suffix.lower() == ".xlsx" else _load_csv
    raw, viol = loader(path, contract, display)
    if raw is None:
        return ReadResult(None, 0, viol)
    return _validate(raw, contract, pseudo, extract_date, display, viol)


def _skipped(table: pa.Table, contract: FileContract) -> pa.Array | None:
    masks = []
    if contract.skip_blank_rows:
        blank = pa.array([True] * table.num_rows, pa.bool_())
        for name in table.column_names:
            empty = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(table.column(name)), ""), True)
            blank = pc.and_(blank, empty)
        masks.append(blank)
    for header, regex in contract.skip_rows:
        trimmed = pc.utf8_trim_whitespace(table.column(header))
        masks.append(pc.fill_null(pc.match_substring_regex(trimmed, f"^(?:{regex})$", ignore_case=True), False))
    if not masks:
        return None
    out = masks[0]
    for m in masks[1:]:
        out = pc.or_(out, m)
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out


def _where(idx: pa.Array, mask) -> list[int]:
    mask = pc.fill_null(mask, False)
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks() if mask.num_chunks else pa.array([], pa.bool_())
    return idx.filter(mask).to_pylist()


def _validate(raw: _Raw, contract: FileContract, pseudo: Pseudonymizer | None, extract_date: date | None,
              display: str, viol: list[Violation]) -> ReadResult:
    table = raw.table
    raw.table = None  # the untyped strings are freed as soon as the staged columns are built
    idx = pa.array(np.arange(table.num_rows, dtype=np.int64))  # the row's index in the file's data rows
    skip = _skipped(table, contract)
    if skip is not None:
        keep = pc.invert(skip)
        table, idx = table.filter(keep), idx.filter(keep)
    data_rows = table.num_rows + raw.bad_rows
    if data_rows == 0:
        return ReadResult(None, 0, [Violation(display, "empty-file", "the file has a header but no rows")])

    # Personal columns are transformed here, in Arrow, so they never enter SQL.
    cols: dict[str, pa.Array] = {"_idx": idx}
    row_errors: list[tuple[str, str, list[int]]] = []  # (rule, detail, row indices)
    for c in contract.columns:
        arr = table.column(c.header)
        if c.kind == "cpr":
            if pseudo is None:
                raise ValueError(f"{contract.file}: a contract with a CPR column needs a Pseudonymizer")
            # A person recurs in many rows: normalise, check, pseudonymise and date each distinct
            # text once (momentum/samtale.csv at 1 000 000 persons: 4.6 million rows, ~1.2 million
            # distinct texts), then spread the results over the rows by the dictionary's indices.
            enc = encode_distinct(arr)
            norm = normalise_cpr(enc.dictionary)
            ok = cpr_is_valid(norm)
            valid = pc.if_else(ok, norm, pa.scalar(None, pa.string()))
            ok = pc.fill_null(pc.take(ok, enc.indices), False)  # per row; an empty field is not valid
            row_errors.append(("cpr", f"{c.header} is not a valid CPR number", _where(idx, pc.invert(ok))))
            hashed, where = pseudo.pseudonym_indices(valid, domain="cpr")
            # The pseudonym of each distinct text, spread over the rows. person_key is an integer
            # (sources/pseudonym.py), so the rules that group rows by person (overlap) sort on it
            # as it is; while it was text they sorted on an index of their own.
            cols[c.name] = pc.take(hashed, pc.take(where, enc.indices))
            hashed = where = None
            if c.birth_date:
                cols[c.birth_date] = pc.take(cpr_birth_date(valid), enc.indices)
            enc = valid = None
        elif c.kind != "drop":
            if c.source_suppression is not None:
                flag = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(arr), c.source_suppression), False)
                arr = pc.if_else(flag, pa.scalar(None, pa.string()), arr)
                cols[c.suppressed_name] = flag
            # Trimmed (any Unicode white space) once, here; empty is no value. The rules in
            # SQL see the trimmed value (`r__<name>`) beside the typed one (`t.<name>`).
            cols[c.name] = trim_to_null(arr)
    if contract.address:
        if pseudo is None:
            raise ValueError(f"{contract.file}: a contract with an address needs a Pseudonymizer")
        s, n, p = (table.column(h) for h in contract.address)
        cols["address_key"] = address_key(s, n, p, pseudo)
    staged = pa.table(cols)
    del table, cols
    arr = norm = ok = None  # noqa: F841 - nor the last column's intermediates

    con = memory_cursor()
    con.register("staged", staged)
    select, checks = _typing_sql(contract, extract_date)
    # A column handed over as staged (pseudonyms, text, flags) is taken from the staged Arrow
    # table as it is; only the columns that are typed (dates, numbers) go through DuckDB. A
    # round trip through DuckDB copied every string twice (Momentum at 1 000 000 persons, when
    # person keys were text: ~10 million 32-character pseudonyms alone), and the copy lived
    # beside the staged table.
    names = [_output_name(e) for e in select]
    computed = [(n, e) for n, e in zip(names, select) if not _PASSTHROUGH.fullmatch(e)]
    # Each typed column is a function of the staged column of its name alone (a date, a
    # number): the same SQL types each distinct text once, and Arrow spreads the result over
    # the rows, in row order (the checks read typed and raw columns side by side). Dates and hours
    # recur: momentum/samtale at 1 000 000 persons has 4.6 million rows and ~1 900 distinct
    # dates per column (typing both columns 1.0 s -> 0.45 s CPU; tilbud's hours 0.5 -> 0.08 s).
    typed_cols = {n: on_distinct(_typed_in(con, n, e), staged.column(n)) for n, e in computed}
    typed = pa.table({n: typed_cols[n] if n in typed_cols else staged.column(n) for n in names})
    typed_cols = None
    con.register("typed", typed)
    if checks:
        # One pass over typed and raw side by side (same row order: typed is a projection
        # of staged), returning only the rows that break some rule: normally none. One Arrow
        # table holds both (the raw columns as r__<name>, zero-copy): DuckDB scans it in
        # parallel, where a POSITIONAL JOIN of two took twice as long (momentum/samtale at
        # 1 000 000 persons: 0.30 s -> 0.15 s).
        side_by_side = typed
        for n in staged.column_names:
            if n != "_idx":
                side_by_side = side_by_side.append_column(f"{_RAW}{n}", staged.column(n))
        con.register("side_by_side", side_by_side)
        hits = ", ".join(f"coalesce(({cond}), false)" for _, _, cond in checks)
        found = con.sql(f"SELECT t._idx, [{hits}] FROM side_by_side t "
                        f"WHERE {' OR '.join(f'coalesce(({c}), false)' for _, _, c in checks)} ORDER BY 1").fetchall()
        con.unregister("side_by_side")
        side_by_side = None
        for n, (rule, detail, _) in enumerate(checks):
            row_errors.append((rule, detail, [i for i, h in found if h[n]]))
    con.unregister("staged")
    del staged  # the rules below read only the typed rows
    if contract.non_overlapping and contract.period:
        a, b = contract.period
        rows = con.sql(f"""
            SELECT _idx FROM (
              SELECT _idx, {a} AS s,
                     max(coalesce({b}, DATE '9999-12-31')) OVER (
                        PARTITION BY person_key ORDER BY {a}, _idx
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
              FROM typed WHERE person_key IS NOT NULL AND {a} IS NOT NULL)
            WHERE prev_end >= s ORDER BY 1""").fetchall()
        row_errors.append(("overlap", "period overlaps an earlier period of the same person", [r[0] for r in rows]))
    if contract.unique:
        keys = ", ".join(contract.unique)
        rows = con.sql(f"""
            SELECT _idx FROM (
              SELECT _idx, row_number() OVER (PARTITION BY {keys} ORDER BY _idx) AS rn FROM typed
              WHERE {" AND ".join(f"{k} IS NOT NULL" for k in contract.unique)})
            WHERE rn > 1 ORDER BY 1""").fetchall()
        names = " and ".join({c.name: c.header for c in contract.columns}.get(k, k) for k in contract.unique)
        row_errors.append(("unique", f"same {names} as an earlier row", [r[0] for r in rows]))
    row_errors = [e for e in row_errors if e[2]]
    bad = sorted({i for _, _, rows in row_errors for i in rows})
    dups = _duplicates(con, contract, bad)  # (duplicate, kept) row indices
    con.close()

    drop = contract.row_faults == "drop"
    file_rows = contract.row_numbers == "file"
    wanted = {i for _, _, rows in row_errors for i in (rows if drop else rows[:10])}
    wanted |= {i for pair in dups for i in pair}
    if file_rows:
        wanted |= set(typed.column("_idx").to_pylist())
    lines = raw.lines(wanted) if wanted else {}

    def line(i: int) -> int:
        return lines.get(i, i + 2)

    if drop:  # one violation per faulty row, in file order
        per_row = [Violation(v.file, v.rule, v.detail, [n]) for v in viol for n in v.lines]
        per_row += [Violation(display, rule, detail, [line(i)]) for rule, detail, rows in row_errors for i in rows]
        viol = sorted(per_row, key=lambda v: (v.lines[0] if v.lines else 0, v.rule))
    else:
        viol += [Violation(display, rule, detail, [line(i) for i in rows], len(rows)) for rule, detail, rows in row_errors]
    headers = {c.name: c.header for c in contract.columns}
    unit = "row" if display.lower().endswith(".xlsx") else "line"
    key = " and ".join(headers.get(k, k) for k in contract.duplicates)
    warnings = [Violation(display, "duplicate", f"same {key} as {unit} {line(k)}: one record, this row left out",
                          [line(d)], level="warning") for d, k in dups]
    if viol and not drop:
        return ReadResult(None, data_rows, viol, warnings)

    left_out = set(bad) | {d for d, _ in dups}
    if left_out:
        typed = typed.filter(pc.invert(pc.is_in(typed.column("_idx"), pa.array(sorted(left_out), pa.int64()))))
    ix = typed.column("_idx")
    if file_rows:
        source_row = pa.array([lines[i] for i in ix.to_pylist()], pa.int64())
    else:
        source_row = pc.add(ix, 1)
    typed = typed.set_column(0, "source_row", source_row)
    if extract_date is not None:
        typed = typed.append_column("extract_date", pa.repeat(pa.scalar(extract_date, pa.date32()), typed.num_rows))
    return ReadResult(typed, data_rows, viol, warnings)


def _duplicates(con, contract: FileContract, bad: list[int]) -> list[tuple[int, int]]:
    """(duplicate, kept) row indices of rows equal on `contract.duplicates`, faulty rows aside."""
    if not contract.duplicates:
        return []
    keys = ", ".join(contract.duplicates)
    values = [c.name for c in contract.columns if c.kind not in ("drop", "cpr") and c.name not in contract.duplicates]
    filled = " + ".join(f"({v} IS NOT NULL)::INT" for v in values) or "0"
    con.register("bad_rows", pa.table({"_idx": pa.array(bad, pa.int64())}))
    rows = con.sql(f"""
        SELECT _idx, kept FROM (
          SELECT _idx, first_value(_idx) OVER w AS kept, row_number() OVER w AS rn
          FROM (SELECT * FROM typed ANTI JOIN bad_rows USING (_idx))
          WHERE {" AND ".join(f"{k} IS NOT NULL" for k in contract.duplicates)}
          WINDOW w AS (PARTITION BY {keys} ORDER BY {filled} DESC, _idx))
        WHERE rn > 1 ORDER BY _idx""").fetchall()
    return [(d, k) for d, k in rows]


def _typed_in(con, name: str, expr: str):
    """The function typing distinct texts of column `name` with SELECT item `expr`, in `con`."""
    def typed(distinct: pa.Array) -> pa.Array:
        con.register("distinct_values", pa.table({name: distinct}))
        try:
            values = con.sql(f"SELECT {expr} FROM distinct_values").arrow()
            values = (values.read_all() if hasattr(values, "read_all") else values).column(name)
        finally:
            con.unregister("distinct_values")
        return values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    return typed


# A column's raw (trimmed, untyped) text beside its typed value in the checks: r__<name>.
_RAW = "r__"


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


# A SELECT item that hands a staged column over unchanged: `name` or `name AS name`.
_PASSTHROUGH = re.compile(r"(\w+)(?: AS \1)?")


def _output_name(item: str) -> str:
    m = _PASSTHROUGH.fullmatch(item)
    return m.group(1) if m else item.rsplit(" AS ", 1)[1]


def _typing_sql(contract: FileContract, extract_date: date | None) -> tuple[list[str], list[tuple[str, str, str]]]:
    """SELECT expressions that type each column, and (rule, detail, condition) checks
    over the typed row `t` and its raw text `r__<name>` (the text trimmed, an empty value null).
    An expression that types reads only the staged column of its own name (`_validate`
    evaluates it once per distinct value)."""
    select = ["_idx"] + (["address_key"] if contract.address else [])
    checks: list[tuple[str, str, str]] = []
    fmts = contract.date_formats
    fmt_sql = _q(fmts[0]) if len(fmts) == 1 else "[" + ", ".join(_q(f) for f in fmts) + "]"
    for c in contract.columns:
        n = c.name
        if c.kind == "drop":
            continue
        if c.kind == "cpr":
            select.append(n)
            if c.birth_date:
                select.append(c.birth_date)
            continue
        trimmed = n  # trimmed in Arrow, empty as null (_validate)
        if c.kind == "text":
            select.append(f"{trimmed} AS {n}")
        elif c.kind == "date":
            select.append(f"try_strptime({trimmed}, {fmt_sql})::DATE AS {n}")
            checks.append(("date", f"{c.header} is not a date in the form {' or '.join(fmts)}",
                           f"{_RAW}{n} IS NOT NULL AND t.{n} IS NULL"))
            checks.append(("date-range", f"{c.header} is before {EARLIEST_DATE.isoformat()}",
                           f"t.{n} < DATE '{EARLIEST_DATE.isoformat()}'"))
            if c.not_after_extract and extract_date is not None:
                checks.append(("date-range", f"{c.header} is after the extract date {extract_date.isoformat()}",
                               f"t.{n} > DATE '{extract_date.isoformat()}'"))
            elif extract_date is not None:
                last = latest_date(extract_date).isoformat()
                checks.append(("date-range", f"{c.header} is more than a year after the extract date "
                               f"{extract_date.isoformat()} (after {last})", f"t.{n} > DATE '{last}'"))
        elif c.kind in ("decimal", "int"):
            # '1.736' (thousands) and '18,5' (decimal comma) are both in the dialect.
            num = f"replace(regexp_replace({trimmed}, '\\.(\\d{{3}})', '\\1', 'g'), ',', '.')"
            typ = "DOUBLE" if c.kind == "decimal" else "BIGINT"
            select.append(f"try_cast({num} AS {typ}) AS {n}")
            checks.append(("number", f"{c.header} is not a number",
                           f"{_RAW}{n} IS NOT NULL AND t.{n} IS NULL"))
        else:
            raise ValueError(f"unknown column kind {c.kind}")
        if c.source_suppression is not None:
            select.append(c.suppressed_name)
        if c.required:  # empty in the file; a value that does not type is the date/number rule's
            suppressed = f" AND NOT t.{c.suppressed_name}" if c.source_suppression is not None else ""
            checks.append(("required", f"{c.header} is empty", f"{_RAW}{n} IS NULL{suppressed}"))
        if c.codes:
            accepted = ", ".join(_q(v) for v in seed_values(*c.codes))
            checks.append(("code", f"{c.header} is not one of the codes in seed {c.codes[0]}",
                           f"t.{n} IS NOT NULL AND t.{n} NOT IN ({accepted})"))
        if c.values:
            accepted = ", ".join(_q(v) for v in c.values)
            checks.append(("code", f"{c.header} is not one of {', '.join(c.values)}",
                           f"t.{n} IS NOT NULL AND t.{n} NOT IN ({accepted})"))
        if c.pattern:
            checks.append(("pattern", f"{c.header} does not have the form {c.pattern}",
                           f"t.{n} IS NOT NULL AND NOT regexp_full_match(t.{n}, {_q(c.pattern)})"))
    for ch in contract.checks:
        checks.append((ch.rule, ch.detail, f"({ch.condition})"))
    if contract.period:
        a, b = contract.period
        checks.append(("period", f"end date before start date ({a} > {b})", f"t.{b} < t.{a}"))
    return select, checks


def read_control_file(path: Path, encoding: str, display: str, headers: tuple[str, str]) -> tuple[dict[str, int], list[Violation]]:
    if not path.exists():
        return {}, [Violation(display, "control-file-missing", "the control file is missing: the extract is incomplete")]
    try:
        text = path.read_bytes().decode(encoding)
    except UnicodeDecodeError:
        return {}, [Violation(display, "encoding", f"not valid {encoding}")]
    rows = list(csv.reader(io.StringIO(text.replace("\ufeff", "")), delimiter=";"))
    if not rows or [h.strip() for h in rows[0]] != list(headers):
        return {}, [Violation(display, "missing-column", f"header must be {';'.join(headers)}", [1])]
    counts, viol = {}, []
    for i, r in enumerate(rows[1:], start=2):
        if not r or not "".join(r).strip():
            continue
        try:
            counts[r[0].strip()] = int(r[1].strip().replace(".", ""))
        except (IndexError, ValueError):
            viol.append(Violation(display, "number", "row count is not a whole number", [i]))
    return counts, viol


_KIND_TYPES = {"cpr": pa.int64(), "text": pa.string(), "date": pa.date32(), "decimal": pa.float64(), "int": pa.int64()}


def output_schema(contract: FileContract, with_extract_date: bool = True) -> pa.Schema:
    """The schema `read_file` hands over for this contract: lets a loader create an
    empty table for a source that has not been delivered (yet)."""
    fields = [pa.field("source_row", pa.int64())]
    if contract.address:
        fields.append(pa.field("address_key", pa.string()))
    for c in contract.columns:
        if c.kind == "drop":
            continue
        fields.append(pa.field(c.name, _KIND_TYPES[c.kind]))
        if c.birth_date:
            fields.append(pa.field(c.birth_date, pa.date32()))
        if c.source_suppression is not None:
            fields.append(pa.field(c.suppressed_name, pa.bool_()))
    if with_extract_date:
        fields.append(pa.field("extract_date", pa.date32()))
    return pa.schema(fields)
