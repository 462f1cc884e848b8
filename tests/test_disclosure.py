"""Disclosure control: primary rules, and that no withheld cell can be recovered from
the published cells and the totals that tie them (checked by linear algebra)."""
import sys

import numpy as np
import pytest

from warehouse.disclosure import primary, secondary


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


def test_parts_of_a_total_variant():
    """afgang '6.2' is the sum of its 'afgang 6.2|<årsag>' parts: one withheld part is
    joined by a second, and nothing can be recovered from the total."""
    from warehouse.disclosure import decide, equations

    t = ("year", "2020-01-01", "2020-12-31", "kommune", "540")
    parts = {"6.2|Ordinær beskæftigelse": 40, "6.2|Målgruppeskift": 3, "6.2|Andet": 11, "6.2|Fleksjob": 0}
    values = {("afgang", "6.2") + t: sum(parts.values())} | {("afgang", v) + t: n for v, n in parts.items()}
    keys = list(values)
    final, primary_flags = decide(keys, [values[k] for k in keys], [None] * len(keys), [False] * len(keys),
                                  equations(keys, {}, {}, []))
    withheld = {k[1] for k in keys if final[k]}
    assert withheld == {"6.2|Målgruppeskift", "6.2|Andet"}  # the 3, and the smallest non-zero part
    eqs = equations(keys, {}, {}, [])
    assert recoverable(values, final, eqs) == []
    assert recoverable(values, primary_flags, eqs) == [("afgang", "6.2|Målgruppeskift") + t]


def test_shares_of_one_distribution_without_a_total_row():
    """afslutningsstatus: the shares' numerators sum to the published denominator (an
    implicit total), so one withheld share would follow from the others."""
    from warehouse.disclosure import decide, equations

    t = ("year", "2020-01-01", "2020-12-31", "helhedsplan", "p")
    numerators = {"a|Uddannelse": 20, "a|Fortsat ledig": 2, "a|Andet": 9}
    keys = [("afslutningsstatus", v) + t for v in numerators]
    final, _ = decide(keys, list(numerators.values()), [31] * 3, [False] * 3, equations(keys, {}, {}, []))
    assert [final[k] for k in keys] == [False, True, True]


def test_an_implicit_total_that_must_go_takes_its_distribution():
    from warehouse.disclosure import decide, equations

    t = ("year", "2020-01-01", "2020-12-31", "helhedsplan", "p")
    keys = [("afslutningsstatus", v) + t for v in ("a|x", "a|y")]
    # 3 and 0 of 3 people: the denominator alone withholds both (primary).
    final, _ = decide(keys, [3, 0], [3, 3], [False, False], equations(keys, {}, {}, []))
    assert all(final.values())
    # 2 and 0 of 7 (a status list with a zero): the zero cannot hide the 2, so the
    # distribution goes whole.
    final, _ = decide(keys, [2, 0], [7, 7], [False, False], equations(keys, {}, {}, []))
    assert all(final.values())


def test_andel_i_aktivering_ved_start_total_of_its_maalgrupper():
    """andel_i_aktivering_ved_start '' (6.2–6.5 together) publishes the sums of the
    per-målgruppe numerators and denominators: one withheld målgruppe share would follow
    from the total and the other three, so a second is withheld."""
    from warehouse.disclosure import decide, equations

    t = ("year", "2020-01-01", "2020-12-31", "kommune", "540")
    # (persons_numerator, persons_denominator) per variant; 6.5 has 3 persons behind it.
    cells = {"": (60, 150), "6.2": (20, 50), "6.3": (25, 60), "6.4": (14, 37), "6.5": (1, 3)}
    keys = [("andel_i_aktivering_ved_start", v) + t for v in cells]
    codes = ["6.2", "6.3", "6.4", "6.5"]
    final, flags = decide(keys, [n for n, _ in cells.values()], [d for _, d in cells.values()],
                          [False] * len(keys), equations(keys, {}, {}, [], codes))
    assert [k[1] for k in keys if flags[k]] == ["6.5"]  # primary
    assert [k[1] for k in keys if final[k]] == ["6.4", "6.5"]  # and the smallest other part
    # Without the målgrupper the equation is not made.
    final, _ = decide(keys, [n for n, _ in cells.values()], [d for _, d in cells.values()],
                      [False] * len(keys), equations(keys, {}, {}, []))
    assert [k[1] for k in keys if final[k]] == ["6.5"]


