-- aktiveringsgrad in two variants (indicators.md), both of the ledige_omfattet population
-- (seed maalgruppe_koder.i_ledige_omfattet):
--   ultimo: at each month end, the percentage of the population with an activation tilbud
--           covering that day;
--   fuldtid: per complete month and quarter, fuldtidspersoner of the population in activation
--           ÷ fuldtidspersoner of the population, in percent. A day counts for a person when
--           the person lives in the area (kommune: always) and is in the population that day;
--           it counts as activated when a merged activation period also covers it.
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
),
ultimo as (
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
),
ledige_codes as (
    select maalgruppe_code from {{ ref('maalgruppe_koder') }} where i_ledige_omfattet
),
-- Population days: spells of a ledige_omfattet målgruppe, where the person lives (resident)
-- and anywhere (everyone, for the kommune).
resident as (
    select r.person_key, r.afdelingsnummer, r.boligomraade, r.from_date, r.to_date
    from {{ ref('int_intersect_maalgruppe_residence') }} as r
    semi join ledige_codes using (maalgruppe_code)
),
everyone as (
    select s.person_key, s.spell_start as from_date, s.spell_end as to_date
    from {{ ref('int_merge_maalgruppe_spells') }} as s
    semi join ledige_codes using (maalgruppe_code)
),
-- The same days where a merged activation period also covers them.
resident_activated as (
    select
        r.person_key, r.afdelingsnummer, r.boligomraade,
        greatest(r.from_date, a.aktivering_start) as from_date,
        nullif(least(coalesce(r.to_date, date '9999-12-31'), coalesce(a.aktivering_end, date '9999-12-31')),
               date '9999-12-31') as to_date
    from resident as r
    join {{ ref('int_merge_activation_periods') }} as a
        on a.person_key = r.person_key
        and a.aktivering_start <= coalesce(r.to_date, date '9999-12-31')
        and r.from_date <= coalesce(a.aktivering_end, date '9999-12-31')
),
everyone_activated as (
    select
        e.person_key,
        greatest(e.from_date, a.aktivering_start) as from_date,
        nullif(least(coalesce(e.to_date, date '9999-12-31'), coalesce(a.aktivering_end, date '9999-12-31')),
               date '9999-12-31') as to_date
    from everyone as e
    join {{ ref('int_merge_activation_periods') }} as a
        on a.person_key = e.person_key
        and a.aktivering_start <= coalesce(e.to_date, date '9999-12-31')
        and e.from_date <= coalesce(a.aktivering_end, date '9999-12-31')
),
population_pieces as (
    {{ pieces_at_area_levels('resident', 'everyone') }}
),
activated_pieces as (
    {{ pieces_at_area_levels('resident_activated', 'everyone_activated') }}
),
population_days as (
    {{ fuldtid_days('population_pieces', [], ['month', 'quarter']) }}
),
activated_days as (
    {{ fuldtid_days('activated_pieces', [], ['month', 'quarter']) }}
),
fuldtid as (
    select
        'aktiveringsgrad' as indicator_id,
        'fuldtid' as variant,
        g.area_level,
        g.area_id,
        g.period_type,
        g.period_start,
        g.period_end,
        100.0 * coalesce(a.days, 0) / nullif(p.days, 0) as value,
        cast(coalesce(a.days, 0) as double) / g.period_days as numerator,
        cast(coalesce(p.days, 0) as double) / g.period_days as denominator,
        coalesce(a.persons, 0) as persons_numerator,
        coalesce(p.persons, 0) as persons_denominator,
        false as source_suppressed
    from ({{ period_area_grid(['month', 'quarter']) }}) as g
    left join population_days as p using (period_type, period_start, area_level, area_id)
    left join activated_days as a using (period_type, period_start, area_level, area_id)
)
select * from ultimo
union all
select * from fuldtid
