"""The declarative file contract and the one engine that enforces it.

A reader module declares, per file, its columns (exact header, warehouse name, kind,
rules); `read_file` parses in the given dialect, checks every rule, pseudonymises CPR
numbers and addresses, and returns a typed Arrow table. Violations name the file, the
line and the rule, and never quote a value (a value may be a CPR number).
"""
from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sources.address import address_key
from sources.codes import seed_values
from sources.pseudonym import Pseudonymizer, cpr_is_valid, normalise_cpr

EARLIEST_DATE = date(1990, 1, 1)


@dataclass(frozen=True)
class Col:
    header: str  # exact column name in the file
    name: str  # column name in the warehouse
    kind: str  # cpr | text | date | decimal | int | drop (personal: read, never handed over)
    required: bool = False
    codes: tuple[str, str] | None = None  # (dbt seed, column) holding the accepted values
    not_after_extract: bool = True  # dates only: no date after the extract date


@dataclass(frozen=True)
class FileContract:
    file: str
    columns: tuple[Col, ...]
    encoding: str = "utf-8-sig"
    date_format: str = "%d-%m-%Y"
    period: tuple[str, str] | None = None  # (start, end) warehouse names: end >= start
    non_overlapping: bool = False  # periods of one person must not overlap
    address: tuple[str, str, str] | None = None  # (street, number, postcode) headers -> address_key

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


@dataclass
class Violation:
    file: str
    rule: str
    detail: str
    lines: list[int] = field(default_factory=list)  # physical line numbers, 1 = header
    count: int = 1

    def __str__(self) -> str:
        where = f"line {self.lines[0]}" if self.lines else "file"
        more = ""
        if self.count > 1:
            sample = ", ".join(str(n) for n in self.lines[:10])
            more = f" ({self.count} rows; lines {sample}{', …' if self.count > 10 else ''})"
        return f"{self.file}, {where}: rule {self.rule}: {self.detail}{more}"


