-- Periods in which a person is langtidsledig (docs/indicators.md, STAR's rule): in 6.1 or 6.2
-- on D, and in 6.1 or 6.2 on at least K = var('langtidsledig_min_days') (292 = 80 % of
-- 365) of the W = var('langtidsledig_window_days') (365) days ending on D. Exact, without
-- expanding days:
--
-- * Islands: the person's 6.1 ∪ 6.2 periods merged into contiguous days (a switch
--   6.1 -> 6.2 without a gap is one island). Let f(d) = covered days in [d-W+1, d].
-- * Inside an island f is non-decreasing: each next day adds itself and drops day d-W,
--   so f(d) - f(d-1) = 1 - [d-W covered] ∈ {0, 1}. A person is therefore langtidsledig on
--   a suffix [t, island_end] of each island, t = the first day with f(t) >= K. Since the
--   island alone covers K days at s+K-1, t <= s+K-1 whenever the island is that long.
-- * The step f(d) - f(d-1) is 0 exactly on [a+W, b+W] for an earlier island [a, b]. The
--   LAST day of each constant-step run, a+W-1 and b+W, are the candidates: between two
--   consecutive candidates x < y the step is constant on (x, y], so f is linear on [x, y]
--   with slope 0 or 1, and a crossing f(x) < K <= f(y) has slope 1: t = x + K - f(x).
--   (Taking the first day of each run, a+W and b+W+1, is off by one: f(y) can then
--   be f(y-1) + 1 after a flat run, and x + K - f(x) lands inside the flat run. Pinned by
--   the person `plateau_291` in tests/test_langtidsledige.py.)
-- * Candidates of island [s, e]: s, least(e, s+K-1), and a+W-1, b+W of earlier islands
--   that fall strictly between them; f at each by overlap arithmetic on the islands.
-- Days before the first delivered period count as not covered (no history, no credit).
{% set W = var('langtidsledig_window_days') %}
{% set K = var('langtidsledig_min_days') %}
with ll_periods as (
    select p.person_key, p.start_date, p.end_date
    from {{ ref('int_combine_maalgruppe_periods') }} as p
    join {{ ref('maalgruppe_koder') }} as k using (maalgruppe_code)
    where k.i_langtidsledige
),
merged as (
    {{ merge_contiguous('ll_periods', ['person_key'], 'start_date', 'end_date') }}
),
islands as (
    select
        person_key,
        island_start as s,
        coalesce(island_end, date '9999-12-31') as e,
        least(coalesce(island_end, date '9999-12-31'), island_start + {{ K - 1 }}) as last_candidate
    from merged
),
slope_changes as (
    -- The last day of each constant-step run inside (s, last_candidate).
    select i.person_key, i.s, unnest([j.s + {{ W - 1 }}, j.e + {{ W }}]) as x, i.last_candidate
    from islands as i
    join islands as j
        on j.person_key = i.person_key
        and j.e < i.s
        and j.e > i.s - {{ W }}  -- an island ending W or more days before s changes nothing after s
),
candidates as (
    select person_key, s, s as x from islands
    union
    select person_key, s, last_candidate from islands
    union
    select person_key, s, x from slope_changes where x > s and x < last_candidate
),
coverage as (
    -- f(x): days of the person's islands inside [x-W+1, x].
    select
        c.person_key, c.s, c.x,
        cast(sum(datediff('day', greatest(k.s, c.x - {{ W - 1 }}), least(k.e, c.x)) + 1) as integer) as f
    from candidates as c
    join islands as k
        on k.person_key = c.person_key
        and k.s <= c.x
        and k.e >= c.x - {{ W - 1 }}
    group by all
),
segments as (
    select
        *,
        lag(x) over (partition by person_key, s order by x) as prev_x,
        lag(f) over (partition by person_key, s order by x) as prev_f
    from coverage
),
first_day as (
    -- The first candidate reaching K closes the first segment that crosses K.
    select
        person_key, s,
        min(case when prev_x is null or prev_f >= {{ K }} then x
                 else prev_x + ({{ K }} - prev_f) end) as t
    from segments
    where f >= {{ K }}
    group by all
)
select
    i.person_key,
    f.t as langtidsledig_fra,
    nullif(i.e, date '9999-12-31') as langtidsledig_til
from islands as i
join first_day as f using (person_key, s)
