"""Keyed pseudonyms (HMAC-SHA256) for CPR numbers and addresses.

The same CPR gives the same pseudonym under one key, so sources join; without the key
the pseudonym cannot be reversed by enumerating the ~10^9 possible CPR numbers.

A CPR number's pseudonym, `person_key`, is an integer (BIGINT): the HMAC's first 8 bytes as
an unsigned big-endian number, minus 2^63. Every model joins, sorts and groups on it, and an
integer costs a fraction of 32 hexadecimal characters there (docs/benchmarks.md, stop 26).
Two persons share a key with probability ~n²/2^65: 3·10^-8 for a million persons. Other
domains (addresses, the key's fingerprint) keep text: the first 16 bytes as hex.
"""
from __future__ import annotations

import hashlib
import threading

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.whitespace import RE2_CLASS, may_hold_white_space, offsets, string_chunks

# The domain of CPR numbers: its pseudonyms are integers (`person_key`), every other's text.
CPR = "cpr"
# SQL: the first 16 hexadecimal digits of {} as a BIGINT (unsigned, minus 2^63; a HUGEINT in
# between, so nothing overflows). Also turns a textual person_key of an earlier night into
# today's integer (`person_keys_from_text`, warehouse/database.py `upgrade_person_keys`).
HEX_TO_BIGINT = "(('0x' || left({}, 16))::UBIGINT::HUGEINT - 9223372036854775808)::BIGINT"


_MEMORY_DB: tuple[int, object] | None = None  # (process id, in-memory DuckDB)
_MEMORY_DB_LOCK = threading.Lock()


def memory_cursor():
    """A connection (cursor) to the readers' in-memory DuckDB: one database per process, so a
    reader's SQL does not start a database per file and per pseudonym batch (~10-40 ms each,
    ~20 a night). Each caller gets its own cursor (its own registered tables; threads may
    run side by side) and closes it."""
    import os

    import duckdb

    global _MEMORY_DB
    with _MEMORY_DB_LOCK:
        if _MEMORY_DB is None or _MEMORY_DB[0] != os.getpid():  # not a database inherited by fork
            _MEMORY_DB = (os.getpid(), duckdb.connect())
        return _MEMORY_DB[1].cursor()


def encode_distinct(values: pa.Array | pa.ChunkedArray) -> pa.DictionaryArray:
    """`values` as one dictionary array: work on `.dictionary` (each distinct value once:
    persons, streets and postcodes recur in many rows), then spread it over the rows with
    `pc.take(result, .indices)`."""
    enc = pc.dictionary_encode(values)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks() if enc.num_chunks else pa.array([], pa.dictionary(pa.int32(), pa.string()))
    return enc


