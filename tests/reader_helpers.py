"""Shared by the reader tests: a fixed key, and the pseudonyms it gives."""
import pyarrow as pa

from sources.address import address_key
from sources.pseudonym import Pseudonymizer

PSEUDO = Pseudonymizer(b"k" * 32)


def key(cpr: str) -> str:
    return PSEUDO.pseudonymize(pa.array([cpr]), domain="cpr")[0].as_py()


def addr_key(street: str, number: str, postcode: str) -> str:
    return address_key(pa.array([street]), pa.array([number]), pa.array([postcode]), PSEUDO)[0].as_py()


def col(table: pa.Table, name: str) -> list:
    return table.column(name).to_pylist()
