-- aktiveringsgrad, variant ultimo: of the ledige_omfattet population on the month end,
-- the percentage with an activation tilbud covering that day.
with population as (
    select s.as_of_date, s.area_level, s.area_id, s.person_key
    from {{ ref('int_assign_status_areas') }} as s
    join {{ ref('maalgruppe_koder') }} as k using (maalgruppe_code)
    where k.i_ledige_omfattet
),
counts as (
    select
        p.as_of_date, p.area_level, p.area_id,
        count(*) as persons_population,
        count(a.person_key) as persons_activated
    from population as p
    left join {{ ref('int_assign_activation_status') }} as a using (as_of_date, person_key)
    group by all
)
select
    'aktiveringsgrad' as indicator_id,
    'ultimo' as variant,
    g.area_level,
    g.area_id,
    'day' as period_type,
    g.as_of_date as period_start,
    g.as_of_date as period_end,
    100.0 * c.persons_activated / nullif(c.persons_population, 0) as value,
    cast(coalesce(c.persons_activated, 0) as double) as numerator,
    cast(coalesce(c.persons_population, 0) as double) as denominator,
    coalesce(c.persons_activated, 0) as persons_numerator,
    coalesce(c.persons_population, 0) as persons_denominator,
    false as source_suppressed
from ({{ month_end_area_grid() }}) as g
left join counts as c using (as_of_date, area_level, area_id)
