-- afgang: målgruppe spells (forløb, int_merge_maalgruppe_spells) that end in a complete
-- year (an open spell has not ended), per målgruppe (variant `<code>`) and split by the
-- Afslutningsårsag of the spell's last period (variant `<code>|<årsag>`, one part per
-- reason of seed afslutningsaarsager, so `<code>` = the sum of its parts). Counted in the
-- area where the person lives on the spell's end day (the kommune always).
-- A spell that ended without a reason counts under `Andet` (see ind_afgang.yml).
with years as (
    select min(period_start) as first_day, max(period_end) as last_day
    from {{ ref('int_generate_periods') }}
    where period_type = 'year'
),
ends as (
    select
        s.person_key,
        s.maalgruppe_code,
        s.spell_end,
        cast(date_trunc('year', s.spell_end) as date) as period_start,
        coalesce(s.afslutningsaarsag, 'Andet') as afslutningsaarsag
    from {{ ref('int_merge_maalgruppe_spells') }} as s
    cross join years as y
    where s.spell_end between y.first_day and y.last_day
),
located as (
    {{ areas_on_day('ends', 'spell_end') }}
),
counts as (
    select
        period_start,
        area_level,
        area_id,
        maalgruppe_code
            || case when grouping(afslutningsaarsag) = 0 then '|' || afslutningsaarsag else '' end as variant,
        count(*) as spells,
        count(distinct person_key) as persons
    from located
    group by grouping sets (
        (period_start, area_level, area_id, maalgruppe_code),
        (period_start, area_level, area_id, maalgruppe_code, afslutningsaarsag)
    )
),
variants as (
    select maalgruppe_code as variant from {{ ref('maalgruppe_koder') }}
    union all
    select k.maalgruppe_code || '|' || a.afslutningsaarsag
    from {{ ref('maalgruppe_koder') }} as k
    cross join {{ ref('afslutningsaarsager') }} as a
)
select
    'afgang' as indicator_id,
    v.variant,
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
cross join variants as v
left join counts as c
    on c.period_start = g.period_start
    and c.area_level = g.area_level
    and c.area_id = g.area_id
    and c.variant = v.variant
