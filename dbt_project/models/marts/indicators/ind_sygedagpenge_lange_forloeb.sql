-- sygedagpenge_lange_forloeb: 6.6 spells open on the month end that have lasted over
-- 26 weeks (more than 182 days) and over 52 weeks (more than 364 days).
with limits as (
    select 'over 26 uger' as variant, 182 as days
    union all
    select 'over 52 uger', 364
),
counts as (
    select s.as_of_date, s.area_level, s.area_id, l.variant, count(*) as spells
    from {{ ref('int_assign_status_areas') }} as s
    join limits as l on s.spell_days > l.days
    where s.maalgruppe_code = '6.6'
    group by all
)
select
    'sygedagpenge_lange_forloeb' as indicator_id,
    l.variant,
    g.area_level,
    g.area_id,
    'day' as period_type,
    g.as_of_date as period_start,
    g.as_of_date as period_end,
    cast(coalesce(c.spells, 0) as double) as value,
    cast(null as double) as numerator,
    cast(null as double) as denominator,
    coalesce(c.spells, 0) as persons_numerator,
    cast(null as bigint) as persons_denominator,
    false as source_suppressed
from ({{ month_end_area_grid() }}) as g
cross join limits as l
left join counts as c using (as_of_date, area_level, area_id, variant)
