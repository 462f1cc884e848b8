"""The one definition of address normalisation (sources.md, address register).

Case and white space are folded and `12A`, `12 A` and `12a` are one house number.
Readers turn a normalised address into a keyed pseudonym, so the warehouse can match
citizens' addresses to the register without holding any street address.
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from sources.pseudonym import Pseudonymizer


def normalise_street(street: pa.Array) -> pa.Array:
    s = pc.utf8_lower(street)
    s = pc.replace_substring_regex(s, r"\s+", " ")
    return pc.utf8_trim_whitespace(s)


def normalise_house_number(number: pa.Array) -> pa.Array:
    n = pc.utf8_upper(number)
    n = pc.replace_substring_regex(n, r"\s+", "")
    # Leading zeros are typing noise in hand-kept registers: '07' is house 7.
    return pc.replace_substring_regex(n, r"^0+([0-9])", r"\1")


def address_key(street: pa.Array, number: pa.Array, postcode: pa.Array, pseudo: Pseudonymizer) -> pa.Array:
    joined = pc.binary_join_element_wise(
        normalise_street(street), normalise_house_number(number), pc.utf8_trim_whitespace(postcode), "|"
    )
    return pseudo.pseudonymize(joined, domain="address")