def on_distinct(compute, values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """`compute(values)` worked out once per distinct value and spread over the rows:
    `compute` maps an array of distinct values to an array of the same length (a date per
    text, a normalised street per street)."""
    enc = encode_distinct(values)
    return pc.take(compute(enc.dictionary), enc.indices)


# A batch this many times smaller than the cache is hashed directly, not looked up in it: an HMAC
# in DuckDB costs ~1 µs of CPU a value (1.25 million: 1.2 s), a look-up 0.25-0.4 µs for every
# value already in the cache, however few it looks up (500 against 1.25 million: 0.3-0.5 s).
SMALL_BATCH = 8


class Pseudonymizer:
    def __init__(self, key: bytes):
        if len(key) < 16:
            raise ValueError("the pseudonym key must be at least 16 bytes")
        # HMAC's inner and outer key pads (RFC 2104): a key longer than SHA-256's block is
        # hashed first; the pads are bound as query parameters, never written into SQL text.
        block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
        self._pads = (bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block))
        # The same persons recur in every file of an extract: hash each value once per domain.
        # Kept as Arrow arrays (values, pseudonyms), looked up with index_in, not a Python dict.
        self._known: dict[str, tuple[pa.Array, pa.Array]] = {}
        self._lock = threading.Lock()

    def _digests(self, values: pa.Array, domain: str) -> pa.Array:
        """The pseudonym of every value, from HMAC-SHA256(key, domain ‖ 0x1F ‖ UTF-8 value) —
        the domain separates a CPR from an address string: in the CPR domain the first 8 bytes
        as a BIGINT (the module's docstring), in any other the first 16 bytes as hex. Computed
        in DuckDB (C++, both cores), HMAC spelled out as sha256(opad ‖ sha256(ipad ‖ msg)): on
        1 000 000 CPR numbers 0.98 s CPU against 1.46 s for hmac.digest in a Python loop;
        tests/test_readers.py pins both forms to Python's hmac."""
        digest = "sha256($opad || unhex(sha256($ipad || encode($prefix || v))))"
        h = _select(HEX_TO_BIGINT.format(digest) if domain == CPR else f"left({digest}, 32)", values,
                    {"ipad": self._pads[0], "opad": self._pads[1], "prefix": f"{domain}\x1f"},
                    RuntimeError("pseudonymisation in DuckDB failed"))
        return h if domain == CPR else h.cast(pa.string())

    def pseudonymize(self, values: pa.Array | pa.ChunkedArray, domain: str) -> pa.Array:
        """Pseudonymise an array of normalised strings; nulls stay null.

        HMAC is computed once per distinct value (persons recur in many rows and files)."""
        hashed, where = self.pseudonym_indices(values, domain)
        return pc.take(hashed, where)

    def pseudonym_indices(self, values: pa.Array | pa.ChunkedArray, domain: str) -> tuple[pa.Array, pa.Array]:
        """(pseudonyms, indices): the pseudonym of `values[i]` is `pseudonyms[indices[i]]`; a
        null value has a null index. A reader takes the pseudonyms of its distinct texts once
        and spreads them over its rows by these indices."""
        if values.type != pa.string():
            values = values.cast(pa.string())
        # Normalised CPR numbers (ten digits) are looked up and kept as the number they spell:
        # a look-up hashes the whole cache again, and hashing an integer costs a fraction of a
        # text (Momentum's and Opera's files after the first at 1 000 000 persons: 0.10-0.14 s a
        # look-up -> 0.06-0.07 s, docs/benchmarks.md, stop 36). Any other text keeps a cache of texts.
        digits = _ten_digit_numbers(values) if domain == CPR else None
        cache = domain if digits is None else (domain, "ten digits")
        texts, values = values, (values if digits is None else digits)
        none_yet = (pa.array([], values.type), pa.array([], pa.int64() if domain == CPR else pa.string()))
        known, hashed = self._known.get(cache, none_yet)
        if len(values) * SMALL_BATCH < len(known):
            # A look-up hashes the whole cache again (index_in builds its table per call): a
            # roster's few hundred persons against a night's million persons cost 0.3 s that
            # way, hashed directly a few milliseconds. The cache is left as it is.
            enc = encode_distinct(texts)
            return self._digests(enc.dictionary, domain), enc.indices
        # Each value is looked up in the cache as it comes; only the values not there yet are
        # made distinct (a reader hands over one value per distinct text already, and after the
        # first file of an extract nearly every person is known): one hashing pass fewer than
        # encoding every value first (the pseudonym stage of Momentum's four files at 1 000 000
        # persons, one file at a time: 1.34 -> 1.20 s).
        where, missing = self._lookup(values, known)
        if missing is not None:
            with self._lock:  # readers of one extract run in threads and share the cache
                now_known, now_hashed = self._known.get(cache, none_yet)
                if len(now_known) != len(known):  # another reader added values meanwhile
                    known, hashed = now_known, now_hashed
                    where, missing = self._lookup(values, known)
                if missing is not None:
                    enc = encode_distinct(values.filter(missing))
                    new = enc.dictionary
                    # The new values are appended in order, so the k-th of them is found at
                    # len(known) + k: no second lookup against the grown cache (each lookup hashes
                    # every known value again: ~0.3 s CPU per Momentum file at 1 000 000 persons).
                    idx = pc.fill_null(where, -1).to_numpy(zero_copy_only=False).copy()
                    idx[missing.to_numpy(zero_copy_only=False)] = len(known) + enc.indices.to_numpy(zero_copy_only=False)
                    where = pa.array(idx, mask=idx < 0)
                    known = pa.concat_arrays([known, new])
                    # the HMAC of the text: a number's ten digits, leading zeros and all
                    new = new if digits is None else pc.utf8_lpad(new.cast(pa.string()), 10, "0")
                    hashed = pa.concat_arrays([hashed, self._digests(new, domain)])
                    self._known[cache] = (known, hashed)
        return hashed, where

    @staticmethod
    def _lookup(values: pa.Array | pa.ChunkedArray, known: pa.Array) -> tuple[pa.Array, pa.Array | None]:
        """(index of each value in `known`, null if absent or null; the values not in `known`
        as a mask, None when there are none)."""
        where = pc.index_in(values, value_set=known)
        missing = pc.and_(pc.is_null(where), pc.is_valid(values))
        if isinstance(where, pa.ChunkedArray):
            where = where.combine_chunks() if where.num_chunks else pa.array([], pa.int32())
            missing = missing.combine_chunks() if missing.num_chunks else pa.array([], pa.bool_())
        return where, (missing if pc.any(missing).as_py() else None)


