-- ledige_omfattet: persons living in the area on the month end in a målgruppe marked
-- i_ledige_omfattet in seed maalgruppe_koder (6.2–6.5, 6.8, INT-SHP).
with counts as (
    select s.as_of_date, s.area_level, s.area_id, count(*) as persons
    from {{ ref('int_assign_status_areas') }} as s
    join {{ ref('maalgruppe_koder') }} as k using (maalgruppe_code)
    where k.i_ledige_omfattet
    group by all
)
select
    'ledige_omfattet' as indicator_id,
    '' as variant,
    g.area_level,
    g.area_id,
    'day' as period_type,
    g.as_of_date as period_start,
    g.as_of_date as period_end,
    cast(coalesce(c.persons, 0) as double) as value,
    cast(null as double) as numerator,
    cast(null as double) as denominator,
    coalesce(c.persons, 0) as persons_numerator,
    cast(null as bigint) as persons_denominator,
    false as source_suppressed
from ({{ month_end_area_grid() }}) as g
left join counts as c using (as_of_date, area_level, area_id)
