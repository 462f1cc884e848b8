"""Statistical disclosure control for published figures (indicators.md).

Primary: a count of 1–4 persons is withheld; a share is withheld when 1–4 persons are
behind its numerator or its denominator.

Secondary: published figures are tied by additive equations (a boligområde is the sum
of its afdelinger, a helhedsplan the sum of its boligområder, ledige_omfattet the sum
of six målgrupper). An equation with exactly one withheld member gives that member
away by subtraction, so another member is withheld too (the smallest non-zero part,
else the total), until no equation has exactly one.
"""
from __future__ import annotations

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
    flags = dict(suppressed)
    eqs = [[m for m in eq if m in flags] for eq in equations]
    eqs = [eq for eq in eqs if len(eq) >= 2]
    by_member = defaultdict(list)
    for i, eq in enumerate(eqs):
        for m in eq:
            by_member[m].append(i)
    todo = set(range(len(eqs)))
    while todo:
        i = todo.pop()
        eq = eqs[i]
        hidden = [m for m in eq if flags[m]]
        if len(hidden) != 1:
            continue
        total, parts = eq[0], eq[1:]
        # The smallest non-zero part hides least. Not a zero: knowing the rule, a reader
        # would know a withheld partner of a withheld 1–4 count could be 0, and learn
        # the count from the total. A total only when no such part is left.
        open_parts = [m for m in parts if not flags[m]]
        candidates = ([m for m in open_parts if (size.get(m) or 0) > 0]
                      or ([total] if not flags[total] else open_parts))
        if not candidates:
            continue
        pick = min(candidates, key=lambda m: (size.get(m) or 0, str(m)))
        flags[pick] = True
        todo.update(by_member[pick])
    return flags