def _ten_digit_numbers(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray | None:
    """`values` as the integers they spell when every value that is not null is exactly ten
    ASCII digits (a normalised CPR number: two such texts are equal exactly when their numbers
    are); None otherwise. Read from the offsets and data buffers (~1 ms per million values)."""
    for chunk in string_chunks(values):
        if chunk is None:
            return None
        if len(chunk) == chunk.null_count:
            continue
        at = offsets(chunk)
        lengths = np.diff(at)
        if chunk.null_count:
            lengths = lengths[chunk.is_valid().to_numpy(zero_copy_only=False)]
        if (lengths != 10).any():
            return None
        # every byte of the values (and of any null's slot): a digit ('0' - 48 .. '9' - 48, as uint8)
        if ((np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[at[0]:at[-1]] - 48) > 9).any():
            return None
    return values.cast(pa.int64())


def person_keys_from_text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The integer `person_key` of a textual one (32 hexadecimal characters, written before
    person keys were integers: archive entries of earlier nights): the same person, the same
    key, without the pseudonym key."""
    return _select(HEX_TO_BIGINT.format("v"), values, {},
                   ValueError("a textual person_key is not 32 hexadecimal characters"))


def _select(expr: str, values: pa.Array | pa.ChunkedArray, params: dict, error: Exception) -> pa.Array:
    """`SELECT expr` over `values` (as column `v`) in the readers' in-memory DuckDB. A failure
    raises `error`, outside the except block, so no traceback carries DuckDB's message along:
    it could quote a value (a CPR, a pseudonym) or a bound parameter (the key's pads)."""
    import duckdb

    con = memory_cursor()
    failed = False
    try:
        con.register("incoming", pa.table({"v": values}))
        out = con.sql(f"SELECT {expr} AS r FROM incoming", params=params or None).to_arrow_table()
    except duckdb.Error:
        failed = True
    finally:
        con.close()
    if failed:
        raise error
    return out.column("r").combine_chunks()


_CPR_NOISE = RE2_CLASS[:-1] + "-]"  # any white space, and the hyphen


def normalise_cpr(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Strip white space and the hyphen: '120385-1234 ' -> '1203851234'."""
    if may_hold_white_space(values):
        return pc.replace_substring_regex(values, _CPR_NOISE, "")
    # Nearly always: only the hyphen to strip, without the regular expression (a million CPR
    # texts: 0.05-0.1 s against 0.2 s).
    return pc.replace_substring(values, "-", "")


def cpr_is_valid(normalised: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Ten digits whose first six are a possible date (ddmmyy).

    The modulus-11 check is not applied: CPR numbers issued since 2007 need not pass it."""
    shape = pc.match_substring_regex(normalised, r"^(0[1-9]|[12][0-9]|3[01])(0[1-9]|1[0-2])[0-9]{6}$")
    return pc.fill_null(shape, False)


def cpr_birth_date(normalised: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The birth date a valid CPR encodes: ddmmyy plus the century from the 7th digit
    (CPR-kontoret's table). Null for an invalid or impossible date (e.g. 300280).

    Only the first seven digits count, and they recur: each distinct seven is dated once
    (momentum/maalgruppe at 1 000 000 persons: 716 000 CPR texts, 74 000 distinct sevens;
    1.65 s -> 0.5 s CPU)."""
    return on_distinct(_birth_date, pc.utf8_slice_codeunits(normalised, 0, 7))


def _birth_date(normalised: pa.Array) -> pa.Array:
    yy = pc.cast(pc.utf8_slice_codeunits(normalised, 4, 6), pa.int32())
    d7 = pc.cast(pc.utf8_slice_codeunits(normalised, 6, 7), pa.int32())
    century = pc.case_when(
        pc.make_struct(
            pc.less_equal(d7, 3),
            pc.and_(pc.equal(d7, 4), pc.less_equal(yy, 36)),
            pc.equal(d7, 4),
            pc.and_(pc.and_(pc.greater_equal(d7, 5), pc.less_equal(d7, 8)), pc.less_equal(yy, 57)),
            pc.and_(pc.greater_equal(d7, 5), pc.less_equal(d7, 8)),
            pc.less_equal(yy, 36),
        ),
        1900, 2000, 1900, 2000, 1800, 2000, 1900)
    year = pc.cast(pc.add(century, yy), pa.string())
    iso = pc.binary_join_element_wise(year, pc.utf8_slice_codeunits(normalised, 2, 4),
                                      pc.utf8_slice_codeunits(normalised, 0, 2), "-")
    iso = pc.utf8_lpad(iso, 10, "0")
    ts = pc.strptime(iso, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls 31-02 over into March: keep only dates that read back unchanged.
    real = pc.equal(pc.strftime(ts, format="%Y-%m-%d"), iso)
    return pc.if_else(pc.fill_null(real, False), pc.cast(ts, pa.date32()), pa.scalar(None, pa.date32()))


def random_key() -> bytes:
    """A key from the operating system's cryptographic source (numpy's generator is not one)."""
    import secrets

    return secrets.token_bytes(32)
