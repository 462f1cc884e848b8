"""Shared by the reader tests: a fixed key, and the pseudonyms it gives."""
import pyarrow as pa

from sources.address import address_key
from sources.pseudonym import Pseudonymizer

PSEUDO = Pseudonymizer(b"k" * 32)


def key(cpr: str) -> int:
    return PSEUDO.pseudonymize(pa.array([cpr]), domain="cpr")[0].as_py()


def addr_key(street: str, number: str, postcode: str) -> str:
    return address_key(pa.array([street]), pa.array([number]), pa.array([postcode]), PSEUDO)[0].as_py()


def col(table: pa.Table, name: str) -> list:
    return table.column(name).to_pylist()


def drifted_suite_loader(load_suite, suite_name: str, column: str, keep):
    """A stand-in for warehouse.expectations.load_suite whose `suite_name` accepts only the
    codes of `column` that `keep(code)` keeps: a suite that drifted from its reader."""
    def load(name, *args, **kwargs):
        suite = load_suite(name, *args, **kwargs)
        if name == suite_name:
            for e in suite["expectations"]:
                if e["type"] == "expect_column_values_to_be_in_set" and e["kwargs"]["column"] == column:
                    e["kwargs"]["value_set"] = [v for v in e["kwargs"]["value_set"] if keep(v)]
        return suite

    return load
