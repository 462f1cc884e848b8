-- aktiveringsgrad in two variants (docs/indicators.md), both of the ledige_omfattet population
-- (seed maalgruppe_koder.i_ledige_omfattet):
--   ultimo: at each month end, the percentage of the population with an activation tilbud
--           covering that day;
--   fuldtid: per complete month and quarter, fuldtidspersoner of the population in activation
--           ÷ fuldtidspersoner of the population, in percent. A day counts for a person when
--           the person lives in the area (kommune: always) and is in the population that day;
--           it counts as activated when a merged activation period also covers it.
-- Both variants count the same pieces with running sums, never rows per person and month
-- end or day: the population's days per area (spells where the person lives, and all of a
-- spell for the kommune: the intervals of int_derive_status_intervals), and their overlaps
-- with merged activation periods (a day covered by a merged period is a day covered by
-- some activation tilbud). ultimo counts pieces covering each month end (macro
-- month_end_counts), fuldtid sums their days per period (macro fuldtid_days).
with ledige_codes as (
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
population_counts as (
    {{ month_end_counts('population_pieces', from_col='from_date', to_col='to_date') }}
),
activated_counts as (
    {{ month_end_counts('activated_pieces', from_col='from_date', to_col='to_date') }}
),
counts as (
    select
        p.as_of_date, p.area_level, p.area_id,
        p.persons as persons_population,
        coalesce(a.persons, 0) as persons_activated
    from population_counts as p
    left join activated_counts as a using (as_of_date, area_level, area_id)
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
