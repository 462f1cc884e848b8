-- langtidsledige (indicators.md): persons langtidsledig (int_derive_langtidsledig_periods)
--   * at each month end (period_type 'day'): persons langtidsledig on D and living in the
--     area on D (the kommune: everyone);
--   * per complete year (period_type 'year'): helårspersoner = Σ over persons of the days
--     of the year on which the person is langtidsledig and lives in the area ÷ days in the
--     year. Unit fuldtidspersoner (seed indicator_period_units); persons_numerator = the
--     distinct persons with at least one such day.
with ll as (
    select person_key, langtidsledig_fra as fra, coalesce(langtidsledig_til, date '9999-12-31') as til
    from {{ ref('int_derive_langtidsledig_periods') }}
),
day_counts as (
    -- A person has one status row per month end and area (non-overlapping spells and stays)
    -- and langtidsledig periods do not overlap: count(*) counts distinct persons.
    select s.as_of_date, s.area_level, s.area_id, count(*) as persons
    from {{ ref('int_assign_status_areas') }} as s
    join {{ ref('maalgruppe_koder') }} as k using (maalgruppe_code)
    join ll on ll.person_key = s.person_key and s.as_of_date between ll.fra and ll.til
    where k.i_langtidsledige
    group by all
),
years as (
    select period_start, period_end from {{ ref('int_generate_periods') }} where period_type = 'year'
),
ll_years as (  -- langtidsledig days inside each complete year
    select ll.person_key, y.period_start,
           greatest(ll.fra, y.period_start) as fra, least(ll.til, y.period_end) as til
    from ll
    join years as y on ll.fra <= y.period_end and ll.til >= y.period_start
),
ll_stays as (  -- ... while living in an afdeling
    select l.person_key, l.period_start, r.afdelingsnummer, r.boligomraade,
           datediff('day', greatest(l.fra, r.bor_fra), least(l.til, coalesce(r.bor_til, date '9999-12-31'))) + 1 as days
    from ll_years as l
    join {{ ref('int_derive_residence_periods') }} as r
        on r.person_key = l.person_key
        and r.bor_fra <= l.til
        and coalesce(r.bor_til, date '9999-12-31') >= l.fra
),
area_days as (
    select period_start, 'afdeling' as area_level, afdelingsnummer as area_id, person_key, days from ll_stays
    union all
    select period_start, 'boligomraade', boligomraade, person_key, days from ll_stays
    union all
    select s.period_start, 'helhedsplan', g.plan_id, s.person_key, s.days
    from ll_stays as s join {{ ref('int_derive_area_grid') }} as g
        on g.area_level = 'helhedsplan' and g.boligomraade = s.boligomraade
    union all
    select l.period_start, 'kommune', g.area_id, l.person_key, datediff('day', l.fra, l.til) + 1
    from ll_years as l join {{ ref('int_derive_area_grid') }} as g on g.area_level = 'kommune'
),
year_sums as (
    select period_start, area_level, area_id, sum(days) as days, count(distinct person_key) as persons
    from area_days
    group by all
)
select
    'langtidsledige' as indicator_id,
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
left join day_counts as c using (as_of_date, area_level, area_id)
union all
select
    'langtidsledige',
    '',
    g.area_level,
    g.area_id,
    g.period_type,
    g.period_start,
    g.period_end,
    cast(coalesce(y.days, 0) as double) / g.period_days,
    cast(null as double),
    cast(null as double),
    coalesce(y.persons, 0),
    cast(null as bigint),
    false
from ({{ period_area_grid(['year']) }}) as g
left join year_sums as y using (period_start, area_level, area_id)
