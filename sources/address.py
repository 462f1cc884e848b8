"""The one definition of address normalisation (docs/sources.md, address register).

Case and white space (any Unicode white space: sources/whitespace.py) are folded and `12A`, `12 A` and `12a` are one house number.
Readers turn a normalised address into a keyed pseudonym, so the warehouse can match
citizens' addresses to the register without holding any street address.
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from sources.pseudonym import Pseudonymizer, on_distinct
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


def address_key(street: pa.Array, number: pa.Array, postcode: pa.Array, pseudo: Pseudonymizer) -> pa.Array:
    # Each part normalised once per distinct value: streets, house numbers and postcodes recur
    # in many rows (the regular expressions cost ~1 s CPU per call on every row of Momentum's
    # borger_adresse at 1 000 000 persons).
    joined = pc.binary_join_element_wise(
        on_distinct(normalise_street, street), on_distinct(normalise_house_number, number),
        on_distinct(normalise_postcode, postcode), "|"
    )
    return pseudo.pseudonymize(joined, domain="address")
