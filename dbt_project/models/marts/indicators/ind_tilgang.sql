-- tilgang: målgruppe spells (forløb, int_merge_maalgruppe_spells) that start in a complete
-- year, per målgruppe, counted in the area where the person lives on the spell's start
-- day (the kommune always).
with years as (
    select min(period_start) as first_day, max(period_end) as last_day
    from {{ ref('int_generate_periods') }}
    where period_type = 'year'
),
starts as (
    select s.person_key, s.maalgruppe_code, s.spell_start,
           cast(date_trunc('year', s.spell_start) as date) as period_start
    from {{ ref('int_merge_maalgruppe_spells') }} as s
    cross join years as y
    where s.spell_start between y.first_day and y.last_day
),
located as (
    {{ areas_on_day('starts', 'spell_start') }}
),
counts as (
    select
        period_start,
        area_level,
        area_id,
        maalgruppe_code as variant,
        count(*) as spells,
        count(distinct person_key) as persons
    from located
    group by all
)
select
    'tilgang' as indicator_id,
    k.maalgruppe_code as variant,
    g.area_level,
    g.area_id,
    g.period_type,
    g.period_start,
    g.period_end,
    cast(coalesce(c.spells, 0) as double) as value,
    cast(null as double) as numerator,
    cast(null as double) as denominator,
    coalesce(c.persons, 0) as persons_numerator,
    cast(null as bigint) as persons_denominator,
    false as source_suppressed
from ({{ period_area_grid(['year']) }}) as g
cross join {{ ref('maalgruppe_koder') }} as k
left join counts as c
    on c.period_start = g.period_start
    and c.area_level = g.area_level
    and c.area_id = g.area_id
    and c.variant = k.maalgruppe_code
