"""The one definition of address normalisation (docs/sources.md, address register).

Case and white space (any Unicode white space: sources/whitespace.py) are folded and `12A`, `12 A` and `12a` are one house number.
Readers turn a normalised address into a keyed pseudonym, so the warehouse can match
citizens' addresses to the register without holding any street address.
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from sources.pseudonym import Pseudonymizer, encode_distinct
from sources.whitespace import RE2_CLASS


def normalise_street(street: pa.Array) -> pa.Array:
    s = pc.utf8_lower(street)
    s = pc.replace_substring_regex(s, RE2_CLASS + "+", " ")
    return pc.utf8_trim_whitespace(s)


def normalise_house_number(number: pa.Array) -> pa.Array:
    n = pc.utf8_upper(number)
    n = pc.replace_substring_regex(n, RE2_CLASS + "+", "")
    # Leading zeros are typing noise in hand-kept registers: '07' is house 7.
    return pc.replace_substring_regex(n, r"^0+([0-9])", r"\1")


def normalise_postcode(postcode: pa.Array) -> pa.Array:
    # A postcode is four digits: white space anywhere in it is typing noise ('6400\u00a0').
    return pc.replace_substring_regex(postcode, RE2_CLASS + "+", "")


# Combinations of (street, number, postcode) one int64 can number (address_key).
NUMBERABLE = 2**63


def address_key(street: pa.Array, number: pa.Array, postcode: pa.Array, pseudo: Pseudonymizer) -> pa.Array:
    # Each part normalised once per distinct value: streets, house numbers and postcodes recur
    # in many rows (the regular expressions cost ~1 s CPU per call on every row of Momentum's
    # borger_adresse at 1 000 000 persons).
    parts = [(normalise(enc.dictionary), enc.indices)
             for enc, normalise in ((encode_distinct(street), normalise_street),
                                    (encode_distinct(number), normalise_house_number),
                                    (encode_distinct(postcode), normalise_postcode))]
    sizes = [max(len(d), 1) for d, _ in parts]
    if sizes[0] * sizes[1] * sizes[2] >= NUMBERABLE:  # more combinations than an int64 can number
        joined = pc.binary_join_element_wise(*(pc.take(d, i) for d, i in parts), "|")
        return pseudo.pseudonymize(joined, domain="address")
    # One integer per row naming its (street, number, postcode): the rows' addresses are made
    # distinct on integers, and only the distinct ones are joined to text and looked up (at
    # 1 000 000 persons 2.3 million rows, ~18 000 addresses: joining and looking up every row
    # cost ~0.4 s of CPU). A null part makes the integer null, as it makes the joined text.
    (d1, i1), (d2, i2), (d3, i3) = parts
    combo = pc.add(pc.multiply(pc.add(pc.multiply(pc.cast(i1, pa.int64()), sizes[1]), pc.cast(i2, pa.int64())),
                               sizes[2]), pc.cast(i3, pa.int64()))
    enc = encode_distinct(combo)
    distinct = enc.dictionary.to_numpy()
    joined = pc.binary_join_element_wise(pc.take(d1, distinct // (sizes[1] * sizes[2])),
                                         pc.take(d2, (distinct // sizes[2]) % sizes[1]),
                                         pc.take(d3, distinct % sizes[2]), "|")
    return pc.take(pseudo.pseudonymize(joined, domain="address"), enc.indices)