def test_aktiveringsgrad_fuldtid_denominator_is_a_sum_of_fuldtidspersoner():
    """aktiveringsgrad fuldtid publishes its denominator, the population's fuldtidspersoner:
    the sum of the ledige_omfattet målgrupper of fuldtidspersoner in the same area and
    period. One withheld målgruppe would follow from it and the other five."""
    from warehouse.disclosure import decide, equations

    t = ("month", "2021-05-01", "2021-05-31", "afdeling", "22")
    codes = ["6.2", "6.3", "6.4", "6.5", "6.8", "INT-SHP"]
    # persons_numerator per målgruppe; 6.5 has 2 persons behind it.
    persons = {"6.2": 30, "6.3": 41, "6.4": 12, "6.5": 2, "6.8": 9, "INT-SHP": 17}
    keys = [("aktiveringsgrad", "fuldtid") + t] + [("fuldtidspersoner", c) + t for c in codes]
    final, flags = decide(keys, [25] + list(persons.values()), [105] + [None] * 6, [False] * 7,
                          equations(keys, {}, {}, codes))
    assert [k[1] for k in keys if flags[k]] == ["6.5"]  # primary
    assert [k[1] for k in keys if final[k]] == ["6.5", "6.8"]  # and the smallest other part


def test_a_figure_published_twice_is_withheld_twice():
    """aktiveringsgrad 'ultimo' publishes ledige_omfattet as its denominator: when
    ledige_omfattet is withheld, the rate goes too, or its denominator gives it away."""
    from warehouse.disclosure import decide, equations

    t = ("day", "2021-02-28", "2021-02-28", "afdeling", "22")
    keys = [("ledige_omfattet", "") + t, ("aktiveringsgrad", "ultimo") + t]
    withheld = [True, False]  # ledige_omfattet withheld (here: as if by the source)
    final, primary_flags = decide(keys, [12, 6], [None, 12], withheld, equations(keys, {}, {}, []))
    assert not primary_flags[keys[1]] and final[keys[1]]
    # Without the equation the rate would stay published.
    final, _ = decide(keys, [12, 6], [None, 12], withheld, [])
    assert not final[keys[1]]


def test_the_withheld_cells_do_not_depend_on_the_order_rows_arrive_in():
    # dbt hands the rows over in no fixed order (DuckDB unions in parallel); the same figures
    # must withhold the same cells every night. Two tables share cell b: visited first, the
    # left one would hide d (smallest), the right one b (which also covers the left).
    size = {"T1": 18, "a": 3, "b": 10, "d": 5, "T2": 32, "c": 2, "e": 20}
    flags = {k: primary(v) for k, v in size.items()}
    left, right = ["T1", "a", "b", "d"], ["T2", "c", "b", "e"]
    results = []
    for eqs in ([left, right], [right, left], [["T1", "d", "b", "a"], ["T2", "e", "c", "b"]]):
        for keys in (list(flags), list(reversed(flags))):
            results.append(secondary({k: flags[k] for k in keys}, size, eqs))
    assert all(r == results[0] for r in results), results
    assert [k for k, v in results[0].items() if v] in (["a", "b", "c"], ["a", "b", "d", "c"])


