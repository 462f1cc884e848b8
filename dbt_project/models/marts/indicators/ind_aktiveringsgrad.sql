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
    {{ intersect_pieces('resident', ref('int_merge_activation_periods'), 'aktivering_start', 'aktivering_end') }}
),
everyone_activated as (
    {{ intersect_pieces('everyone', ref('int_merge_activation_periods'), 'aktivering_start', 'aktivering_end') }}
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
fuldtid_sums as (
    select
        period_type, period_start, area_level, area_id,
        p.days as population_days, p.persons as population_persons,
        a.days as activated_days, a.persons as activated_persons
    from population_days as p
    full join activated_days as a using (period_type, period_start, area_level, area_id)
)
{{ indicator_rows('aktiveringsgrad', 'month_ends', 'counts', variant="'ultimo'",
                  share=('persons_activated', 'persons_population', 'persons_activated', 'persons_population')) }}
union all
{{ indicator_rows('aktiveringsgrad', 'periods', 'fuldtid_sums', period_types=['month', 'quarter'], variant="'fuldtid'",
                  value='100.0 * coalesce(c.activated_days, 0) / nullif(c.population_days, 0)',
                  numerator='cast(coalesce(c.activated_days, 0) as double) / g.period_days',
                  denominator='cast(coalesce(c.population_days, 0) as double) / g.period_days',
                  persons_numerator='coalesce(c.activated_persons, 0)',
                  persons_denominator='coalesce(c.population_persons, 0)') }}
