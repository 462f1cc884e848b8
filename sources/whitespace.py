"""What every reader counts as white space (docs/sources.md: the normalisation folds white space).

Unicode's White_Space property, not ASCII's: text pasted from Excel or a web form carries
no-break spaces (U+00A0, U+202F), tabs and wide spaces (U+2003, U+3000). The regular
expression engines here (RE2, in pyarrow and DuckDB) match only ASCII white space with
`\\s`, and DuckDB's one-argument trim() removes only the space, so the class is spelled
out once, here.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Unicode White_Space: tab .. carriage return, space, U+0085, and the separators (Zs, Zl, Zp).
CHARACTERS = ("\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B))
              + "\u2028\u2029\u202f\u205f\u3000")

# One white-space character, for RE2 (pyarrow.compute and DuckDB's regexp_* functions).
RE2_CLASS = r"[\s\p{Z}\x{0B}\x{85}]"


# The bytes a white-space character's UTF-8 begins and ends with, as lookup tables over all
# 256 byte values: a value whose first byte is not in the one and whose last byte is not in the
# other keeps every character when trimmed.
_BEGINS = np.zeros(256, dtype=bool)
_BEGINS[[ch.encode("utf-8")[0] for ch in CHARACTERS]] = True
_ENDS = np.zeros(256, dtype=bool)
_ENDS[[ch.encode("utf-8")[-1] for ch in CHARACTERS]] = True


def string_chunks(values):
    """The non-empty chunks of an Array or ChunkedArray; None for a chunk that is not string or
    large_string (e.g. a dictionary), which the callers treat the ordinary way."""
    for chunk in (values.chunks if isinstance(values, pa.ChunkedArray) else [values]):
        if len(chunk):
            yield chunk if pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type) else None


def offsets(chunk) -> np.ndarray:
    """A string chunk's value offsets into its data buffer, len(chunk) + 1 of them, not copied."""
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    return np.frombuffer(chunk.buffers()[1], dtype=width)[chunk.offset:chunk.offset + len(chunk) + 1]


def _may_change(values) -> bool:
    """Whether trimming could change a value of `values` or it holds an empty string: true when
    some value starts with a byte that begins a white-space character, ends with one that ends
    one (also e.g. 'é', whose last byte ends U+2029: the test is conservative), or is empty.
    Read from the offsets and data buffers: ~0.01 s per million values, where trimming copies
    every string (~0.1 s per million)."""
    for chunk in string_chunks(values):
        if chunk is None:
            return True
        validity_buf, _, data_buf = chunk.buffers()
        at = offsets(chunk)
        starts, ends = at[:-1], at[1:]
        filled = ends > starts
        empty_slots = len(chunk) - int(np.count_nonzero(filled))
        if empty_slots > chunk.null_count:  # more empty slots than nulls: an empty string
            return True
        if empty_slots and chunk.null_count:
            # Arrow lets a null's slot hold bytes, so an empty string may hide behind one that
            # does: read the validity bitmap.
            valid = np.unpackbits(np.frombuffer(validity_buf, dtype=np.uint8), bitorder="little")
            if (valid[chunk.offset:chunk.offset + len(chunk)].astype(bool) & ~filled).any():
                return True
        if data_buf is None or not filled.any():
            continue
        if empty_slots:  # only the values with bytes (nearly always all: no mask to apply then)
            starts, ends = starts[filled], ends[filled]
        data = np.frombuffer(data_buf, dtype=np.uint8)
        if _BEGINS[data[starts]].any() or _ENDS[data[ends - 1]].any():
            return True
    return False


def may_hold_white_space(values) -> bool:
    """Whether any value of `values` could hold a white-space character anywhere: some byte of
    its data could begin one. Conservative (a 'Å' begins with no such byte, a '§' does) and
    cheap: one table lookup per byte."""
    for chunk in string_chunks(values):
        if chunk is None:
            return True
        data = chunk.buffers()[2]
        if data is not None and _BEGINS[np.frombuffer(data, dtype=np.uint8)].any():
            return True
    return False


def trim_to_null(values):
    """`values` trimmed of white space of any kind (CHARACTERS), a value left empty null.
    Returned unchanged (no copy) when no value could change, as in nearly every column of a
    machine extract: trimming copies every string (Momentum at 1 000 000 persons: 1.2 s of
    the readers' CPU)."""
    if not _may_change(values):
        return values
    trimmed = arrow_trim(values)
    empty = pc.fill_null(pc.equal(trimmed, ""), False)
    # if_else copies every string again: only when a value was empty or white space only
    return pc.if_else(empty, pa.scalar(None, pa.string()), trimmed) if pc.any(empty).as_py() else trimmed


def arrow_trim(values):
    """pyarrow: `values` without leading and trailing white space of any kind (CHARACTERS).
    Arrow's trim of a character set is ~50x cheaper per value than DuckDB's (measured: 0.02 s
    against 1.2 s for 1 000 000 values), so readers trim here, never in SQL."""
    return pc.utf8_trim(values, CHARACTERS)

