-- Indicator maalgruppe_antal (docs/indicators.md), unsuppressed: persons living in the area
-- on each month end with a målgruppe period covering it (6.1 only after 26 weeks).
-- Every (month end, area, målgruppe) appears, zeros included.
-- Counted from the spells' intervals per area with running sums over the month ends
-- (macro month_end_counts), not from rows per person and month end: at 1 000 000 persons
-- a few million intervals instead of tens of millions of rows.
with intervals as (
    select
        area_level,
        area_id,
        maalgruppe_code,
        -- 6.1 counts from the spell's 182nd day (spell_days >= var('maalgruppe_6_1_min_days'))
        case when maalgruppe_code = '6.1'
             then greatest(from_date, spell_start + ({{ var('maalgruppe_6_1_min_days') }} - 1))
             else from_date end as count_from,
        to_date as count_to
    from {{ ref('int_derive_status_intervals') }}
),
counts as (
    {{ month_end_counts('intervals', ['maalgruppe_code']) }}
),
areas as (
    select distinct area_level, area_id from {{ ref('int_derive_area_grid') }}
)
select
    d.as_of_date,
    a.area_level,
    a.area_id,
    k.maalgruppe_code,
    k.maalgruppe_name,
    k.sort_order,
    coalesce(c.persons, 0) as persons
from {{ ref('int_generate_month_ends') }} as d
cross join areas as a
cross join {{ ref('maalgruppe_koder') }} as k
left join counts as c
    on c.as_of_date = d.as_of_date
    and c.area_level = a.area_level
    and c.area_id = a.area_id
    and c.maalgruppe_code = k.maalgruppe_code
