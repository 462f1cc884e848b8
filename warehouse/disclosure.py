"""Statistical disclosure control for published figures (docs/indicators.md).

Primary: a count of 1–4 persons is withheld; a share is withheld when 1–4 persons are
behind its numerator or its denominator.

Secondary: published figures are tied by additive equations (a boligområde is the sum
of its afdelinger, a helhedsplan the sum of its boligområder, ledige_omfattet the sum
of six målgrupper). An equation with exactly one withheld member gives that member
away by subtraction, so another member is withheld too (the smallest non-zero part,
else the total), until no equation has exactly one.
"""
from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence

SUPPRESS_MAX = 4  # must equal var('suppress_max_persons') in dbt_project.yml


def is_small(n) -> bool:
    return n is not None and 1 <= n <= SUPPRESS_MAX


def primary(persons_numerator, persons_denominator=None) -> bool:
    return is_small(persons_numerator) or is_small(persons_denominator)


def secondary(suppressed: dict[Hashable, bool], size: dict[Hashable, float],
              equations: Iterable[Sequence[Hashable]]) -> dict[Hashable, bool]:
    """Extend `suppressed` so that no equation (total, part, part, …) has exactly one
    withheld member. Members missing from `suppressed` are ignored (not published).
    Returns the new flags; the input is not changed."""
    return _System(suppressed, size, equations).extend(suppressed)


class _System:
    """The equations over a fixed set of keys, prepared once; `extend` runs the secondary rule
    for any flags of those keys (decide runs it twice when running periods add withheld cells)."""

    def __init__(self, keys: Iterable[Hashable], size: dict[Hashable, float],
                 equations: Iterable[Sequence[Hashable]]):
        # Keys become their rank in repr order, one repr and one hash per key: a key is a tuple
        # with dates, and Python hashes a tuple anew on every dict lookup (this ran 3.0 s CPU on
        # a 10 000-person inbox with keys, under 1 s with ranks).
        self.keys = sorted(keys, key=repr)
        self.rank = {m: i for i, m in enumerate(self.keys)}
        self.sizes = [size.get(m) or 0 for m in self.keys]
        end = len(self.keys)
        eqs = []
        for eq in equations:
            ids = [i for i in map(self.rank.get, eq) if i is not None]
            if len(ids) >= 2:
                eqs.append([ids[0], *sorted(ids[1:])])
        # In a fixed order: the greedy choice depends on the order equations are visited, and
        # the rows reach the model in no fixed order (DuckDB unions in parallel), so unsorted the
        # same data could withhold other cells from one run to the next. The order is that of
        # repr(eq): a tuple's repr is never a proper prefix of another's, so ranks compare as
        # reprs do, and the end marker puts [a, b] before [a] as "[a, b]" < "[a]" does.
        eqs.sort(key=lambda eq: (*eq, end))
        self.eqs = eqs
        self.by_member = defaultdict(list)
        for i, eq in enumerate(eqs):
            for m in eq:
                self.by_member[m].append(i)

    def extend(self, suppressed: dict[Hashable, bool]) -> dict[Hashable, bool]:
        """`suppressed` (flags of exactly this system's keys) extended by the secondary rule."""
        eqs, sizes, rank = self.eqs, self.sizes, self.rank
        hidden = [bool(suppressed[m]) for m in self.keys]
        todo = set(range(len(eqs)))
        while todo:
            i = todo.pop()
            eq = eqs[i]
            if sum(map(hidden.__getitem__, eq)) != 1:
                continue
            total, parts = eq[0], eq[1:]
            # The smallest non-zero part hides least. Not a zero: knowing the rule, a reader
            # would know a withheld partner of a withheld 1–4 count could be 0, and learn
            # the count from the total. A total only when no such part is left.
            open_parts = [m for m in parts if not hidden[m]]
            candidates = ([m for m in open_parts if sizes[m] > 0]
                          or ([total] if not hidden[total] else open_parts))
            if not candidates:
                continue
            pick = min(candidates, key=lambda m: (sizes[m], m))  # m: the key's rank, as str(key) was
            hidden[pick] = True
            todo.update(self.by_member[pick])
        return {m: hidden[rank[m]] for m in suppressed}  # in the order given, as the input


# A key's columns, in the order its tuple holds them.
KEY = ("indicator_id", "variant", "period_type", "period_start", "period_end", "area_level", "area_id")
PART = "|"  # variant 'X|Y' is the part Y of the total 'X' (marts/indicators/README.md)


