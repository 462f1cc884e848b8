"""Disclosure control: primary rules, and that no withheld cell can be recovered from
the published cells and the totals that tie them (checked by linear algebra)."""
import numpy as np
import pytest

from helhedsdata.disclosure import primary, secondary


def test_primary_rules():
    assert [primary(n) for n in (0, 1, 4, 5, None)] == [False, True, True, False, False]
    assert primary(10, 3) and primary(3, 10) and not primary(5, 50) and not primary(0, 12)


def recoverable(values, flags, equations):
    """Withheld cells whose value follows from the published ones by the equations."""
    hidden = [c for c in values if flags[c]]
    if not hidden:
        return []
    idx = {c: i for i, c in enumerate(hidden)}
    rows = []  # the equations over the withheld cells (published ones are constants)
    for eq in equations:
        total, parts = eq[0], eq[1:]
        coeff = np.zeros(len(hidden))
        for m, sign in [(total, 1.0)] + [(p, -1.0) for p in parts]:
            if flags[m]:
                coeff[idx[m]] += sign
        if coeff.any():
            rows.append(coeff)
    if not rows:
        return hidden
    a = np.array(rows)
    rank = np.linalg.matrix_rank(a)
    out = []
    for c, i in idx.items():
        e = np.zeros(len(hidden))
        e[i] = 1
        # c is determined iff e_i lies in the row space of the equations.
        if np.linalg.matrix_rank(np.vstack([a, e])) == rank:
            out.append(c)
    return out


def hierarchy(afdelinger_per_omraade, rng):
    """A helhedsplan H of boligområder B0.. of afdelinger; random small counts."""
    values, equations, plan_parts = {}, [], []
    for b, n_afd in enumerate(afdelinger_per_omraade):
        parts = [f"A{b}.{a}" for a in range(n_afd)]
        for p in parts:
            values[p] = int(rng.choice([0, 1, 2, 3, 4, 5, 7, 12, 30]))
        values[f"B{b}"] = sum(values[p] for p in parts)
        equations.append([f"B{b}"] + parts)
        plan_parts.append(f"B{b}")
    values["H"] = sum(values[b] for b in plan_parts)
    equations.append(["H"] + plan_parts)
    return values, equations


@pytest.mark.parametrize("shape", [(2, 1, 2), (1, 1, 1), (3,), (2, 2), (1, 3, 2, 1)])
def test_no_withheld_cell_can_be_recovered(shape):
    rng = np.random.default_rng(sum(shape) * 7 + len(shape))
    for _ in range(200):
        values, equations = hierarchy(shape, rng)
        flags = {c: primary(v) for c, v in values.items()}
        final = secondary(flags, values, equations)
        assert all(final[c] for c in flags if flags[c])  # primary stays withheld
        assert recoverable(values, final, equations) == [], (values, final)


def test_recovery_succeeds_without_secondary_suppression():
    """The check above can fail: with primary suppression alone a cell is recovered."""
    values = {"A0": 3, "A1": 10, "B": 13}
    equations = [["B", "A0", "A1"]]
    flags = {c: primary(v) for c, v in values.items()}
    assert recoverable(values, flags, equations) == ["A0"]
    final = secondary(flags, values, equations)
    assert final == {"A0": True, "A1": True, "B": False}
    assert recoverable(values, final, equations) == []


def test_cross_table_equation_ledige_omfattet():
    """ledige_omfattet is the sum of six målgrupper in the same area and day."""
    codes = ["6.2", "6.3", "6.4", "6.5", "6.8", "INT-SHP"]
    values = dict(zip(codes, [12, 3, 9, 0, 8, 10]))
    values["ledige"] = sum(values[c] for c in codes)
    eq = [["ledige"] + codes]
    final = secondary({c: primary(v) for c, v in values.items()}, values, eq)
    assert final["6.3"] and sum(final[c] for c in codes) == 2
    assert not final["6.5"]  # a zero partner would give the 3 away to anyone who knows the rule
    assert final["6.8"]  # the smallest non-zero part
    assert recoverable(values, final, eq) == []
