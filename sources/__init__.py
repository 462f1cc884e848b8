"""One reader per source contract (docs/sources.md).

Each reader parses its files in the exact dialect, validates the contract, replaces
every CPR number with its keyed pseudonym and hands over typed Arrow tables. Nothing
personal (CPR, name, street) leaves a reader.
"""