def equations(keys: Iterable[tuple], afd_of_omraade: dict[str, list[str]],
              omraader_of_plan: dict[str, list[str]], ledige_codes: Sequence[str],
              aktivering_codes: Sequence[str] = ()) -> list[list[tuple]]:
    """The additive equations (total, part, part, …) that tie published figures:
    areas (boligområde = Σ afdelinger, helhedsplan = Σ boligområder), ledige_omfattet =
    Σ its målgrupper, andel_i_aktivering_ved_start '' = Σ its målgrupper (numerator and
    denominator alike, both published with the share), aktiveringsgrad 'fuldtid' (its
    denominator) = Σ the ledige_omfattet målgrupper of fuldtidspersoner, aktiveringsgrad
    'ultimo' (its denominator) = ledige_omfattet, andel_i_aktivering_ved_start per målgruppe
    (its denominator) ≈ tilgang of that målgruppe, and variant 'X' = Σ variants
    'X|…'. A total with no row of its own (the shares of one distribution: their
    numerators sum to the published denominator) is the implicit key ('=total', …),
    always published."""
    keys = list(keys)
    eqs = []
    for t in {k[:5] for k in keys}:
        for omraade, afdelinger in afd_of_omraade.items():
            eqs.append([t + ("boligomraade", omraade)] + [t + ("afdeling", a) for a in afdelinger])
        for plan, omraader in omraader_of_plan.items():
            eqs.append([t + ("helhedsplan", plan)] + [t + ("boligomraade", o) for o in omraader])
    parts = defaultdict(list)
    for k in keys:
        if k[0] == "ledige_omfattet":
            eqs.append([k] + [("maalgruppe_antal", c) + k[2:] for c in ledige_codes])
        elif k[0] == "andel_i_aktivering_ved_start" and k[1] == "":
            eqs.append([k] + [(k[0], c) + k[2:] for c in aktivering_codes])
        elif k[0] == "aktiveringsgrad" and k[1] == "fuldtid":
            # Its published denominator is the population's fuldtidspersoner: the sum of the
            # ledige_omfattet målgrupper of fuldtidspersoner in the same area and period.
            eqs.append([k] + [("fuldtidspersoner", c) + k[2:] for c in ledige_codes])
        elif k[0] == "aktiveringsgrad" and k[1] == "ultimo":
            # Its published denominator is ledige_omfattet itself (same area, same day).
            eqs.append([("ledige_omfattet", "") + k[2:], k])
        elif k[0] == "andel_i_aktivering_ved_start" and k[1] in aktivering_codes:
            # Its denominator is the year's tilgang of that målgruppe, less spells not yet due.
            eqs.append([("tilgang", k[1]) + k[2:], k])
        if PART in k[1]:
            parts[(k[0], k[1].rsplit(PART, 1)[0]) + k[2:]].append(k)
    present = set(keys)
    for total, members in parts.items():
        eqs.append([total if total in present else implicit_total(total)] + members)
    return eqs


def canonical_values(column) -> list:
    """An Arrow column as a Python list in which equal values are one object (strings
    interned): keys built of them compare by identity, element by element. The rules look
    keys up in dicts ~400 000 times a night (equations, flags, ranks), and a key built anew
    for each row compared its seven values by content at every lookup: the model took
    1.3-1.6 s CPU on any inbox, ~1.0 s with this (docs/benchmarks.md, stop 27)."""
    import pyarrow.compute as pc

    from sources.pseudonym import encode_distinct

    enc = encode_distinct(column)
    values = [sys.intern(v) if isinstance(v, str) else v for v in enc.dictionary.to_pylist()]
    values.append(None)  # a null's index
    return [values[i] for i in pc.fill_null(enc.indices, len(values) - 1).to_numpy(zero_copy_only=False).tolist()]


def implicit_total(key: tuple) -> tuple:
    return ("=total",) + key


# Figures over a period that are the day-weighted sum of their months' figures (days ÷ days of
# the period): (indicator_id, variant), None = every variant.
DAY_WEIGHTED = {("fuldtidspersoner", None), ("aktiveringsgrad", "fuldtid")}


def running_ties(final: dict[tuple, bool], running: dict[tuple, object]) -> set[tuple]:
    """The running rows (key -> data_through) to withhold for time: a running quarter or year
    of a DAY_WEIGHTED figure is computed up to a month end, so it is the day-weighted sum of
    the complete months in its window, published beside it (same indicator, variant, area); a
    withheld month among them would be given away by subtraction. Such a running row is
    withheld when one of those months is."""
    months = defaultdict(list)
    for k, withheld in final.items():
        if k[2] == "month" and k not in running:
            months[(k[0], k[1], k[5], k[6])].append((k[3], withheld))
    tied = set()
    for k, through in running.items():
        if k[2] in ("quarter", "year") and ((k[0], None) in DAY_WEIGHTED or (k[0], k[1]) in DAY_WEIGHTED):
            if any(w for start, w in months.get((k[0], k[1], k[5], k[6]), []) if k[3] <= start <= through):
                tied.add(k)
    return tied


def _with_implicit(system: _System, flags: dict, implicit: dict) -> dict:
    """The secondary rule with the implicit totals (always published, never withheld first):
    one that had to be withheld withholds its whole distribution."""
    final = system.extend({**flags, **{t: False for t in implicit}})
    for t, members in implicit.items():
        if final.pop(t):
            for m in members:
                final[m] = True
    return final


def decide(keys: Sequence[tuple], persons_numerator: Sequence, persons_denominator: Sequence,
           source_suppressed: Sequence, eqs: list[list[tuple]],
           running: dict[tuple, object] | None = None) -> tuple[dict, dict]:
    """(withheld, primary) flags per key: primary rules, then secondary suppression over
    `eqs`. An implicit total that had to be withheld withholds its whole distribution.
    `running` (key -> data_through) names the rows of periods still running: they are
    decided like every other row, then a running row tied by time to a withheld complete
    month (running_ties) is withheld too and the secondary rule runs again. Equations never
    mix periods, so that only withholds more running rows: the complete rows' flags are those
    of a publication without running rows (checked)."""
    flags = {k: bool(src) or primary(n, d)
             for k, n, d, src in zip(keys, persons_numerator, persons_denominator, source_suppressed)}
    size = {k: n or 0 for k, n in zip(keys, persons_numerator)}
    implicit = {eq[0]: eq[1:] for eq in eqs if eq[0][0] == "=total"}
    system = _System([*flags, *implicit], {**size, **{t: float("inf") for t in implicit}}, eqs)
    final = _with_implicit(system, flags, implicit)
    tied = running_ties(final, running or {})
    if tied - {k for k, w in final.items() if w}:
        again = _with_implicit(system, {k: w or k in tied for k, w in final.items()}, implicit)
        changed = [k for k in final if again[k] != final[k] and k not in running]
        if changed:
            raise AssertionError(f"withholding running rows changed complete rows: {changed[:3]}")
        final = again
    return final, flags