def _running_quarter_case(rng):
    """fuldtidspersoner 6.2 in three afdelinger of boligområde B of plan P: January and
    February 2021 (complete) and the first quarter so far (running, up to 28 February), as
    person-days (the day-weighted sum of the months: the tie a running period adds)."""
    from datetime import date

    from warehouse.disclosure import equations

    areas = [("afdeling", "22"), ("afdeling", "24"), ("afdeling", "30"), ("boligomraade", "B"), ("helhedsplan", "P")]
    periods = {"jan": ("month", date(2021, 1, 1), date(2021, 1, 31)), "feb": ("month", date(2021, 2, 1), date(2021, 2, 28)),
               "q1": ("quarter", date(2021, 1, 1), date(2021, 3, 31))}
    persons, days = {}, {}
    for m in ("jan", "feb"):
        for a in areas[:3]:
            persons[(m, a)] = int(rng.choice([0, 1, 2, 3, 5, 7, 12]))
            days[(m, a)] = persons[(m, a)] * 20
        persons[(m, areas[3])] = persons[(m, areas[4])] = sum(persons[(m, a)] for a in areas[:3])
        days[(m, areas[3])] = days[(m, areas[4])] = sum(days[(m, a)] for a in areas[:3])
    for a in areas:
        persons[("q1", a)] = max(persons[("jan", a)], persons[("feb", a)])  # distinct persons: at least each month's
        days[("q1", a)] = days[("jan", a)] + days[("feb", a)]
    key = {(p, a): ("fuldtidspersoner", "6.2") + periods[p] + a for p in periods for a in areas}
    keys = list(key.values())
    eqs = equations(keys, {"B": ["22", "24", "30"]}, {"P": ["B"]}, [])
    time_eqs = [[key[("q1", a)], key[("jan", a)], key[("feb", a)]] for a in areas]
    running = {key[("q1", a)]: date(2021, 2, 28) for a in areas}
    return keys, [persons[k] for k in key], {key[k]: days[k] for k in key}, eqs, time_eqs, running


def test_a_running_period_gives_no_withheld_month_away():
    """A running quarter up to a month end is the sum of its complete months: withheld with
    any of them (running_ties), so no withheld month, and no withheld running row with a
    withheld month, follows from the published ones by the areas' sums and the sums over
    time. (A running row withheld only to cover a neighbour's, its months all published,
    follows from them: what it says is published already.) The complete rows are withheld as
    without running rows."""
    from warehouse.disclosure import decide

    rng = np.random.default_rng(16)
    leaks_without = 0
    for _ in range(300):
        keys, persons, days, eqs, time_eqs, running = _running_quarter_case(rng)
        n = len(keys)
        final, _ = decide(keys, persons, [None] * n, [False] * n, eqs, running)
        complete = [k for k in keys if k not in running]
        alone, _ = decide(complete, [p for k, p in zip(keys, persons) if k not in running], [None] * len(complete),
                          [False] * len(complete), [eq for eq in eqs if not set(eq) & set(running)])
        assert {k: final[k] for k in complete} == alone
        found = recoverable(days, final, eqs + time_eqs)
        months_published = {k for k, eq in ((eq[0], eq) for eq in time_eqs) if not any(final[m] for m in eq[1:])}
        assert set(found) <= months_published, (persons, final)
        plain, _ = decide(keys, persons, [None] * n, [False] * n, eqs)  # without the time ties
        open_months = {eq[0] for eq in time_eqs if not any(plain[m] for m in eq[1:])}
        leaks_without += bool(set(recoverable(days, plain, eqs + time_eqs)) - open_months)
    assert leaks_without > 10  # the check can fail: without running_ties months are given away


def test_canonical_values_keep_order_and_nulls_and_share_equal_values():
    """The model's key columns: the same values in the same order as to_pylist, each equal
    value one object (strings interned, so equal to an interned literal by identity)."""
    from datetime import date

    import pyarrow as pa

    from warehouse.disclosure import canonical_values

    column = pa.chunked_array([pa.array(["afdeling", None, "B7"]), pa.array(["B" + "7", "afdeling"])])
    values = canonical_values(column)
    assert values == column.to_pylist()
    assert values[2] is values[3] and values[0] is sys.intern("afdeling") and values[0] is values[4]
    days = canonical_values(pa.array([date(2021, 3, 1), None, date(2021, 3, 1)]))
    assert days == [date(2021, 3, 1), None, date(2021, 3, 1)] and days[0] is days[2]
    assert canonical_values(pa.chunked_array([], pa.string())) == []