class ContractError(Exception):
    """An input file broke its contract; carries every violation found."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        super().__init__("\n".join(str(v) for v in violations))


@dataclass
class ReadResult:
    table: pa.Table | None
    data_rows: int  # rows in the file, valid or not (compared with the control file)
    violations: list[Violation]


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


def _parse(path: Path, contract: FileContract, display: str) -> tuple[pa.Table | None, list[int], list[Violation]]:
    bad_rows: list[int] = []

    def on_invalid(row):  # row.text may hold a CPR: only its position is kept
        bad_rows.append(row.number if row.number is not None else -1)
        return "skip"

    names = [c.header for c in contract.columns]
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, encoding=contract.encoding, block_size=16 << 20
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=";", quote_char='"', double_quote=True, newlines_in_values=True,
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
    if bad_rows:
        viol.append(Violation(display, "field-count", f"row does not have {len(names)} fields",
                              _field_count_lines(path, contract.encoding, len(names)), len(bad_rows)))
    return table, bad_rows, viol


def read_file(path: Path, contract: FileContract, pseudo: Pseudonymizer, extract_date: date,
              display: str) -> ReadResult:
    if not path.exists():
        return ReadResult(None, 0, [Violation(display, "file-missing", "the file is missing")])
    found, viol = _read_header(path, contract.encoding, display)
    if viol:
        return ReadResult(None, 0, viol)
    viol = _check_header(found, contract, display)
    if viol:
        return ReadResult(None, 0, viol)
    table, bad_rows, viol = _parse(path, contract, display)
    if table is None:
        return ReadResult(None, 0, viol)
    data_rows = table.num_rows + len(bad_rows)
    if data_rows == 0:
        return ReadResult(None, 0, [Violation(display, "empty-file", "the file has a header but no rows")])

    # Personal columns are transformed here, in Arrow, so they never enter SQL.
    cols: dict[str, pa.Array] = {"source_row": pa.array(range(1, table.num_rows + 1), pa.int64())}
    row_errors: list[tuple[str, str, pa.Array]] = []  # (rule, detail, boolean mask)
    for c in contract.columns:
        arr = table.column(c.header)
        if c.kind == "cpr":
            norm = normalise_cpr(arr)
            ok = cpr_is_valid(norm)
            row_errors.append(("cpr", f"{c.header} is not a valid CPR number", pc.invert(ok)))
            cols[c.name] = pseudo.pseudonymize(pc.if_else(ok, norm, pa.scalar(None, pa.string())), domain="cpr")
        elif c.kind != "drop":
            cols[c.name] = arr
    if contract.address:
        s, n, p = (table.column(h) for h in contract.address)
        cols["address_key"] = address_key(s, n, p, pseudo)
    staged = pa.table(cols)
    del table

    con = duckdb.connect()
    con.register("staged", staged)
    select, checks = _typing_sql(contract, extract_date)
    typed = con.sql(f"SELECT {', '.join(select)} FROM staged").arrow()
    typed = typed.read_all() if hasattr(typed, "read_all") else typed
    con.register("typed", typed)
    con.register("staged_raw", staged)
    for rule, detail, cond in checks:
        rows = con.sql(f"SELECT t.source_row FROM typed t JOIN staged_raw r USING (source_row) "
                       f"WHERE {cond} ORDER BY 1").fetchall()
        if rows:
            row_errors.append((rule, detail, [r[0] - 1 for r in rows]))
    if contract.non_overlapping and contract.period:
        a, b = contract.period
        rows = con.sql(f"""
            SELECT source_row FROM (
              SELECT source_row, {a} AS s,
                     max(coalesce({b}, DATE '9999-12-31')) OVER (
                        PARTITION BY person_key ORDER BY {a}, source_row
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
              FROM typed WHERE person_key IS NOT NULL AND {a} IS NOT NULL)
            WHERE prev_end >= s ORDER BY 1""").fetchall()
        if rows:
            row_errors.append(("overlap", "period overlaps an earlier period of the same person",
                               [r[0] - 1 for r in rows]))
    con.close()

    for rule, detail, mask in row_errors:
        idx = mask if isinstance(mask, list) else pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()
        if idx:
            viol.append(Violation(display, rule, detail, idx, len(idx)))
    if any(v.rule != "field-count" for v in viol):
        wanted = {i for v in viol if v.rule != "field-count" for i in v.lines[:10]}
        lines = _physical_lines(path, contract.encoding, wanted, len(contract.columns))
        for v in viol:
            if v.rule != "field-count":
                v.lines = [lines.get(i, i + 2) for i in v.lines]
    if viol:
        return ReadResult(None, data_rows, viol)
    return ReadResult(typed.append_column("extract_date", pa.array([extract_date] * typed.num_rows, pa.date32())),
                      data_rows, [])


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _typing_sql(contract: FileContract, extract_date: date) -> tuple[list[str], list[tuple[str, str, str]]]:
    """SELECT expressions that type each column, and (rule, detail, condition) checks
    over typed `t` and untyped `r` rows."""
    select = ["source_row"] + (["address_key"] if contract.address else [])
    checks: list[tuple[str, str, str]] = []
    for c in contract.columns:
        n = c.name
        if c.kind == "drop":
            continue
        if c.kind == "cpr":
            select.append(n)
            continue
        trimmed = f"nullif(trim({n}), '')"
        if c.kind == "text":
            select.append(f"{trimmed} AS {n}")
        elif c.kind == "date":
            select.append(f"try_strptime({trimmed}, '{contract.date_format}')::DATE AS {n}")
            checks.append(("date", f"{c.header} is not a date in the form {contract.date_format}",
                           f"r.{n} IS NOT NULL AND trim(r.{n}) <> '' AND t.{n} IS NULL"))
            checks.append(("date-range", f"{c.header} is before {EARLIEST_DATE.isoformat()}",
                           f"t.{n} < DATE '{EARLIEST_DATE.isoformat()}'"))
            if c.not_after_extract:
                checks.append(("date-range", f"{c.header} is after the extract date {extract_date.isoformat()}",
                               f"t.{n} > DATE '{extract_date.isoformat()}'"))
        elif c.kind in ("decimal", "int"):
            # '1.736' (thousands) and '18,5' (decimal comma) are both in the dialect.
            num = f"replace(regexp_replace({trimmed}, '\\.(\\d{{3}})', '\\1', 'g'), ',', '.')"
            typ = "DOUBLE" if c.kind == "decimal" else "BIGINT"
            select.append(f"try_cast({num} AS {typ}) AS {n}")
            checks.append(("number", f"{c.header} is not a number",
                           f"r.{n} IS NOT NULL AND trim(r.{n}) <> '' AND t.{n} IS NULL"))
        else:
            raise ValueError(f"unknown column kind {c.kind}")
        if c.required:
            checks.append(("required", f"{c.header} is empty", f"t.{n} IS NULL"))
        if c.codes:
            accepted = ", ".join(_q(v) for v in seed_values(*c.codes))
            checks.append(("code", f"{c.header} is not one of the codes in seed {c.codes[0]}",
                           f"t.{n} IS NOT NULL AND t.{n} NOT IN ({accepted})"))
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
